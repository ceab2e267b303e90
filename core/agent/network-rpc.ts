// Shapes of the network RPCs' replies (UpdateInterface, ListInterfaces,
// ListRoutes, ListNetworkStats): the guest is untrusted, every reply is validated.
import { z } from 'zod';

const u64 = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const Str = (max: number) => z.string().max(max);

export const IPAddressReply = z.object({ family: z.enum(['v4', 'v6']), address: Str(64), mask: Str(3) });
export const InterfaceReply = z.object({
  device: Str(16), name: Str(16), IPAddresses: z.array(IPAddressReply).max(64), mtu: u64, hwAddr: Str(32),
}).loose();
export const InterfacesReply = z.object({ Interfaces: z.array(InterfaceReply).max(256) });
export const RouteReply = z.object({ dest: Str(64), gateway: Str(64), device: Str(16), source: Str(64), family: z.enum(['v4', 'v6']), mtu: u64 }).loose();
export const RoutesReply = z.object({ Routes: z.array(RouteReply).max(1024) });
export const NetworkStatsReply = z.object({
  stats: z.array(z.object({
    name: Str(16), hwAddr: Str(32), rxBytes: u64, rxPackets: u64, rxErrors: u64, rxDropped: u64, txBytes: u64, txPackets: u64, txErrors: u64, txDropped: u64,
  })).max(256),
});
export type AgentInterface = z.infer<typeof InterfaceReply>;
export type AgentRoute = z.infer<typeof RouteReply>;
export type AgentNetworkStats = z.infer<typeof NetworkStatsReply>['stats'][number];

/** What the host asks UpdateInterface for. */
export interface InterfaceSpec {
  hwAddr: string;
  name: string;
  mtu: number;
  ips: { address: string; prefix: number }[];
}

export interface RouteSpec {
  dest: string;
  gateway: string;
  device: string;
}

export function interfaceMessage(i: InterfaceSpec): Record<string, unknown> {
  return {
    device: '', name: i.name, mtu: i.mtu, hwAddr: i.hwAddr, devicePath: '', type: '', rawFlags: 0,
    IPAddresses: i.ips.map((a) => ({ family: a.address.includes(':') ? 'v6' : 'v4', address: a.address, mask: String(a.prefix) })),
  };
}

export function routeMessage(r: RouteSpec): Record<string, unknown> {
  return { dest: r.dest, gateway: r.gateway, device: r.device, source: '', scope: 0, family: r.gateway.includes(':') || r.dest.includes(':') ? 'v6' : 'v4', flags: 0, mtu: 0 };
}
