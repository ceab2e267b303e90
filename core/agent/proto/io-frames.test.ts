import { describe, expect, it } from 'vitest';
import { readIoStream } from '../channel/io-client.js';
import { creditPayload, encodeFrame, FRAME_HEADER_BYTES, FrameDecoder, FrameType, MAX_FRAME_PAYLOAD, MAX_WINDOW, type DecodedItem } from './io-frames.js';
import { IoMux, type IoStream } from './io-mux.js';

function feedInSteps(d: FrameDecoder, bytes: Buffer, step: number): DecodedItem[] {
  const out: DecodedItem[] = [];
  for (let i = 0; i < bytes.length; i += step) out.push(...d.push(bytes.subarray(i, i + step)));
  return out;
}

describe('io frame codec', () => {
  const frames = [
    encodeFrame(FrameType.Open, 1, Buffer.from('{"x":1}')),
    encodeFrame(FrameType.Credit, 1, creditPayload(65536)),
    encodeFrame(FrameType.Data, 1, Buffer.alloc(1000, 7)),
    encodeFrame(FrameType.Data, 2, Buffer.alloc(0)),
    encodeFrame(FrameType.Close, 1),
    encodeFrame(FrameType.Error, 9, Buffer.from('why')),
  ];
  const all = Buffer.concat(frames);

  it('round-trips every frame type in any chunking, holding at most one frame', () => {
    for (const step of [1, 2, 3, 8, 9, 10, 17, 100, 1009, all.length]) {
      const d = new FrameDecoder();
      const out = feedInSteps(d, all, step);
      expect(out.map((i) => (i.kind === 'frame' ? [i.frame.type, i.frame.stream, i.frame.payload.length] : null))).toEqual([
        [FrameType.Open, 1, 7], [FrameType.Credit, 1, 4], [FrameType.Data, 1, 1000], [FrameType.Data, 2, 0], [FrameType.Close, 1, 0], [FrameType.Error, 9, 3],
      ]);
      expect(d.pending).toBe(0);
      expect(d.end().truncated).toBe(false);
    }
  });

  it('a frame cut short is reported as truncated at the end, with its stream', () => {
    for (const cut of [1, 4, 5, FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + 500]) {
      const d = new FrameDecoder();
      const bytes = encodeFrame(FrameType.Data, 42, Buffer.alloc(1000));
      expect(d.push(bytes.subarray(0, cut))).toEqual([]);
      const end = d.end();
      expect(end.truncated).toBe(true);
      expect(end.stream).toBe(cut >= 5 ? 42 : 0);
    }
  });

  it('an oversized frame is reported once and its payload skipped as it arrives; the next frame decodes', () => {
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt8(FrameType.Data, 0);
    header.writeUInt32BE(5, 1);
    header.writeUInt32BE(MAX_FRAME_PAYLOAD + 10, 5);
    const bytes = Buffer.concat([header, Buffer.alloc(MAX_FRAME_PAYLOAD + 10, 1), encodeFrame(FrameType.Close, 6)]);
    for (const step of [7, 4096, bytes.length]) {
      const d = new FrameDecoder();
      const out = feedInSteps(d, bytes, step);
      expect(out[0]).toEqual({ kind: 'oversized', stream: 5, type: FrameType.Data, length: MAX_FRAME_PAYLOAD + 10 });
      expect(out.slice(1).map((i) => (i.kind === 'frame' ? [i.frame.type, i.frame.stream] : null))).toEqual([[FrameType.Close, 6]]);
      expect(d.pending).toBeLessThan(FRAME_HEADER_BYTES + 1);
    }
  });

  it('refuses to encode an oversized payload', () => {
    expect(() => encodeFrame(FrameType.Data, 1, Buffer.alloc(MAX_FRAME_PAYLOAD + 1))).toThrow(RangeError);
  });
});

/** Two muxes wired back to back (host ⇄ guest), bytes delivered in the given chunk size. */
function pair(step = 1 << 20): { host: IoMux; guest: IoMux; opened: { stream: IoStream; spec: string }[]; wire: { toGuest: Buffer[]; toHost: Buffer[] }; flush: () => void } {
  const wire = { toGuest: [] as Buffer[], toHost: [] as Buffer[] };
  const opened: { stream: IoStream; spec: string }[] = [];
  const host = new IoMux({ write: (b) => wire.toGuest.push(b) });
  const guest = new IoMux({ write: (b) => wire.toHost.push(b), onOpen: (stream, spec) => opened.push({ stream, spec: spec.toString() }), maxStreams: 4 });
  const flush = (): void => {
    for (let i = 0; i < 100 && (wire.toGuest.length > 0 || wire.toHost.length > 0); i++) {
      const g = Buffer.concat(wire.toGuest.splice(0));
      for (let at = 0; at < g.length; at += step) guest.feed(g.subarray(at, at + step));
      const h = Buffer.concat(wire.toHost.splice(0));
      for (let at = 0; at < h.length; at += step) host.feed(h.subarray(at, at + step));
    }
  };
  return { host, guest, opened, wire, flush };
}

function collect(s: IoStream): { data: Buffer[]; ended: boolean; error: Error | null } {
  const r = { data: [] as Buffer[], ended: false, error: null as Error | null };
  s.on('data', (d) => r.data.push(d));
  s.on('end', () => (r.ended = true));
  s.on('error', (e) => (r.error = e));
  return r;
}

describe('io streams with credit-based flow control', () => {
  it('carries bytes both ways, never more than the granted credit, in any chunking', () => {
    for (const step of [1, 5, 9, 1 << 20]) {
      const { host, opened, flush } = pair(step);
      const s = host.open(Buffer.from('{"what":"stdout"}'), 1000);
      const got = collect(s);
      flush();
      expect(opened[0]?.spec).toBe('{"what":"stdout"}');
      const g = opened[0]?.stream;
      if (!g) throw new Error('not opened');
      expect(g.sendCredit).toBe(1000);
      // 2500 bytes to send, 1000 of credit: 1000 go.
      const payload = Buffer.alloc(2500, 3);
      expect(g.write(payload)).toBe(1000);
      flush();
      expect(Buffer.concat(got.data).length).toBe(1000);
      // The consumer takes them: credit returns, the rest follows.
      s.grant(1000);
      flush();
      expect(g.write(payload.subarray(1000))).toBe(1000);
      s.grant(1000);
      flush();
      expect(g.write(payload.subarray(2000))).toBe(500);
      g.close();
      flush();
      expect(Buffer.concat(got.data).equals(payload)).toBe(true);
      expect(got.ended).toBe(true);
      expect(got.error).toBeNull();
    }
  });

  it('writeAll waits for credit: a slow reader slows the writer and nothing is held beyond the window', async () => {
    const { host, opened, flush } = pair();
    const s = host.open(Buffer.from('x'), 4096);
    flush();
    const g = opened[0]?.stream;
    if (!g) throw new Error('not opened');
    let received = 0;
    s.on('data', (d) => { received += d.length; });
    const writing = g.writeAll(Buffer.alloc(64 * 1024, 1));
    let finished = false;
    void writing.then(() => (finished = true));
    for (let round = 0; round < 100 && !finished; round++) {
      flush();
      // The receiver never holds more than it granted.
      expect(received - round * 4096).toBeLessThanOrEqual(4096);
      s.grant(4096);
      flush();
      await new Promise((r) => setImmediate(r));
    }
    flush();
    expect(finished).toBe(true);
    expect(received).toBe(64 * 1024);
  });

  it('a read stream that ended and was read to its end leaves no stream behind on either side', async () => {
    const { host, guest, opened, flush } = pair();
    const s = host.open(Buffer.from('{"op":"read"}'));
    flush();
    const g = opened[0]?.stream;
    if (!g) throw new Error('not opened');
    const it = readIoStream(s, 0);
    const next = it.next();
    g.write(Buffer.from('last words'));
    g.close();
    flush();
    const first = await next;
    expect(first.value?.toString()).toBe('last words');
    const end = await it.next();
    flush();
    expect(end.done).toBe(true);
    // Without the reader's CLOSE both sides would keep the stream (a guest refuses OPENs past its limit).
    expect(host.openStreams).toBe(0);
    expect(guest.openStreams).toBe(0);
  });

  it('a reader that gives up waiting for the end gets the offset it reached, and the guest sees the stream end', async () => {
    const { host, opened, flush } = pair();
    const s = host.open(Buffer.from('{"op":"read"}'));
    flush();
    const g = opened[0]?.stream;
    if (!g) throw new Error('not opened');
    const guestSaw = collect(g);
    const giveUp = new AbortController();
    const it = readIoStream(s, 100, undefined, giveUp.signal);
    const next = it.next();
    g.write(Buffer.from('12345'));
    flush();
    expect((await next).value?.toString()).toBe('12345');
    const last = it.next();
    giveUp.abort();
    const r = await last;
    flush();
    expect(r).toEqual({ done: true, value: { offset: 105, done: false, error: 'the stream did not end in time' } });
    expect(guestSaw.error?.message).toBe('the reader stopped');
  });

  it('DATA past the credit (credit overflow) ends that stream with a clear error; the other streams carry on', () => {
    const { host, opened, wire, flush } = pair();
    const a = collect(host.open(Buffer.from('a'), 10));
    const bStream = host.open(Buffer.from('b'), 100);
    const b = collect(bStream);
    flush();
    // A misbehaving guest sends 11 bytes against 10 of credit on stream 1.
    wire.toHost.push(encodeFrame(FrameType.Data, 1, Buffer.alloc(11)));
    flush();
    expect(a.error?.message).toMatch(/credit overflow/);
    expect(host.openStreams).toBe(1);
    opened[1]?.stream.write(Buffer.from('fine'));
    flush();
    expect(Buffer.concat(b.data).toString()).toBe('fine');
    expect(b.error).toBeNull();
    // The guest side learnt why its stream ended.
    expect(opened[0]?.stream.done).toBe(true);
  });

  it('a credit grant past MAX_WINDOW ends that stream with a clear error', () => {
    const { host, opened, wire, flush } = pair();
    host.open(Buffer.from('a'), 10);
    flush();
    const g = opened[0]?.stream;
    if (!g) throw new Error('not opened');
    const err = collect(g);
    wire.toGuest.push(encodeFrame(FrameType.Credit, 1, creditPayload(MAX_WINDOW)));
    flush();
    expect(err.error?.message).toMatch(/credit overflow.*limit/);
    expect(host.openStreams).toBe(0);
  });

  it('a frame for an unknown stream is answered with an error for that stream only', () => {
    const { host, guest, wire, flush } = pair();
    const ok = collect(host.open(Buffer.from('a'), 10));
    flush();
    wire.toGuest.push(encodeFrame(FrameType.Data, 77, Buffer.from('?')));
    const answered: string[] = [];
    guest.feed(Buffer.concat(wire.toGuest.splice(0)));
    const reply = Buffer.concat(wire.toHost.splice(0));
    answered.push(reply.subarray(FRAME_HEADER_BYTES).toString());
    expect(reply.readUInt8(0)).toBe(FrameType.Error);
    expect(reply.readUInt32BE(1)).toBe(77);
    expect(answered[0]).toMatch(/unknown stream 77/);
    expect(ok.error).toBeNull();
    expect(host.openStreams).toBe(1);
  });

  it('an oversized frame ends its stream with a clear error; the next frames on the channel are read', () => {
    const { host, opened, wire, flush } = pair(4096);
    const a = collect(host.open(Buffer.from('a'), 10));
    const b = collect(host.open(Buffer.from('b'), 10));
    flush();
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt8(FrameType.Data, 0);
    header.writeUInt32BE(1, 1);
    header.writeUInt32BE(MAX_FRAME_PAYLOAD + 1, 5);
    wire.toHost.push(header, Buffer.alloc(MAX_FRAME_PAYLOAD + 1));
    opened[1]?.stream.write(Buffer.from('ok'));
    flush();
    expect(a.error?.message).toMatch(/oversized frame/);
    expect(Buffer.concat(b.data).toString()).toBe('ok');
    expect(b.error).toBeNull();
  });

  it('malformed payloads and unknown types end only their stream', () => {
    for (const bad of [encodeFrame(FrameType.Credit, 1, Buffer.from([1, 2])), encodeFrame(99, 1), encodeFrame(FrameType.Open, 1)]) {
      const { host, opened, wire, flush } = pair();
      const a = collect(host.open(Buffer.from('a'), 10));
      const b = collect(host.open(Buffer.from('b'), 10));
      flush();
      wire.toHost.push(bad);
      flush();
      expect(a.error?.message).toMatch(/protocol error/);
      opened[1]?.stream.write(Buffer.from('ok'));
      flush();
      expect(Buffer.concat(b.data).toString()).toBe('ok');
    }
  });

  it('a channel cut mid-frame ends the cut stream with "truncated frame" and the others with the reason', () => {
    const { host, flush } = pair();
    const a = collect(host.open(Buffer.from('a'), 100));
    const b = collect(host.open(Buffer.from('b'), 100));
    flush();
    host.feed(encodeFrame(FrameType.Data, 1, Buffer.alloc(50)).subarray(0, 20));
    host.reset('the guest went away');
    expect(a.error?.message).toMatch(/truncated frame: the guest went away/);
    expect(b.error?.message).toBe('the guest went away');
  });

  it('refuses more open streams than its limit, and OPENs on a side that accepts none', () => {
    const { host, flush } = pair();
    const streams = Array.from({ length: 6 }, (_, i) => collect(host.open(Buffer.from(String(i)), 10)));
    flush();
    expect(streams.filter((s) => s.error?.message === 'too many open streams')).toHaveLength(2);
    const out: Buffer[] = [];
    const noAccept = new IoMux({ write: (b) => out.push(b) });
    noAccept.feed(encodeFrame(FrameType.Open, 3, Buffer.from('x')));
    expect(Buffer.concat(out).subarray(FRAME_HEADER_BYTES).toString()).toBe('this side accepts no streams');
  });

  it('consumed bytes are granted back in batches (no CREDIT frame per chunk), and a writer of ten windows never stalls', async () => {
    const { host, opened, wire, flush } = pair();
    const s = host.open(Buffer.from('x'), 4096);
    flush();
    const g = opened[0]?.stream;
    if (!g) throw new Error('not opened');
    let received = 0;
    s.on('data', (d) => {
      received += d.length;
      s.consumed(d.length);
    });
    // A trickle of small chunks: no credit goes back until a quarter of the window (1024 bytes) was consumed.
    for (let i = 0; i < 10; i++) g.write(Buffer.alloc(100));
    flush();
    expect(received).toBe(1000);
    expect(Buffer.concat(wire.toGuest.splice(0)).length).toBe(0);
    const writing = g.writeAll(Buffer.alloc(10 * 4096, 2));
    let finished = false;
    void writing.then(() => (finished = true));
    for (let i = 0; i < 1000 && !finished; i++) {
      flush();
      await new Promise((r) => setImmediate(r));
    }
    flush();
    expect(finished).toBe(true);
    expect(received).toBe(1000 + 10 * 4096);
  });
});
