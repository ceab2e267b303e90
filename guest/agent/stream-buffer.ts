// One output stream of a process (stdout, stderr or a TTY), buffered in the
// agent so the host can detach and re-attach without losing output.
//
// Positions are absolute byte offsets since the process started. The host
// reads "from offset N": bytes before N are acknowledged and released; bytes
// from N on stay until a later read acknowledges them, so a reply lost in
// transit is simply read again.
//
// Bound and overflow: at most `capacity` unacknowledged bytes are held. When
// the buffer is full the agent stops reading the process's socket/pty (the
// producer is paused), so the kernel's socket buffer fills and the process
// blocks in write(2) until the host reads. Nothing is ever dropped; a process
// whose output nobody reads stalls after `capacity` bytes (plus what its
// socket holds: up to 1 MiB, guest/build/init.ts), as it would writing to a
// full pipe.

/** As large as the host's default window (core/agent/proto/io-mux.ts DEFAULT_WINDOW says why). */
export const DEFAULT_STREAM_CAPACITY = 2 * 1024 * 1024;

export interface StreamRead {
  /** Offset of the first returned byte. */
  offset: number;
  data: Buffer;
  eof: boolean;
}

type Waiter = () => void;
const EMPTY = Buffer.alloc(0);
/** Held chunks smaller than this are joined with the small ones after them when read ahead... */
const JOIN_BELOW = 16 * 1024;
/** ...up to this many bytes. */
const JOIN_UP_TO = 64 * 1024;

/**
 * What a reader that streams ahead of its acknowledgements needs of an output
 * stream (the io port's reads; StreamBuffer implements it): no promise, timer
 * or abort listener per chunk, which under TCG in the guest's Node was most
 * of the data plane's CPU.
 */
export interface OutputSource {
  /** Offset one past the last byte written so far. */
  readonly end: number;
  /** Release everything before `ack`; up to maxBytes from `from` (>= ack), releasing nothing more. */
  readAhead(ack: number, from: number, maxBytes: number): StreamRead;
  /** Calls onChange after every write and at close, until the returned function is called. */
  watch(onChange: () => void): () => void;
}

export class StreamBuffer implements OutputSource {
  private chunks: Buffer[] = [];
  /** Offset of the first held byte. */
  private base = 0;
  private held = 0;
  private closed = false;
  private waiters = new Set<Waiter>();
  private watchers = new Set<Waiter>();
  private paused = false;

  /**
   * @param onPressure called with true when the buffer is full (stop reading
   *   the source) and false when there is room again (resume).
   */
  constructor(
    readonly capacity: number = DEFAULT_STREAM_CAPACITY,
    private readonly onPressure: (full: boolean) => void = () => undefined,
  ) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new Error('capacity must be a positive integer');
  }

  /** Offset one past the last byte written so far. */
  get end(): number {
    return this.base + this.held;
  }

  get start(): number {
    return this.base;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get full(): boolean {
    return this.held >= this.capacity;
  }

  /** Appends output. Data after close is ignored. Never drops: the caller pauses its source when told to. */
  push(chunk: Buffer): void {
    if (this.closed || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.held += chunk.length;
    if (this.full && !this.paused) {
      this.paused = true;
      this.onPressure(true);
    }
    this.wake();
  }

  /** The source ended: readers get eof once they have everything. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake();
  }

  /** Nobody will read this stream any more: what is held is dropped, and readers get eof at once. */
  discard(): void {
    this.release(this.end);
    this.close();
  }

  /**
   * Release everything before `offset` and return up to `maxBytes` from there.
   * An offset before the held range reads from the first held byte (the reply's
   * offset says so); an offset past the end is an error.
   */
  read(offset: number, maxBytes: number): StreamRead {
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError('offset must be a non-negative integer');
    if (offset > this.end) throw new RangeError(`offset ${offset} is past the end of the stream (${this.end})`);
    if (maxBytes <= 0) throw new RangeError('maxBytes must be positive');
    this.release(offset);
    const from = Math.max(offset, this.base);
    const parts: Buffer[] = [];
    let got = 0;
    for (const c of this.chunks) {
      if (got >= maxBytes) break;
      const take = Math.min(c.length, maxBytes - got);
      parts.push(take === c.length ? c : c.subarray(0, take));
      got += take;
    }
    const data = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, got);
    return { offset: from, data, eof: this.closed && from + got >= this.end };
  }

  /** Resolves on the next write or close, after waitMs, or when `cancelled` fires, whichever comes first. */
  private waitForData(waitMs: number, cancelled?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        cancelled?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.waiters.add(done);
      cancelled?.addEventListener('abort', done);
    });
  }

  /**
   * Like read, but when nothing is available (and the stream is open) waits up
   * to waitMs for data or close. `cancelled` ends the wait early (the caller went away).
   */
  async readWait(offset: number, maxBytes: number, waitMs: number, cancelled?: AbortSignal): Promise<StreamRead> {
    const first = this.read(offset, maxBytes);
    if (first.data.length > 0 || first.eof || waitMs <= 0) return first;
    await this.waitForData(waitMs, cancelled);
    return this.read(Math.max(offset, this.base), maxBytes);
  }

  /**
   * For a reader that streams ahead of what it has acknowledged (the io
   * port): release everything before `ack`, return up to maxBytes from `from`
   * (>= ack; bytes between stay held until acknowledged, for a reader that
   * comes next). Never waits: watch() says when there is more.
   */
  readAhead(ack: number, from: number, maxBytes: number): StreamRead {
    if (!Number.isInteger(from) || from < ack) throw new RangeError('from must be an integer at or after ack');
    if (from > this.end) throw new RangeError(`offset ${from} is past the end of the stream (${this.end})`);
    if (maxBytes <= 0) throw new RangeError('maxBytes must be positive');
    this.release(Math.min(ack, this.end));
    return this.piece(from, maxBytes);
  }

  watch(onChange: () => void): () => void {
    const w: Waiter = () => onChange();
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  /**
   * Up to maxBytes from `from` (or the first held byte, if that is later),
   * releasing nothing. A large chunk comes back alone, as a view (joining
   * large chunks cost a copy of every byte; the caller asks again for the
   * rest); small ones are joined up to JOIN_UP_TO, so a burst of small
   * writes (a console's) goes out in a few frames, not one each.
   */
  private piece(from: number, maxBytes: number): StreamRead {
    const start = Math.max(from, this.base);
    let skip = start - this.base;
    let i = 0;
    for (; i < this.chunks.length; i++) {
      const c = this.chunks[i] as Buffer;
      if (skip < c.length) break;
      skip -= c.length;
    }
    const first = this.chunks[i];
    let data: Buffer = first ? first.subarray(skip, skip + maxBytes) : EMPTY;
    if (data.length > 0 && data.length < JOIN_BELOW && data.length < maxBytes && i + 1 < this.chunks.length) {
      const limit = Math.min(maxBytes, JOIN_UP_TO);
      const parts = [data];
      let got = data.length;
      for (let j = i + 1; j < this.chunks.length && got < limit; j++) {
        const c = this.chunks[j] as Buffer;
        if (c.length >= JOIN_BELOW) break; // a large one goes on its own, as a view
        const take = c.subarray(0, limit - got);
        parts.push(take);
        got += take.length;
      }
      if (parts.length > 1) data = Buffer.concat(parts, got);
    }
    return { offset: start, data, eof: this.closed && start + data.length >= this.end };
  }

  private release(offset: number): void {
    let drop = offset - this.base;
    while (drop > 0 && this.chunks.length > 0) {
      const c = this.chunks[0] as Buffer;
      if (c.length <= drop) {
        this.chunks.shift();
        drop -= c.length;
        this.base += c.length;
        this.held -= c.length;
      } else {
        this.chunks[0] = c.subarray(drop);
        this.base += drop;
        this.held -= drop;
        drop = 0;
      }
    }
    if (this.paused && !this.full) {
      this.paused = false;
      this.onPressure(false);
    }
  }

  private wake(): void {
    if (this.waiters.size > 0) for (const w of [...this.waiters]) w();
    if (this.watchers.size > 0) for (const w of [...this.watchers]) w();
  }
}
