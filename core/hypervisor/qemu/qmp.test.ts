import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { VesselError } from '../../contract/index.js';
import { QmpClient, type QmpEvent } from './qmp.js';

// A fake QMP server on a temp unix socket: a protocol test of the client
// (framing, handshake, ids, errors, events), not a model of QEMU.

const GREETING = { QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 }, package: 'Debian 1:7.2+dfsg-7' }, capabilities: ['oob'] } };

interface Command { execute: string; arguments?: Record<string, unknown>; id?: string | number }
type Handler = (command: Command, reply: (message: unknown) => void, socket: Socket) => void;

function send(socket: Socket, message: unknown): void {
  socket.write(`${JSON.stringify(message)}\r\n`);
}

function event(name: string, data?: Record<string, unknown>): unknown {
  return { event: name, ...(data ? { data } : {}), timestamp: { seconds: 1700000000, microseconds: 42 } };
}

/** Default behaviour: a tiny QEMU that knows status, stop, cont and quit. */
function qemuLike(): Handler {
  let status = 'running';
  return (command, reply, socket) => {
    switch (command.execute) {
      case 'qmp_capabilities': return reply({ return: {}, id: command.id });
      case 'query-status': return reply({ return: { status, singlestep: false, running: status === 'running' }, id: command.id });
      case 'stop': status = 'paused'; reply({ return: {}, id: command.id }); return send(socket, event('STOP'));
      case 'cont': status = 'running'; reply({ return: {}, id: command.id }); return send(socket, event('RESUME'));
      case 'quit': reply({ return: {}, id: command.id }); send(socket, event('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' })); socket.end(); return;
      default: return reply({ error: { class: 'CommandNotFound', desc: `The command ${command.execute} has not been found` }, id: command.id });
    }
  };
}

describe('QmpClient', () => {
  let dir = '';
  let socketPath = '';
  let server: Server | null = null;
  let received: Command[] = [];
  const clients: QmpClient[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vessel-qmp-'));
    socketPath = join(dir, 'qmp.sock');
    received = [];
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = null;
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(handler: Handler, options: { greeting?: unknown; onConnect?: (socket: Socket) => void } = {}): Promise<void> {
    server = createServer((socket) => {
      options.onConnect?.(socket);
      if (options.greeting !== null) send(socket, options.greeting ?? GREETING);
      let buffer = '';
      socket.on('data', (chunk) => {
        buffer += chunk.toString('utf8');
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          const command = JSON.parse(line) as Command;
          received.push(command);
          handler(command, (message) => send(socket, message), socket);
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server?.listen(socketPath, resolve));
  }

  async function connect(options: { timeoutMs?: number; commandTimeoutMs?: number } = {}): Promise<QmpClient> {
    const client = await QmpClient.connect(socketPath, options);
    clients.push(client);
    return client;
  }

  async function rejection(promise: Promise<unknown>): Promise<VesselError> {
    const err = await promise.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(VesselError);
    return err as VesselError;
  }

  it('reads the greeting, negotiates capabilities, and queries status', async () => {
    await serve(qemuLike());
    const qmp = await connect();
    expect(qmp.greeting.QMP.version.qemu).toEqual({ major: 7, minor: 2, micro: 22 });
    expect(received[0]).toEqual({ execute: 'qmp_capabilities', id: expect.any(String) as string });
    expect(await qmp.queryStatus()).toEqual({ status: 'running', singlestep: false, running: true });
    expect(received[1]).toMatchObject({ execute: 'query-status' });
    expect(received[1]?.id).not.toEqual(received[0]?.id);
  });

  it('stop and cont change the status and deliver STOP and RESUME events', async () => {
    await serve(qemuLike());
    const qmp = await connect();
    const events: QmpEvent[] = [];
    qmp.on('event', (e) => events.push(e));
    const stopped = qmp.waitForEvent('STOP', 1_000);
    await qmp.stop();
    expect((await stopped).timestamp).toEqual({ seconds: 1700000000, microseconds: 42 });
    expect((await qmp.queryStatus()).status).toBe('paused');
    await qmp.cont();
    expect((await qmp.queryStatus()).running).toBe(true);
    expect(events.map((e) => e.event)).toEqual(['STOP', 'RESUME']);
  });

  it('quit resolves and the SHUTDOWN event and close arrive', async () => {
    await serve(qemuLike());
    const qmp = await connect();
    const shutdown = qmp.waitForEvent('SHUTDOWN', 1_000);
    const closed = new Promise<void>((resolve) => qmp.once('close', resolve));
    await qmp.quit();
    expect((await shutdown).data).toEqual({ guest: false, reason: 'host-qmp-quit' });
    await closed;
    expect(qmp.closed).toBe(true);
  });

  it('quit succeeds when QEMU hangs up without replying', async () => {
    await serve((command, reply, socket) => (command.execute === 'quit' ? socket.destroy() : reply({ return: {}, id: command.id })));
    const qmp = await connect();
    await qmp.quit();
  });

  it('passes arguments and validates typed replies', async () => {
    await serve((command, reply) => {
      if (command.execute === 'query-pci') reply({ return: [{ bus: 0, devices: [{ slot: 3, qdev_id: 'rng0' }] }], id: command.id });
      else reply({ return: {}, id: command.id });
    });
    const qmp = await connect();
    await qmp.execute('device_add', { driver: 'virtio-rng-pci', id: 'rng1', bus: 'pcie.0' });
    expect(received.at(-1)).toMatchObject({ execute: 'device_add', arguments: { driver: 'virtio-rng-pci', id: 'rng1', bus: 'pcie.0' } });
    const PciBus = z.object({ bus: z.number(), devices: z.array(z.object({ slot: z.number(), qdev_id: z.string() })) });
    const buses = await qmp.execute('query-pci', undefined, z.array(PciBus));
    expect(buses[0]?.devices[0]?.qdev_id).toBe('rng0');
    const err = await rejection(qmp.execute('query-pci', undefined, z.array(z.object({ bus: z.string() }))));
    expect(err.code).toBe('E_HYPERVISOR');
    expect(err.message).toMatch(/unexpected QMP reply to query-pci/);
  });

  it('turns a QMP error into E_HYPERVISOR carrying QEMU’s description', async () => {
    await serve(qemuLike());
    const qmp = await connect();
    const err = await rejection(qmp.execute('device_del', { id: 'nope' }));
    expect(err.code).toBe('E_HYPERVISOR');
    expect(err.message).toBe('QMP device_del failed: The command device_del has not been found (CommandNotFound)');
    expect(err.details).toMatchObject({ qmpClass: 'CommandNotFound' });
    expect((await qmp.queryStatus()).status).toBe('running'); // the session survives an error
  });

  it('matches replies by id even when they arrive out of order, and handles split and joined frames', async () => {
    const held: Array<() => void> = [];
    await serve((command, reply, socket) => {
      if (command.execute === 'qmp_capabilities') return reply({ return: {}, id: command.id });
      const message = JSON.stringify({ return: { name: command.execute }, id: command.id });
      held.push(() => {
        // Split one frame across two writes.
        socket.write(message.slice(0, 5));
        setTimeout(() => socket.write(`${message.slice(5)}\r\n`), 5);
      });
      if (held.length === 2) {
        held[1]?.();
        setTimeout(() => held[0]?.(), 20);
      }
    });
    const qmp = await connect();
    const first = qmp.execute('first');
    const second = qmp.execute('second');
    expect(await Promise.all([first, second])).toEqual([{ name: 'first' }, { name: 'second' }]);
  });

  it('an event and a reply in one chunk are both delivered', async () => {
    await serve((command, _reply, socket) => {
      socket.write(`${JSON.stringify(event('RTC_CHANGE', { offset: 1 }))}\r\n${JSON.stringify({ return: {}, id: command.id })}\r\n`);
    });
    const events: string[] = [];
    const client = await QmpClient.connect(socketPath);
    clients.push(client);
    client.on('event', (e) => events.push(e.event));
    await client.execute('anything');
    // (The server sent one during the handshake too, before anyone could listen.)
    expect(events).toEqual(['RTC_CHANGE']);
  });

  it('times out a command QEMU never answers with E_TIMEOUT', async () => {
    await serve((command, reply) => { if (command.execute === 'qmp_capabilities') reply({ return: {}, id: command.id }); });
    // Long enough for the capabilities handshake on a loaded machine (the same timeout covers it).
    const qmp = await connect({ commandTimeoutMs: 1_000 });
    const err = await rejection(qmp.execute('query-status'));
    expect(err.code).toBe('E_TIMEOUT');
    expect(err.message).toMatch(/QMP query-status got no reply within 1000 ms/);
  });

  it('fails to connect to a missing socket with E_HYPERVISOR', async () => {
    const err = await rejection(QmpClient.connect(join(dir, 'missing.sock'), { timeoutMs: 500 }));
    expect(err.code).toBe('E_HYPERVISOR');
    expect(err.message).toMatch(/cannot connect to QMP at .*missing\.sock: ENOENT/);
  });

  it('times out when no greeting comes (another client holds the monitor)', async () => {
    await serve(qemuLike(), { greeting: null });
    const err = await rejection(QmpClient.connect(socketPath, { timeoutMs: 200 }));
    expect(err.code).toBe('E_TIMEOUT');
    expect(err.message).toMatch(/another client/);
  });

  it('rejects a peer that does not speak QMP', async () => {
    await serve(qemuLike(), { greeting: { hello: 'not qmp' } });
    const err = await rejection(QmpClient.connect(socketPath, { timeoutMs: 500 }));
    expect(err.code).toBe('E_HYPERVISOR');
    expect(err.message).toMatch(/expected a QMP greeting/);
  });

  it('rejects pending commands when the connection drops, and later calls fail fast', async () => {
    await serve((command, reply, socket) => (command.execute === 'qmp_capabilities' ? reply({ return: {}, id: command.id }) : socket.destroy()));
    const qmp = await connect();
    const err = await rejection(qmp.queryStatus());
    expect(err.code).toBe('E_HYPERVISOR');
    expect(err.message).toMatch(/closed before query-status was answered/);
    expect((await rejection(qmp.stop())).message).toMatch(/closed/);
  });

  it('invalid JSON from the server ends the session with E_HYPERVISOR', async () => {
    await serve((command, reply, socket) => (command.execute === 'qmp_capabilities' ? reply({ return: {}, id: command.id }) : socket.write('{not json\r\n')));
    const qmp = await connect();
    const err = await rejection(qmp.queryStatus());
    expect(err.message).toMatch(/QMP sent invalid JSON/);
  });
});
