// The channel owner in this process, in front of the real guest agent server
// (its gRPC handlers and its hello demux, as in the VM), reached over a unix
// socket that stands in for QEMU's virtio-serial chardev. No VM: the
// integration test (channel.int.test.ts) does the same on real QEMU.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
/* eslint-disable no-restricted-imports -- test only: the real guest agent server behind the owner, no VM */
import { PortDemux } from '../../../guest/agent/demux.js';
import { serveIoConnection, type IoEngine } from '../../../guest/agent/io-server.js';
import type { OutputSource } from '../../../guest/agent/stream-buffer.js';
import { createAgentServer } from '../../../guest/agent/server.js';
import type { GuestSystem } from '../../../guest/agent/system.js';
/* eslint-enable no-restricted-imports */
import { readProcStartTime } from '../../util/proc.js';
import { AgentClient } from '../client.js';
import { DEFAULT_WINDOW, GRANT_BATCH } from '../proto/io-mux.js';
import { setChannelPaused } from './launch.js';
import { ChannelOwner, channelAnswers, channelPaths, readClaim } from './owner.js';

const system: GuestSystem = {
  kernelRelease: () => '6.1.0-test',
  memTotalKiB: () => 524288,
  onlineCpus: () => 2,
  uptimeMs: () => 4242,
  setHostname: () => Promise.resolve(),
  setDateTime: () => Promise.resolve(),
};

/** QEMU's chardev: a unix socket server taking one host connection at a time, bytes to and from the guest's demux. */
function fakeChardev(socketPath: string, inject = createAgentServer(system).inject): { server: net.Server; connections: () => number; dropHost: () => void; goSilent: () => void } {
  let connections = 0;
  let current: net.Socket | null = null;
  let silent: net.Socket | null = null;
  const server = net.createServer({ pauseOnConnect: false }, (sock) => {
    connections += 1;
    current = sock;
    const demux = new PortDemux({ write: (d, done) => sock.write(d, (err) => done(err ?? null)), newEpoch: () => undefined }, inject);
    // goSilent: the guest gave up on this connection without a word (what a failed port write did); the socket stays open.
    sock.on('data', (d: Buffer) => {
      if (silent !== sock) demux.data(d);
    });
    sock.on('close', () => demux.hostGone());
    sock.on('error', () => undefined);
  });
  server.maxConnections = 1;
  server.listen(socketPath);
  return { server, connections: () => connections, dropHost: () => current?.destroy(), goSilent: () => (silent = current) };
}

async function waitUntil(cond: () => boolean, ms = 5_000): Promise<void> {
  for (let i = 0; i < ms / 10 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A process's output as the guest engine holds it: `total` bytes (a counting pattern), read from any offset; stdin collected. */
class FakeEngine implements IoEngine {
  readOffset = 0;
  stdin: Buffer[] = [];
  stdinClosed = false;
  constructor(private readonly total: number) {}
  byteAt(i: number): number {
    return (i * 7 + 3) & 0xff;
  }
  acked = 0;
  /** Containers whose output never comes (a reader of theirs waits for ever). */
  readonly silent = new Set<string>();
  outputSource(c: string): OutputSource {
    const end = this.silent.has(c) ? 0 : this.total;
    return {
      end,
      readAhead: (ack, offset, maxBytes) => {
        this.acked = Math.max(this.acked, ack);
        const n = Math.max(0, Math.min(maxBytes, end - offset));
        const data = Buffer.alloc(n);
        for (let i = 0; i < n; i++) data[i] = this.byteAt(offset + i);
        this.readOffset = Math.max(this.readOffset, offset + n);
        return { offset, data, eof: end > 0 && offset + n >= end };
      },
      watch: () => () => undefined,
    };
  }
  writeStdin(_c: string, _e: string, data: Buffer): Promise<number> {
    this.stdin.push(data);
    return Promise.resolve(data.length);
  }
  closeStdin(): void {
    this.stdinClosed = true;
  }
  readonly closedOutputs: string[] = [];
  closeOutput(c: string, e: string, which: string): void {
    this.closedOutputs.push(`${c}/${e}/${which}`);
  }
}

async function setUp(engine?: IoEngine, liveness?: { everyMs: number; timeoutMs: number }): Promise<{ dir: string; owner: ChannelOwner; chardev: ReturnType<typeof fakeChardev>; ioChardev: ReturnType<typeof fakeChardev> | null; socket: string; ioSocket: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-chan-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const agentSocket = path.join(dir, 'agent.sock');
  const chardev = fakeChardev(agentSocket);
  cleanups.push(() => chardev.server.close());
  const { socket, pidFile, ioSocket } = channelPaths(dir);
  let io: { upstream: string; listen: string } | undefined;
  let ioChardev: ReturnType<typeof fakeChardev> | null = null;
  if (engine) {
    const upstream = path.join(dir, 'io.sock');
    const ioc = fakeChardev(upstream, (conn) => serveIoConnection(engine, conn));
    ioChardev = ioc;
    cleanups.push(() => ioc.server.close());
    io = { upstream, listen: ioSocket };
  }
  // This test process plays QEMU: the owner watches it, and it stays alive.
  const { pausedFile } = channelPaths(dir);
  const owner = new ChannelOwner({ agentSocket, listen: socket, ...(io ? { io } : {}), pidFile, pausedFile, ...(liveness ? { liveness } : {}), qemuPid: process.pid, qemuStartTime: readProcStartTime(process.pid) ?? 0, log: () => undefined });
  expect(await owner.start()).toBe(true);
  cleanups.push(() => owner.stop('test done'));
  return { dir, owner, chardev, ioChardev, socket, ioSocket };
}

describe('agent channel owner (real guest agent server behind a stand-in chardev, no VM)', () => {
  it('serves many clients at once over one guest connection; each gets its own answers', async () => {
    const { chardev, socket } = await setUp();
    const clients = await Promise.all(Array.from({ length: 20 }, () => AgentClient.connect({ kind: 'channel', path: socket }, { timeoutMs: 10_000 })));
    cleanups.push(() => clients.forEach((c) => c.close()));
    const answers = await Promise.all(clients.flatMap((c) => [c.check(), c.getGuestDetails().then((d) => d.kernelRelease)]));
    expect(answers.filter((a) => a === 'SERVING')).toHaveLength(20);
    expect(answers.filter((a) => a === '6.1.0-test')).toHaveLength(20);
    // The guest saw exactly one host connection.
    expect(chardev.connections()).toBe(1);
  });

  it('a client that goes away mid-call leaves the channel usable for the others', async () => {
    const { socket } = await setUp();
    const a = await AgentClient.connect({ kind: 'channel', path: socket }, { timeoutMs: 10_000 });
    const b = await AgentClient.connect({ kind: 'channel', path: socket }, { timeoutMs: 10_000 });
    cleanups.push(() => { a.close(); b.close(); });
    const pending = Promise.all(Array.from({ length: 10 }, () => a.getGuestDetails().catch((e: unknown) => e)));
    a.close();
    await pending;
    for (let i = 0; i < 5; i++) expect(await b.check()).toBe('SERVING');
    const c = await AgentClient.connect({ kind: 'channel', path: socket }, { timeoutMs: 10_000 });
    cleanups.push(() => c.close());
    expect(await c.check()).toBe('SERVING');
  });

  it('guest errors keep their gRPC status through the owner (trailers pass through)', async () => {
    const { socket } = await setUp();
    const c = await AgentClient.connect({ kind: 'channel', path: socket }, { timeoutMs: 10_000 });
    cleanups.push(() => c.close());
    // No container engine in this guest: the container RPCs answer with an error status, not a hang.
    await expect(c.statsContainer('nope')).rejects.toMatchObject({ code: expect.stringMatching(/^E_/) as unknown as string });
    expect(await c.check()).toBe('SERVING');
  });

  it('claims the sandbox with a pidfile: a second owner is refused, and stop removes socket and pidfile', async () => {
    const { dir, owner, socket } = await setUp();
    expect(readClaim(channelPaths(dir).pidFile)?.pid).toBe(process.pid);
    expect(await channelAnswers(dir)).not.toBeNull();
    const second = new ChannelOwner({ agentSocket: path.join(dir, 'agent.sock'), listen: socket, pidFile: channelPaths(dir).pidFile, qemuPid: process.pid, qemuStartTime: readProcStartTime(process.pid) ?? 0, log: () => undefined });
    expect(await second.start()).toBe(false);
    owner.stop('test');
    expect(await owner.exited).toBe('test');
    expect(await channelAnswers(dir)).toBeNull();
    expect(readClaim(channelPaths(dir).pidFile)).toBeNull();
  });

  it('data plane: output streams through the owner in order, a slow reader holds the guest back (bounded), stdin arrives in order', async () => {
    process.env.VESSEL_DATA_PLANE_READS = '1';
    cleanups.push(() => delete process.env.VESSEL_DATA_PLANE_READS);
    const total = 12 * 1024 * 1024;
    const engine = new FakeEngine(total);
    const { socket, ioSocket } = await setUp(engine);
    await waitUntil(() => existsSync(ioSocket));
    const c = await AgentClient.connect({ kind: 'channel', path: socket, ioPath: ioSocket }, { timeoutMs: 10_000 });
    cleanups.push(() => c.close());
    let got = 0;
    let bad = -1;
    let maxAhead = 0;
    for await (const chunk of c.readStream('ctr', 'ctr', 'stdout')) {
      for (let i = 0; i < chunk.length; i++) if (chunk[i] !== engine.byteAt(got + i) && bad < 0) bad = got + i;
      got += chunk.length;
      // A slow reader: what the guest has read out of the process's buffer stays within the windows in flight.
      maxAhead = Math.max(maxAhead, engine.readOffset - got);
      // The guest releases only what this reader consumed: nothing in flight is lost if it goes away.
      if (engine.acked > got) bad = Math.min(bad < 0 ? Infinity : bad, engine.acked);
      if (got % (1024 * 1024) < chunk.length) await new Promise((r) => setTimeout(r, 30));
    }
    expect(got).toBe(total);
    expect(bad).toBe(-1);
    // The client's window (the owner relays it, with none of its own) + one read of at most 1 MiB + a
    // grant batch of slack, nowhere near the 12 MiB the process wrote.
    expect(maxAhead).toBeLessThanOrEqual(DEFAULT_WINDOW + 1024 * 1024 + GRANT_BATCH);
    for (let i = 0; i < 50; i++) await c.writeStdin('ctr', 'ctr', Buffer.from(`line ${i}\n`));
    await c.closeStdin('ctr', 'ctr');
    expect(Buffer.concat(engine.stdin).toString()).toBe(Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join(''));
    expect(engine.stdinClosed).toBe(true);
    // A reader gone for good (`| head`): the guest is asked to close that output, through the owner.
    await c.closeOutput('ctr', 'ctr', 'stderr');
    expect(engine.closedOutputs).toEqual(['ctr/ctr/stderr']);
  });

  it('the guest gives up on a connection without a word: an unanswered ping ends it, the owner connects again, calls and reads work', async () => {
    process.env.VESSEL_DATA_PLANE_READS = '1';
    cleanups.push(() => delete process.env.VESSEL_DATA_PLANE_READS);
    const engine = new FakeEngine(1000);
    // Container "slow" has output that never comes: its reader keeps the data plane busy (an idle one is not pinged).
    engine.silent.add('slow');
    const { chardev, ioChardev, socket, ioSocket } = await setUp(engine, { everyMs: 50, timeoutMs: 400 });
    await waitUntil(() => existsSync(ioSocket) && ioChardev?.connections() === 1);
    const c = await AgentClient.connect({ kind: 'channel', path: socket, ioPath: ioSocket }, { timeoutMs: 10_000 });
    cleanups.push(() => c.close());
    const slowRead = (async () => {
      for await (const chunk of c.readStream('slow', 'slow', 'stdout')) void chunk;
    })().then(() => 'ended', () => 'failed');
    // Calls in flight all the time: the agent connection is busy too.
    let calling = true;
    const results: string[] = [];
    const caller = (async () => {
      while (calling) results.push(await c.check().then(() => 'answered', () => 'failed'));
    })();
    // Only a connection known to answer a ping is judged: let calls (and the pings beside them, every 50 ms)
    // be answered for a while first. A fixed 300 ms was too short on a loaded host, and the test then hung.
    await waitUntil(() => results.filter((r) => r === 'answered').length >= 10);
    await new Promise((r) => setTimeout(r, 300));
    chardev.goSilent();
    ioChardev?.goSilent();
    await waitUntil(() => chardev.connections() === 2 && ioChardev?.connections() === 2, 15_000);
    calling = false;
    await caller;
    expect(chardev.connections()).toBe(2);
    expect(ioChardev?.connections()).toBe(2);
    // The call caught on the silent connection failed rather than waiting for ever.
    expect(results).toContain('failed');
    expect(await c.check()).toBe('SERVING');
    let got = 0;
    for await (const chunk of c.readStream('ctr', 'ctr', 'stdout')) got += chunk.length;
    expect(got).toBe(1000);
    // The busy reader's stream ended with the old connection (then its RPC fallback met this guest's missing engine).
    expect(await slowRead).toBe('failed');
  }, 60_000);

  it('a paused VM answers no ping, and that is not taken for a dead connection', async () => {
    const { dir, chardev, socket } = await setUp(undefined, { everyMs: 50, timeoutMs: 300 });
    const c = await AgentClient.connect({ kind: 'channel', path: socket }, { timeoutMs: 10_000 });
    cleanups.push(() => c.close());
    let calling = true;
    let answered = 0;
    const caller = (async () => {
      while (calling) if (await c.check().catch(() => null)) answered += 1;
    })();
    // A connection known to answer (see the test above): calls and the pings beside them answered for a while.
    await waitUntil(() => answered >= 10);
    await new Promise((r) => setTimeout(r, 300));
    setChannelPaused(dir, true);
    chardev.goSilent();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(chardev.connections()).toBe(1);
    // Resumed (and still silent): now it counts.
    setChannelPaused(dir, false);
    await waitUntil(() => chardev.connections() === 2, 15_000);
    calling = false;
    await caller;
    expect(chardev.connections()).toBe(2);
  }, 60_000);

  it('the guest connection breaks (agent restarted, chardev reset): the owner reconnects with a new hello and clients carry on', async () => {
    const { chardev, socket } = await setUp();
    const c = await AgentClient.connect({ kind: 'channel', path: socket }, { timeoutMs: 10_000 });
    cleanups.push(() => c.close());
    expect(await c.check()).toBe('SERVING');
    chardev.dropHost();
    await waitUntil(() => chardev.connections() === 2);
    // The same client connection, the same owner: calls work again once the owner is back on the guest.
    let answer: string | null = null;
    for (let i = 0; i < 50 && answer !== 'SERVING'; i++) answer = await c.check().catch(() => null);
    expect(answer).toBe('SERVING');
    expect(chardev.connections()).toBe(2);
  });
});
