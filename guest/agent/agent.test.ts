import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SANDBOX_ID_PATTERN } from '../../core/contract/index.js';
// eslint-disable-next-line no-restricted-imports -- test only: the host client against the real agent server, no VM
import { AgentClient } from '../../core/agent/index.js';
import { HTTP2_PREFACE, Http2StreamSplitter, PortDemux } from './demux.js';
import { GUEST_SANDBOX_ID_PATTERN } from './handlers.js';
import { createAgentServer } from './server.js';
import { countCpuList, parseMemTotalKiB, parseUptimeMs, type GuestSystem } from './system.js';

function frame(type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h.writeUInt8(type, 3);
  return Buffer.concat([h, payload]);
}

describe('HTTP/2 stream splitter', () => {
  it('starts a connection at the preface and drops bytes before it', () => {
    const s = new Http2StreamSplitter();
    const segs = s.feed(Buffer.concat([Buffer.from('junk'), HTTP2_PREFACE, frame(4, Buffer.alloc(6))]));
    expect(segs).toHaveLength(1);
    expect(segs[0]?.newConnection).toBe(true);
    expect(segs[0]?.data.length).toBe(HTTP2_PREFACE.length + 15);
  });

  it('spots a new preface at a frame boundary (the next host process) even within one chunk', () => {
    const s = new Http2StreamSplitter();
    const first = Buffer.concat([HTTP2_PREFACE, frame(4, Buffer.alloc(0)), frame(0, Buffer.from('hello'))]);
    const second = Buffer.concat([HTTP2_PREFACE, frame(4, Buffer.alloc(0))]);
    const segs = s.feed(Buffer.concat([first, second]));
    expect(segs.map((x) => [x.newConnection, x.data.length])).toEqual([[true, first.length], [true, second.length]]);
  });

  it('handles frames and prefaces split across arbitrary chunk boundaries', () => {
    const stream = Buffer.concat([HTTP2_PREFACE, frame(1, Buffer.alloc(100, 7)), frame(0, Buffer.alloc(3)), HTTP2_PREFACE, frame(4, Buffer.alloc(12))]);
    for (const step of [1, 2, 5, 9, 23, 24, 25]) {
      const s = new Http2StreamSplitter();
      const out: { n: boolean; d: Buffer }[] = [];
      for (let i = 0; i < stream.length; i += step) for (const seg of s.feed(stream.subarray(i, i + step))) out.push({ n: seg.newConnection, d: seg.data });
      expect(out.filter((o) => o.n)).toHaveLength(2);
      expect(Buffer.concat(out.map((o) => o.d)).equals(stream)).toBe(true);
    }
  });

  it('resynchronises after garbage (an oversized frame header)', () => {
    const s = new Http2StreamSplitter();
    s.feed(HTTP2_PREFACE);
    const segs = s.feed(Buffer.concat([Buffer.from([0x7f, 0xff, 0xff, 0, 0, 0, 0, 0, 0]), Buffer.from('zzz'), HTTP2_PREFACE]));
    expect(segs).toEqual([{ newConnection: true, data: HTTP2_PREFACE }]);
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
    const demux = new PortDemux((data, done) => sock.write(data, (e) => done(e ?? null)), inject);
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

describe('Http2StreamSplitter: a host that left mid-frame', () => {
  it('a new preface inside what looked like a frame payload starts a new connection', () => {
    const s = new Http2StreamSplitter();
    // Host A: preface, then a frame header announcing 100 payload bytes, of which only 10 arrive.
    const partial = Buffer.concat([Buffer.from([0, 0, 100, 0, 0, 0, 0, 0, 1]), Buffer.alloc(10)]);
    const a = s.feed(Buffer.concat([HTTP2_PREFACE, partial]));
    expect(a[0]?.newConnection).toBe(true);
    // Host B arrives; its preface is split across two reads.
    const b = Buffer.concat([HTTP2_PREFACE, Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);
    const segs = [...s.feed(b.subarray(0, 7)), ...s.feed(b.subarray(7))];
    const fresh = segs.filter((x) => x.newConnection);
    expect(fresh).toHaveLength(1);
    const after = Buffer.concat(segs.slice(segs.indexOf(fresh[0]!)).map((x) => x.data));
    expect(after.equals(b)).toBe(true);
  });
});
