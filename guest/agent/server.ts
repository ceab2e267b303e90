// The agent's gRPC server and its virtio-serial transport. A host process may
// disconnect at any time and a new one connect later (the app restarted and
// restored its sandboxes): each host connection gets a fresh HTTP/2 session
// on the same long-lived server (rpc-server.ts).
import type { Duplex } from 'node:stream';
import { PortDemux } from './demux.js';
import type { ContainerEngine } from './engine.js';
import { createHandlers } from './handlers.js';
import type { GuestNetwork } from './network.js';
import { log } from './log.js';
import { RpcServer } from './rpc-server.js';
import { Status } from '../../core/agent/proto/status.js';
import { AGENT_PORT_NAME, AgentPort, waitForPortDevice } from './port.js';
import type { GuestSystem } from './system.js';
import { AGENT_VERSION } from './version.js';

export function createAgentServer(system: GuestSystem, engine: ContainerEngine | null = null, net: GuestNetwork | null = null): { server: RpcServer; inject: (c: Duplex) => void } {
  // Handlers log their own failures (unary()); this logs the protocol's (unknown method, bad frame, deadline).
  const server = new RpcServer(({ rpc, code, message }) => {
    if (code !== Status.DEADLINE_EXCEEDED) log('warn', 'rpc refused', { rpc, code, err: message.slice(0, 200) });
  });
  const { health, agent } = createHandlers(system, { sandboxId: null }, engine, net);
  server.addService('vessel.agent.v1.Health', health);
  server.addService('vessel.agent.v1.AgentService', agent);
  return { server, inject: (c) => server.inject(c) };
}

/** Serve the port for the agent's life: one open port, one demux, hosts come and go. */
export async function serveVirtioSerial(inject: (c: Duplex) => void, boot: { mainStartedAt: number; codeCache: string }): Promise<void> {
  const device = await waitForPortDevice(AGENT_PORT_NAME, () => log('warn', 'waiting for port', { name: AGENT_PORT_NAME }));
  let demux: PortDemux | null = null;
  const port = AgentPort.open(device, {
    data: (chunk) => demux?.data(chunk),
    hostGone: () => {
      if (demux?.active) log('info', 'host disconnected');
      demux?.hostGone();
    },
    error: (err) => log('error', 'port read failed', { dev: device, err: String(err) }),
    writeError: (err) => log('error', 'port write failed', { dev: device, err: String(err) }),
  });
  demux = new PortDemux(port, (c) => {
    log('info', 'host connected');
    inject(c);
  }, (why) => log('warn', 'the agent server left a host connection', { why: why.slice(0, 300) }));
  const nt = performance.nodeTiming;
  // Startup milestones (ms since process start) to keep boot time honest.
  log('info', 'agent ready', { dev: device, version: AGENT_VERSION, v8: Math.round(nt.v8Start), boot: Math.round(nt.bootstrapComplete), main: boot.mainStartedAt, cache: boot.codeCache });
}
