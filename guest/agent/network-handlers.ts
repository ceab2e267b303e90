// The network RPCs (Kata's names): thin adapters from validated requests to GuestNetwork.
import * as z from 'zod/mini';
import type { AgentServiceHandlers } from '../../core/agent/proto/index.js';
import { parse, RpcError, unary, type Handlers } from './handlers.js';
import { Status } from '../../core/agent/proto/status.js';
import { InterfaceSchema, NeighborSchema, RouteSchema, type GuestNetwork } from './network.js';

const UpdateInterfaceRequestSchema = z.object({ interface: InterfaceSchema });
const UpdateRoutesRequestSchema = z.object({ routes: z.object({ Routes: z.array(RouteSchema).check(z.maxLength(256)) }) });
const AddARPNeighborsRequestSchema = z.object({ neighbors: z.object({ ARPNeighbors: z.array(NeighborSchema).check(z.maxLength(256)) }) });

type NetworkHandlerNames = 'UpdateInterface' | 'UpdateRoutes' | 'ListInterfaces' | 'ListRoutes' | 'AddARPNeighbors' | 'ListNetworkStats';

export function networkHandlers(netOf: () => GuestNetwork | null): Pick<Handlers<AgentServiceHandlers>, NetworkHandlerNames> {
  const net = (): GuestNetwork => {
    const n = netOf();
    if (!n) throw new RpcError(Status.UNIMPLEMENTED, 'this agent runs without guest networking');
    return n;
  };
  const fail = (what: string) => (err: unknown): never => {
    if (err instanceof RpcError) throw err;
    throw new RpcError(Status.FAILED_PRECONDITION, `${what}: ${err instanceof Error ? err.message : String(err)}`);
  };
  return {
    UpdateInterface: unary('UpdateInterface', async (req) => {
      const r = parse(UpdateInterfaceRequestSchema, req, 'UpdateInterface');
      const i = await net().updateInterface(r.interface).catch(fail('UpdateInterface'));
      return { ...i, devicePath: '', type: '', rawFlags: 0 };
    }),
    UpdateRoutes: unary('UpdateRoutes', async (req) => {
      const r = parse(UpdateRoutesRequestSchema, req, 'UpdateRoutes');
      const routes = await net().updateRoutes(r.routes.Routes).catch(fail('UpdateRoutes'));
      return { Routes: routes.map((x) => ({ ...x, scope: 0, flags: 0 })) };
    }),
    ListInterfaces: unary('ListInterfaces', async () => ({
      Interfaces: (await net().listInterfaces().catch(fail('ListInterfaces'))).map((i) => ({ ...i, devicePath: '', type: '', rawFlags: 0 })),
    })),
    ListRoutes: unary('ListRoutes', async () => ({
      Routes: (await net().listRoutes().catch(fail('ListRoutes'))).map((x) => ({ ...x, scope: 0, flags: 0 })),
    })),
    AddARPNeighbors: unary('AddARPNeighbors', async (req) => {
      const r = parse(AddARPNeighborsRequestSchema, req, 'AddARPNeighbors');
      await net().addNeighbors(r.neighbors.ARPNeighbors).catch(fail('AddARPNeighbors'));
      return {};
    }),
    ListNetworkStats: unary('ListNetworkStats', () => ({
      stats: net().counters().map((c) => ({
        name: c.name, hwAddr: c.hwAddr, rxBytes: c.rxBytes, rxPackets: c.rxPackets, rxErrors: c.rxErrors, rxDropped: c.rxDropped,
        txBytes: c.txBytes, txPackets: c.txPackets, txErrors: c.txErrors, txDropped: c.txDropped,
      })),
    })),
  };
}
