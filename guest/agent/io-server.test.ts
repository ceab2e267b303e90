import { describe, expect, it } from 'vitest';
import { IoMux, type IoStream } from '../../core/agent/proto/io-mux.js';
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
  return { outputSource: () => buffer, writeStdin: () => Promise.resolve(0), closeStdin: () => undefined };
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
    const host = pair({ outputSource: () => { throw new Error('process x not found in container c'); }, writeStdin: () => Promise.resolve(0), closeStdin: () => undefined });
    const r = await readAll(open(host));
    expect(r.error).toMatch(/not found/);
  });

  it('a stream the host ended stops watching the output', async () => {
    const buffer = new StreamBuffer(1024);
    let watching = 0;
    const source = { get end() { return buffer.end; }, readAhead: buffer.readAhead.bind(buffer), watch: (fn: () => void) => { watching += 1; const un = buffer.watch(fn); return () => { watching -= 1; un(); }; } };
    const host = pair({ outputSource: () => source, writeStdin: () => Promise.resolve(0), closeStdin: () => undefined });
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
