// Streams over one framed byte channel (io-frames.ts), with credit-based flow
// control in both directions. The same code runs on both ends: the host opens
// streams, the guest accepts them.
//
// Credit: a receiver grants the sender credit for N bytes (CREDIT frames);
// DATA may be sent only against credit; the receiver grants more as its
// consumer takes bytes. So a receiver never holds more than it granted
// (<= MAX_WINDOW per stream), and a slow consumer slows the sender, which
// (guest side) stops reading the process's output, which blocks the process.
import { EventEmitter } from 'node:events';
import { creditPayload, encodeFrame, encodeHeader, FrameDecoder, FrameType, MAX_ERROR_TEXT, MAX_FRAME_PAYLOAD, MAX_WINDOW, type Frame } from './io-frames.js';

/**
 * A stream's receive window, and the largest batch of consumed bytes granted
 * back in one CREDIT frame. Every batch is a round trip through the guest's
 * JS (read the port, decode, pump, write the port) that costs the same
 * whatever its size under TCG, so bulk output goes faster in bigger batches:
 * with the guest's stream buffer (guest/agent/stream-buffer.ts) at the same
 * size as the window, 2 MiB windows and 512 KiB batches carried container
 * stdout 27–74 % faster than 1 MiB and 256 KiB in two runs side by side
 * (docs/design/agent-channel.md, "Session 13"). The window alone, without the
 * guest's buffer, did not: the guest stalled on its full buffer instead.
 */
export const DEFAULT_WINDOW = 2 * 1024 * 1024;
export const GRANT_BATCH = 512 * 1024;
/** Payloads from this size on are written after their header as they are, not copied into one frame buffer. */
const SPLIT_PAYLOAD = 4096;

export interface IoStreamEvents {
  data: [Buffer];
  /** The other side will send no more (CLOSE). */
  end: [];
  /** The stream ended with an error (a bad frame, or the other side's ERROR). */
  error: [Error];
  /** More send credit arrived: how much (0 when the stream ended, to wake waiters). */
  credit: [number];
}

export class IoStream extends EventEmitter<IoStreamEvents> {
  /** Bytes we may still send. */
  sendCredit = 0;
  /** All the credit the other side ever granted (its first grant is its window; the rest, what it consumed). */
  creditReceived = 0;
  /** Bytes the other side may still send us (what we granted, minus what arrived). */
  recvWindow = 0;
  private ended = false;
  private sentClose = false;
  /** Consumed bytes not granted back yet (grants go out in batches: one CREDIT frame per batch, not per chunk). */
  private owed = 0;
  /** What we granted in total: a batch is a quarter of it, at most GRANT_BATCH. */
  private windowSize = 0;
  done = false;

  constructor(readonly id: number, private readonly mux: IoMux) {
    super();
  }

  /** Send up to sendCredit bytes of data; returns how many went (the rest waits for credit). */
  write(data: Buffer): number {
    if (this.done || this.sentClose) return 0;
    const n = Math.min(data.length, this.sendCredit);
    for (let at = 0; at < n; at += MAX_FRAME_PAYLOAD) {
      this.mux.send(FrameType.Data, this.id, data.subarray(at, Math.min(n, at + MAX_FRAME_PAYLOAD)));
    }
    this.sendCredit -= n;
    return n;
  }

  /** Write all of data, waiting for credit as needed. Rejects if the stream ends first. */
  async writeAll(data: Buffer): Promise<void> {
    let at = 0;
    while (at < data.length) {
      if (this.done || this.sentClose) throw new Error(`io stream ${this.id} ended`);
      at += this.write(data.subarray(at));
      if (at < data.length) await this.waitCredit();
    }
  }

  waitCredit(): Promise<void> {
    if (this.sendCredit > 0 || this.done) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        this.off('credit', wake);
        this.off('error', wake);
        this.off('end', wake);
        resolve();
      };
      this.on('credit', wake);
      this.on('error', wake);
      this.on('end', wake);
    });
  }

  /** Let the other side send n more bytes at once (the initial window, or a grant that must not wait). */
  grant(n: number): void {
    if (this.done || n <= 0) return;
    const room = MAX_WINDOW - this.recvWindow;
    const g = Math.min(n, room);
    if (g <= 0) return;
    this.recvWindow += g;
    this.windowSize = Math.max(this.windowSize, this.recvWindow);
    this.mux.send(FrameType.Credit, this.id, creditPayload(g));
  }

  /**
   * We consumed n bytes: grant them back, batched. A batch is at most a
   * quarter of the window, so the sender (which waits only when all its
   * credit is spent) always gets credit back before it runs dry: no deadlock,
   * and a slow trickle of output (a console) costs no CREDIT frame at all
   * until a quarter of the window has gone by.
   */
  consumed(n: number): void {
    if (this.done || n <= 0) return;
    this.owed += n;
    const batch = Math.max(1, Math.min(GRANT_BATCH, Math.floor(this.windowSize / 4)));
    if (this.owed >= batch || this.recvWindow === 0) {
      const g = this.owed;
      this.owed = 0;
      this.grant(g);
    }
  }

  /** No more data from us. */
  close(): void {
    if (this.done || this.sentClose) return;
    this.sentClose = true;
    this.mux.send(FrameType.Close, this.id);
    if (this.ended) this.finish();
  }

  /** End the stream with an error, telling the other side why. */
  fail(reason: string): void {
    if (this.done) return;
    this.mux.send(FrameType.Error, this.id, Buffer.from(reason.slice(0, MAX_ERROR_TEXT)));
    this.terminate(new Error(reason));
  }

  /** @internal */
  onFrame(f: Frame): void {
    switch (f.type) {
      case FrameType.Data:
        if (this.ended) return this.fail('protocol error: data after close');
        if (f.payload.length > this.recvWindow) return this.fail(`credit overflow: ${f.payload.length} bytes sent against ${this.recvWindow} of credit`);
        this.recvWindow -= f.payload.length;
        if (f.payload.length > 0) this.emit('data', f.payload);
        return;
      case FrameType.Credit: {
        if (f.payload.length !== 4) return this.fail('protocol error: malformed credit frame');
        const n = f.payload.readUInt32BE(0);
        if (this.sendCredit + n > MAX_WINDOW) return this.fail(`credit overflow: a grant of ${n} would allow ${this.sendCredit + n} bytes in flight (limit ${MAX_WINDOW})`);
        this.sendCredit += n;
        this.creditReceived += n;
        this.emit('credit', n);
        return;
      }
      case FrameType.Close:
        if (this.ended) return;
        this.ended = true;
        this.emit('end');
        if (this.sentClose) this.finish();
        return;
      case FrameType.Error:
        this.terminate(new Error(f.payload.toString('utf8', 0, Math.min(f.payload.length, MAX_ERROR_TEXT)) || 'stream failed'));
        return;
      case FrameType.Open:
        return this.fail('protocol error: stream already open');
      default:
        return this.fail(`protocol error: unknown frame type ${f.type}`);
    }
  }

  /** @internal the stream is gone without a word to the other side (error received, or channel lost). */
  terminate(err: Error): void {
    if (this.done) return;
    this.done = true;
    this.mux.forget(this.id);
    if (this.listenerCount('error') > 0) this.emit('error', err);
    this.emit('credit', 0);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.mux.forget(this.id);
  }
}

export interface IoMuxOptions {
  /** Bytes out to the channel. */
  write: (frame: Buffer) => void;
  /** The other side opened a stream (guest side). Absent: OPEN frames are refused. */
  onOpen?: (stream: IoStream, spec: Buffer) => void;
  /** Most streams open at once; more OPENs are refused. */
  maxStreams?: number;
  /** A PONG arrived (the answer to ping()). */
  onPong?: () => void;
}

export class IoMux {
  private readonly decoder = new FrameDecoder();
  private readonly streams = new Map<number, IoStream>();
  private nextId = 1;

  constructor(private readonly options: IoMuxOptions) {}

  get openStreams(): number {
    return this.streams.size;
  }

  /** Open a stream (host side); spec says what to open. */
  open(spec: Buffer, window = DEFAULT_WINDOW): IoStream {
    const id = this.nextId;
    this.nextId = this.nextId >= 0xfffffffe ? 1 : this.nextId + 1;
    const s = new IoStream(id, this);
    this.streams.set(id, s);
    this.send(FrameType.Open, id, spec);
    s.grant(window);
    return s;
  }

  /** Ask the other side for a PONG: is the channel alive end to end? */
  ping(): void {
    this.send(FrameType.Ping, 0);
  }

  /** Bytes from the channel, in any chunking. */
  feed(chunk: Buffer): void {
    for (const item of this.decoder.push(chunk)) {
      if (item.kind === 'oversized') {
        this.refuse(item.stream, `oversized frame: ${item.length} bytes (limit ${MAX_FRAME_PAYLOAD})`);
        continue;
      }
      this.onFrame(item.frame);
    }
  }

  /** The channel ended (or was replaced by a new connection): every stream ends with an error. */
  reset(reason: string): void {
    const cut = this.decoder.end();
    for (const s of [...this.streams.values()]) s.terminate(new Error(cut.truncated && cut.stream === s.id ? `truncated frame: ${reason}` : reason));
    this.streams.clear();
  }

  /** @internal */
  send(type: number, stream: number, payload?: Buffer): void {
    if (payload && payload.length >= SPLIT_PAYLOAD) {
      // A big payload goes out as it is, after its header: no copy into a new frame buffer (in the
      // guest's Node under TCG, allocating and copying every chunk again was most of the data plane's CPU).
      this.options.write(encodeHeader(type, stream, payload.length));
      this.options.write(payload);
      return;
    }
    this.options.write(encodeFrame(type, stream, payload));
  }

  /** @internal */
  forget(id: number): void {
    this.streams.delete(id);
  }

  private refuse(id: number, reason: string): void {
    const s = this.streams.get(id);
    if (s) s.fail(reason);
    else if (id !== 0) this.send(FrameType.Error, id, Buffer.from(reason.slice(0, MAX_ERROR_TEXT)));
  }

  private onFrame(f: Frame): void {
    if (f.stream === 0) {
      // The channel's own frames; anything else on stream 0 cannot even be answered.
      if (f.type === FrameType.Ping) this.send(FrameType.Pong, 0, f.payload.subarray(0, 8));
      else if (f.type === FrameType.Pong) this.options.onPong?.();
      return;
    }
    const s = this.streams.get(f.stream);
    if (f.type === FrameType.Open && !s) {
      if (!this.options.onOpen) return this.refuse(f.stream, 'this side accepts no streams');
      if (this.streams.size >= (this.options.maxStreams ?? 256)) return this.refuse(f.stream, 'too many open streams');
      const opened = new IoStream(f.stream, this);
      this.streams.set(f.stream, opened);
      this.options.onOpen(opened, f.payload);
      return;
    }
    if (!s) {
      // An ERROR for a stream we do not know needs no answer (no ping-pong of errors).
      if (f.type !== FrameType.Error) this.refuse(f.stream, `unknown stream ${f.stream}`);
      return;
    }
    s.onFrame(f);
  }
}
