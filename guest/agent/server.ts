// The agent's gRPC server and its virtio-serial transport. A host process may
// disconnect at any time and a new one connect later (the app restarted and
// restored its sandboxes): each host connection gets a fresh HTTP/2 session
// on the same long-lived gRPC server.
import * as grpc from '@grpc/grpc-js';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadAgentProto, MAX_AGENT_MESSAGE_BYTES } from '../../core/agent/proto/index.js';
import { PortDemux } from './demux.js';
import type { ContainerEngine } from './engine.js';
import { createHandlers } from './handlers.js';
import { log } from './log.js';
import { AGENT_PORT_NAME, openPort, waitForPortDevice } from './port.js';
import type { GuestSystem } from './system.js';
import { AGENT_VERSION } from './version.js';

export function createAgentServer(system: GuestSystem, engine: ContainerEngine | null = null): { server: grpc.Server; inject: (c: Duplex) => void } {
  const proto = loadAgentProto();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_AGENT_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_AGENT_MESSAGE_BYTES,
  });
  const { health, agent } = createHandlers(system, { sandboxId: null }, engine);
  server.addService(proto.vessel.agent.v1.Health.service, health);
  server.addService(proto.vessel.agent.v1.AgentService.service, agent);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  return { server, inject: (c) => injector.injectConnection(c) };
}

/** Serve the port forever: reopen it whenever the host side goes away. */
export async function serveVirtioSerial(inject: (c: Duplex) => void, boot: { mainStartedAt: number; codeCache: string }): Promise<never> {
  const device = await waitForPortDevice(AGENT_PORT_NAME, () => log('warn', 'waiting for port', { name: AGENT_PORT_NAME }));
  let announced = false;
  for (;;) {
    let port;
    try {
      port = openPort(device);
    } catch (err) {
      log('error', 'open port failed', { dev: device, err: String(err) });
      await sleep(200);
      continue;
    }
    if (!announced) {
      announced = true;
      const nt = performance.nodeTiming;
      // Startup milestones (ms since process start) to keep boot time honest.
      log('info', 'agent ready', { dev: device, io: port.kind, version: AGENT_VERSION, v8: Math.round(nt.v8Start), boot: Math.round(nt.bootstrapComplete), main: boot.mainStartedAt, cache: boot.codeCache });
    }
    const demux = new PortDemux((data, done) => port.write(data, done), (c) => {
      log('info', 'host connected');
      inject(c);
    });
    port.onData((chunk) => demux.data(chunk));
    await new Promise<void>((resolve) => port.onEnd(resolve));
    port.close();
    if (demux.connections > 0) log('info', 'host disconnected');
    demux.hostGone();
    // No host: reads return 0 at once, so poll gently until one connects.
    await sleep(20);
  }
}

