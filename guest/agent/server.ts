// The agent's gRPC server and its virtio-serial transport. A host process may
// disconnect at any time and a new one connect later (the app restarted and
// restored its sandboxes): each host connection gets a fresh HTTP/2 session
// on the same long-lived gRPC server.
import * as grpc from '@grpc/grpc-js';
import type { Duplex } from 'node:stream';
import { loadAgentProto, MAX_AGENT_MESSAGE_BYTES } from '../../core/agent/proto/index.js';
import { PortDemux } from './demux.js';
import type { ContainerEngine } from './engine.js';
import { createHandlers } from './handlers.js';
import type { GuestNetwork } from './network.js';
import { log } from './log.js';
import { AGENT_PORT_NAME, AgentPort, waitForPortDevice } from './port.js';
import type { GuestSystem } from './system.js';
import { AGENT_VERSION } from './version.js';

export function createAgentServer(system: GuestSystem, engine: ContainerEngine | null = null, net: GuestNetwork | null = null): { server: grpc.Server; inject: (c: Duplex) => void } {
  const proto = loadAgentProto();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_AGENT_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_AGENT_MESSAGE_BYTES,
  });
  const { health, agent } = createHandlers(system, { sandboxId: null }, engine, net);
  server.addService(proto.vessel.agent.v1.Health.service, health);
  server.addService(proto.vessel.agent.v1.AgentService.service, agent);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  return { server, inject: (c) => injector.injectConnection(c) };
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
