import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IoMux, type IoStream } from '../../core/agent/proto/io-mux.js';
import { ContainerProcess, type ExitInfo } from './engine.js';
import { serveIoStream, warmUpDataPlane, type IoEngine } from './io-server.js';
import { StreamBuffer } from './stream-buffer.js';

/** A guest mux serving `engine`, and a host mux talking to it (frames cross on the next turn of the loop). */
function pair(engine: IoEngine): IoMux {
  let host: IoMux | null = null;
  const guest = new IoMux({ write: (b) => setImmediate(() => host?.feed(b)), onOpen: (s, spec) => serveIoStream(engine, s, spec) });
  host = new IoMux({ write: (b) => setImmediate(() => guest.feed(b)) });
  return host;
}

function engineFor(buffer: StreamBuffer): IoEngine {
  return { outputSource: () => buffer, writeStdin: () => Promise.resolve(0), closeStdin: () => undefined, closeOutput: () => undefined };
}

function readAll(s: IoStream, consume = true): Promise<{ data: Buffer; error?: string }> {
  const parts: Buffer[] = [];
  return new Promise((resolve) => {
    s.on('data', (d) => {
      parts.push(d);
      if (consume) s.consumed(d.length);
    });
    s.on('end', () => resolve({ data: Buffer.concat(parts) }));
    s.on('error', (err) => resolve({ data: Buffer.concat(parts), error: err.message }));
  });
}

const open = (host: IoMux, offset = 0, window?: number): IoStream => host.open(Buffer.from(JSON.stringify({ op: 'read', containerId: 'c', execId: '', stream: 'stdout', offset })), window);

describe('io server reads', () => {
  it('streams output as it is written and as credit comes back, to the end', async () => {
    const buffer = new StreamBuffer(64 * 1024);
    const host = pair(engineFor(buffer));
    const reading = readAll(open(host, 0, 16 * 1024));
    const expected: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const chunk = Buffer.alloc(8 * 1024, i);
      expected.push(chunk);
      // The buffer holds at most its capacity: wait for the reader to acknowledge before writing more.
      while (buffer.full) await new Promise((r) => setTimeout(r, 1));
      buffer.push(chunk);
      await new Promise((r) => setImmediate(r));
    }
    buffer.close();
    const { data, error } = await reading;
    expect(error).toBeUndefined();
    expect(data.equals(Buffer.concat(expected))).toBe(true);
  });

  it('sends no more than the credit granted: unconsumed output stays in the guest for the next reader', async () => {
    const buffer = new StreamBuffer(1024 * 1024);
    buffer.push(Buffer.alloc(300 * 1024, 7));
    const host = pair(engineFor(buffer));
    const s = open(host, 0, 100 * 1024);
    let got = 0;
    s.on('data', (d) => { got += d.length; });
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toBe(100 * 1024);
    // Nothing was acknowledged: all of it is still held.
    expect(buffer.start).toBe(0);
    s.fail('the reader went away');
    // A new reader from offset 0 gets everything.
    buffer.close();
    const again = await readAll(open(host, 0));
    expect(again.data.length).toBe(300 * 1024);
  });

  it('an offset past the end of the output fails the stream with a clear error', async () => {
    const buffer = new StreamBuffer(1024);
    buffer.push(Buffer.from('abc'));
    const r = await readAll(open(pair(engineFor(buffer)), 10));
    expect(r.error).toMatch(/offset 10 is past the end of stdout \(3\)/);
  });

  it('an unknown process fails the stream with the engine\'s error', async () => {
    const host = pair({ outputSource: () => { throw new Error('process x not found in container c'); }, writeStdin: () => Promise.resolve(0), closeStdin: () => undefined, closeOutput: () => undefined });
    const r = await readAll(open(host));
    expect(r.error).toMatch(/not found/);
  });

  it('a stream the host ended stops watching the output', async () => {
    const buffer = new StreamBuffer(1024);
    let watching = 0;
    const source = { get end() { return buffer.end; }, readAhead: buffer.readAhead.bind(buffer), watch: (fn: () => void) => { watching += 1; const un = buffer.watch(fn); return () => { watching -= 1; un(); }; } };
    const host = pair({ outputSource: () => source, writeStdin: () => Promise.resolve(0), closeStdin: () => undefined, closeOutput: () => undefined });
    const s = open(host);
    await new Promise((r) => setTimeout(r, 20));
    expect(watching).toBe(1);
    s.fail('bye');
    await new Promise((r) => setTimeout(r, 20));
    expect(watching).toBe(0);
  });

  it('the image build\'s warm-up runs the data plane end to end (a real child, the process reader, a port writer)', async () => {
    await expect(warmUpDataPlane()).resolves.toBeUndefined();
  });
});

// vessel-shutrd (guest/shutrd/), compiled with the host's gcc as the image build compiles it.
const helperDir = mkdtempSync(path.join(os.tmpdir(), 'vessel-shutrd-test-'));
const shutrd = path.join(helperDir, 'vessel-shutrd');
const built = spawnSync(process.env.CC ?? 'gcc', ['-static', '-Os', '-Wall', '-Wextra', '-Werror', '-o', shutrd, path.join(import.meta.dirname, '..', 'shutrd', 'vessel-shutrd.c')], { encoding: 'utf8' });
const noCompiler = built.error || built.status !== 0 ? `cannot compile vessel-shutrd here (${(built.error?.message ?? built.stderr).split('\n')[0] ?? ''}): install gcc and libc6-dev` : null;
if (noCompiler) console.log(`[io-server.test] close-output with the helper skipped: ${noCompiler}`);

/** A real process that writes for ever (coreutils yes), held back by a full 64 KiB buffer; close-output goes through `helper`. */
function writerForEver(helper: string): { proc: ContainerProcess; exited: Promise<ExitInfo>; host: IoMux } {
  const proc = new ContainerProcess('yes', false, 64 * 1024, null);
  const exited = new Promise<ExitInfo>((resolve) => proc.launch('/usr/bin/yes', [], { ptyFrom: '', rows: 0, cols: 0, onExit: resolve }));
  const host = pair({ outputSource: () => proc.stdout, writeStdin: () => Promise.resolve(0), closeStdin: () => undefined, closeOutput: (_c, _e, which) => proc.closeOutput(which, helper) });
  return { proc, exited, host };
}

const closeOutputOf = (host: IoMux): IoStream => host.open(Buffer.from(JSON.stringify({ op: 'close-output', containerId: 'c', execId: '', stream: 'stdout' })), 0);

describe('io server: close-output', () => {
  afterAll(() => rmSync(helperDir, { recursive: true, force: true }));

  it.skipIf(noCompiler !== null)('closes a process\'s output for good: its writes fail with EPIPE (a closed pipe), the reader gets the end, what was held is dropped', async () => {
    const { proc, exited, host } = writerForEver(shutrd);
    // A reader that takes 16 KiB and consumes nothing: the rest stays held in the guest.
    const reader = open(host, 0, 16 * 1024);
    const reading = readAll(reader, false);
    for (let i = 0; i < 500 && !proc.stdout.full; i++) await new Promise((r) => setTimeout(r, 10));
    expect(proc.stdout.full).toBe(true);
    expect((await readAll(closeOutputOf(host))).error).toBeUndefined();
    // yes was blocked writing: EPIPE without the signal (guest/shutrd/ says why), and it gives up.
    expect(await exited).toMatchObject({ exitStatus: 1 });
    expect(proc.stderr.readAhead(0, 0, 4096).data.toString()).toMatch(/Broken pipe/);
    // The reader hands its 16 KiB back: the end comes next, none of the output the guest held.
    reader.consumed(16 * 1024);
    const r = await reading;
    expect(r.error).toBeUndefined();
    expect(r.data.length).toBe(16 * 1024);
    expect(proc.stdout.readAhead(0, 0, 1024).data.length).toBe(0);
  });

  it.skipIf(noCompiler !== null)('a shell loop of echo ends by SIGPIPE, as it would writing into a closed pipe', async () => {
    const proc = new ContainerProcess('loop', false, 64 * 1024, null);
    const exited = new Promise<ExitInfo>((resolve) => proc.launch('/bin/sh', ['-c', 'while :; do echo y; done'], { ptyFrom: '', rows: 0, cols: 0, onExit: resolve }));
    for (let i = 0; i < 500 && !proc.stdout.full; i++) await new Promise((r) => setTimeout(r, 10));
    proc.closeOutput('stdout', shutrd);
    expect(await exited).toMatchObject({ exitStatus: 141, signal: 13 });
  });

  it('without the helper the socket is closed: the process still ends (SIGPIPE, or a write error if bytes were queued)', async () => {
    const { proc, exited, host } = writerForEver(path.join(helperDir, 'missing'));
    for (let i = 0; i < 500 && !proc.stdout.full; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await readAll(closeOutputOf(host))).error).toBeUndefined();
    const exit = await exited;
    expect(exit.exitStatus === 141 || exit.exitStatus === 1, JSON.stringify(exit)).toBe(true);
  });

  it('an unknown process fails the request with the engine\'s error', async () => {
    const host = pair({ ...engineFor(new StreamBuffer(1024)), closeOutput: () => { throw new Error('process x not found in container c'); } });
    const r = await readAll(host.open(Buffer.from(JSON.stringify({ op: 'close-output', containerId: 'c', execId: 'x', stream: 'stdout' })), 0));
    expect(r.error).toMatch(/not found/);
  });
});
