import { describe, expect, it } from 'vitest';
import { StreamBuffer } from './stream-buffer.js';

describe('StreamBuffer (per-process output held for the host)', () => {
  it('returns what was written from the requested offset, and the same bytes again if the reply was lost', () => {
    const b = new StreamBuffer(1024);
    b.push(Buffer.from('hello '));
    b.push(Buffer.from('world'));
    expect(b.read(0, 100)).toEqual({ offset: 0, data: Buffer.from('hello world'), eof: false });
    // The host did not get that reply: asking from 0 again gives the same bytes.
    expect(b.read(0, 5).data.toString()).toBe('hello');
    // Acknowledging 6 bytes releases them.
    expect(b.read(6, 100).data.toString()).toBe('world');
    expect(b.start).toBe(6);
  });

  it('reports eof only after everything was delivered', () => {
    const b = new StreamBuffer(1024);
    b.push(Buffer.from('abc'));
    b.close();
    expect(b.read(0, 2)).toEqual({ offset: 0, data: Buffer.from('ab'), eof: false });
    expect(b.read(2, 2)).toEqual({ offset: 2, data: Buffer.from('c'), eof: true });
    expect(b.read(3, 2)).toEqual({ offset: 3, data: Buffer.alloc(0), eof: true });
    b.push(Buffer.from('late'));
    expect(b.end).toBe(3);
  });

  it('a re-attaching reader that asks from 0 gets the oldest byte still held, with its offset', () => {
    const b = new StreamBuffer(1024);
    b.push(Buffer.from('0123456789'));
    b.read(4, 1); // a previous reader acknowledged 4 bytes
    expect(b.read(0, 100)).toEqual({ offset: 4, data: Buffer.from('456789'), eof: false });
  });

  it('pauses the producer when full instead of dropping, and resumes once the host reads', () => {
    const events: boolean[] = [];
    const b = new StreamBuffer(8, (full) => events.push(full));
    b.push(Buffer.from('12345'));
    expect(events).toEqual([]);
    b.push(Buffer.from('6789')); // 9 bytes held > capacity 8
    expect(events).toEqual([true]);
    expect(b.full).toBe(true);
    b.push(Buffer.from('A')); // what a paused pipe still delivers is kept, never dropped
    expect(b.read(0, 100).data.toString()).toBe('123456789A');
    b.read(5, 1); // still 5 held: room again
    expect(events).toEqual([true, false]);
  });

  it('rejects an offset past the end', () => {
    const b = new StreamBuffer(16);
    b.push(Buffer.from('ab'));
    expect(() => b.read(3, 1)).toThrow(/past the end/);
    expect(() => b.read(-1, 1)).toThrow();
  });

  it('a long-poll read waits for data, for close, or for its timeout', async () => {
    const b = new StreamBuffer(16);
    const waiting = b.readWait(0, 10, 5_000);
    setTimeout(() => b.push(Buffer.from('hi')), 10);
    expect((await waiting).data.toString()).toBe('hi');

    const closing = b.readWait(2, 10, 5_000);
    setTimeout(() => b.close(), 10);
    expect(await closing).toEqual({ offset: 2, data: Buffer.alloc(0), eof: true });

    const idle = new StreamBuffer(16);
    const t0 = Date.now();
    expect(await idle.readWait(0, 10, 30)).toEqual({ offset: 0, data: Buffer.alloc(0), eof: false });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it('a cancelled long poll answers at once', async () => {
    const b = new StreamBuffer(16);
    const ac = new AbortController();
    const p = b.readWait(0, 10, 60_000, ac.signal);
    ac.abort();
    expect((await p).data.length).toBe(0);
  });

  it('readAhead streams ahead of the acknowledged offset and releases only what was acknowledged; watch says when there is more', () => {
    const b = new StreamBuffer(100);
    b.push(Buffer.from('0123456789'));
    const r1 = b.readAhead(0, 0, 4);
    expect(r1.data.toString()).toBe('0123');
    const r2 = b.readAhead(0, 4, 4);
    expect(r2).toMatchObject({ offset: 4 });
    expect(r2.data.toString()).toBe('4567');
    // Nothing acknowledged yet: a new reader from 0 still gets everything.
    expect(b.read(0, 100).data.toString()).toBe('0123456789');
    b.readAhead(6, 8, 4);
    expect(b.start).toBe(6);
    // Nothing past the end yet: an empty read, and a watcher is told of the next push and of the close.
    expect(b.readAhead(6, 10, 4)).toMatchObject({ offset: 10, eof: false });
    let told = 0;
    const unwatch = b.watch(() => { told += 1; });
    b.push(Buffer.from('ab'));
    expect(told).toBe(1);
    expect(b.readAhead(6, 10, 4).data.toString()).toBe('ab');
    b.close();
    expect(told).toBe(2);
    expect(b.readAhead(12, 12, 4)).toMatchObject({ eof: true });
    unwatch();
    b.push(Buffer.from('late'));
    expect(told).toBe(2);
    expect(() => b.readAhead(6, 5, 4)).toThrow(RangeError);
    expect(() => b.readAhead(12, 13, 4)).toThrow(/past the end/);
  });

  it('readAhead returns a large held chunk alone, as a view, and joins small ones', () => {
    const b = new StreamBuffer(1024 * 1024);
    const big = Buffer.alloc(64 * 1024, 1);
    b.push(big);
    b.push(Buffer.alloc(64 * 1024, 2));
    const r = b.readAhead(0, 0, 1024 * 1024);
    expect(r.data.length).toBe(64 * 1024);
    expect(r.data.buffer).toBe(big.buffer); // no copy
    expect(b.readAhead(0, 64 * 1024, 1024 * 1024).data[0]).toBe(2);
    // Small writes come back joined (a console's burst in one frame), in order, up to 64 KiB and maxBytes.
    const s = new StreamBuffer(1024 * 1024);
    for (let i = 0; i < 100; i++) s.push(Buffer.from(`line ${i}\n`));
    const all = Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join('');
    expect(s.readAhead(0, 0, 1024).data.toString()).toBe(all);
    expect(s.readAhead(0, 3, 10).data.toString()).toBe(all.slice(3, 13));
    // A large chunk after small ones is not copied into the join.
    s.push(Buffer.alloc(32 * 1024, 9));
    expect(s.readAhead(0, 0, 1024 * 1024).data.length).toBe(all.length);
  });

  it('readAhead that acknowledges room in a full buffer resumes the source', () => {
    const calls: boolean[] = [];
    const b = new StreamBuffer(8, (full) => calls.push(full));
    b.push(Buffer.from('01234567'));
    expect(calls).toEqual([true]);
    b.readAhead(0, 0, 8);
    expect(calls).toEqual([true]);
    b.readAhead(4, 8, 8);
    expect(calls).toEqual([true, false]);
  });
});
