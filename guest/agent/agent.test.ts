import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SANDBOX_ID_PATTERN } from '../../core/contract/index.js';
// eslint-disable-next-line no-restricted-imports -- test only: the host client against the real agent server, no VM
import { AgentClient } from '../../core/agent/index.js';
import { HelloSplitter, PortDemux } from './demux.js';
import { GUEST_SANDBOX_ID_PATTERN } from './handlers.js';
import { createAgentServer } from './server.js';
import { countCpuList, parseMemTotalKiB, parseUptimeMs, type GuestSystem } from './system.js';

const hello = (n: number): Buffer => Buffer.from(`\0vessel-hello ${n.toString(16).padStart(32, '0')}\n`, 'latin1');

/** Feed a stream in steps of `step` bytes; return the connections found, each with its bytes. */
function split(stream: Buffer, step: number): { hello: string; data: Buffer }[] {
  const s = new HelloSplitter();
  const conns: { hello: string; data: Buffer[] }[] = [];
  for (let i = 0; i < stream.length; i += step) {
    for (const seg of s.feed(stream.subarray(i, i + step))) {
      if (seg.hello) conns.push({ hello: seg.hello.toString('latin1'), data: [] });
      conns.at(-1)?.data.push(seg.data);
    }
  }
  return conns.map((c) => ({ hello: c.hello, data: Buffer.concat(c.data) }));
}

describe('hello splitter (one port, many host connections in turn)', () => {
  it('drops bytes before the first hello and starts a connection at each hello, whatever the chunking', () => {
    const stream = Buffer.concat([Buffer.from('stale bytes of a host the agent never greeted'), hello(1), Buffer.from('PRI * HTTP/2.0 first'), hello(2), Buffer.from('second host'), hello(3)]);
    for (const step of [1, 2, 5, 13, 46, 47, 48, 1000]) {
      const conns = split(stream, step);
      expect(conns.map((c) => c.hello)).toEqual([hello(1), hello(2), hello(3)].map((h) => h.toString('latin1')));
      // A hello split across reads: its first part went to the connection it ends.
      expect(conns[0]?.data.subarray(0, 20).toString()).toBe('PRI * HTTP/2.0 first');
      expect(conns[1]?.data.subarray(0, 11).toString()).toBe('second host');
      expect(conns[2]?.data.length).toBe(0);
      if (step >= 1000) expect(conns.map((c) => c.data.length)).toEqual([20, 11, 0]);
    }
  });

  it('a host that left mid-message: the next hello still starts a new connection', () => {
    const partialFrame = Buffer.from([0, 0, 100, 0, 0, 0, 0, 0, 1, 9, 9]);
    for (const step of [7, 1000]) {
      const conns = split(Buffer.concat([hello(7), partialFrame, hello(8), Buffer.from('x')]), step);
      expect(conns.map((c) => c.hello)).toEqual([hello(7), hello(8)].map((h) => h.toString('latin1')));
      expect(conns[0]?.data.subarray(0, partialFrame.length).equals(partialFrame)).toBe(true);
      expect(conns[1]?.data.toString()).toBe('x');
    }
  });

  it('something that only looks like a hello is data, and no byte is held back', () => {
    const fake = Buffer.from('\0vessel-hello not-a-nonce-at-all-not-a-nonce-at-all\n', 'latin1');
    const body = Buffer.concat([fake, Buffer.from('\0vessel-hel', 'latin1')]);
    for (const step of [3, 1000]) {
      const conns = split(Buffer.concat([hello(1), body]), step);
      expect(conns).toHaveLength(1);
      expect(conns[0]?.data.equals(body)).toBe(true);
    }
  });
});

describe('guest system parsing', () => {
  it('parses cpu lists, meminfo and uptime', () => {
    expect(countCpuList('0\n')).toBe(1);
    expect(countCpuList('0-3,5,7-8')).toBe(7);
    expect(parseMemTotalKiB('MemTotal:         468416 kB\nMemFree: 1 kB\n')).toBe(468416);
    expect(parseUptimeMs('12.34 5.00\n')).toBe(12340);
    expect(() => parseUptimeMs('x')).toThrow();
  });

  it('uses the same sandbox ID rule as the API contract', () => {
    expect(GUEST_SANDBOX_ID_PATTERN.source).toBe(SANDBOX_ID_PATTERN.source);
  });
});

/** A host-side stand-in for the virtio-serial port: a unix socket whose connections feed one PortDemux. */
function fakePortServer(socketPath: string, inject: (c: import('node:stream').Duplex) => void): net.Server {
  return net.createServer((sock) => {
    const demux = new PortDemux({ write: (data, done) => sock.write(data, (e) => done(e ?? null)), newEpoch: () => undefined }, inject);
    sock.on('data', (d: Buffer) => demux.data(d));
    sock.on('close', () => demux.hostGone());
    sock.on('error', () => demux.hostGone());
  });
}

describe('agent server with the host client (unix socket stands in for the virtio port; no VM)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => { while (cleanups.length) cleanups.pop()?.(); });

  const system: GuestSystem & { hostname: string; time: number } = {
    hostname: '',
    time: 0,
    kernelRelease: () => '6.1.0-test',
    memTotalKiB: () => 524288,
    onlineCpus: () => 2,
    uptimeMs: () => 4242,
    setHostname(name) { this.hostname = name; return Promise.resolve(); },
    setDateTime(sec) { this.time = sec; return Promise.resolve(); },
  };

  async function start(): Promise<string> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-agent-'));
    const sock = path.join(dir, 'agent.sock');
    const { server, inject } = createAgentServer(system);
    const port = fakePortServer(sock, inject);
    await new Promise<void>((r) => port.listen(sock, r));
    cleanups.push(() => { port.close(); server.forceShutdown(); rmSync(dir, { recursive: true, force: true }); });
    return sock;
  }

  it('answers every RPC, validates requests, and serves a second client after the first leaves', async () => {
    const sock = await start();
    const a = await AgentClient.connect({ kind: 'unix', path: sock }, { timeoutMs: 5000 });
    expect(await a.check()).toBe('SERVING');
    expect(await a.getGuestDetails()).toMatchObject({ kernelRelease: '6.1.0-test', memoryKiB: 524288, cpus: 2, uptimeMs: 4242 });
    await a.setGuestDateTime(new Date(1_700_000_000_500));
    expect(system.time).toBe(1_700_000_000);
    await a.createSandbox('sb-1', 'web-1');
    expect(system.hostname).toBe('web-1');
    await expect(a.createSandbox('sb-2', 'x')).rejects.toMatchObject({ code: 'E_ALREADY_EXISTS' });
    await expect(a.createSandbox('../etc', 'x')).rejects.toThrow(/sandbox_id/);
    await expect(a.destroySandbox('nope')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    // This server has no container engine: container RPCs say so, the client validates before sending.
    await expect(a.startContainer('c1')).rejects.toMatchObject({ code: 'E_AGENT' });
    await expect(a.startContainer('../c1')).rejects.toMatchObject({ code: 'E_INVALID_ID' });
    await expect(a.signalProcess('c1', '', 99)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await a.destroySandbox('sb-1');
    a.close();

    const b = await AgentClient.connect({ kind: 'unix', path: sock }, { timeoutMs: 5000 });
    expect(await b.check()).toBe('SERVING');
    expect((await b.version()).agentVersion).toBeTruthy();
    b.close();
    await expect(b.check()).rejects.toMatchObject({ code: 'E_INVALID_STATE' });
  });

  it('times out with E_TIMEOUT when nothing answers', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-agent-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(path.join(dir, 's.sock'), r));
    cleanups.push(() => silent.close());
    const t0 = Date.now();
    await expect(AgentClient.connect({ kind: 'unix', path: path.join(dir, 's.sock') }, { timeoutMs: 800 })).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('says vsock is unsupported instead of pretending', async () => {
    await expect(AgentClient.connect({ kind: 'vsock', cid: 3, port: 1024 }, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
  });
});
