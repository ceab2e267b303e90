// One virtio-serial port carries one host connection at a time, but the guest
// is not told reliably when one host process leaves and the next arrives (the
// "host closed" and "host opened" notifications can land between two reads).
// So every host connection opens with a hello line (core/agent/proto/hello.ts):
// where one appears in the byte stream, a new connection starts. Each host
// connection becomes its own Duplex, handed to the gRPC server, and the hello
// is echoed back so the host can skip bytes meant for its predecessor.
import { Duplex } from 'node:stream';
import { HELLO_BYTES, HELLO_PREFIX, isHelloAt } from '../../core/agent/proto/hello.js';

export interface Segment {
  /** Set when `data` belongs to a new connection: the hello line that opened it. */
  hello?: Buffer;
  data: Buffer;
}

/**
 * Splits the port's byte stream into per-connection segments. Bytes before the
 * first hello (a connection the agent joined half-way, e.g. after an agent
 * restart) are dropped. Bytes are never held back (a request's last bytes must
 * reach the server even if they happen to look like the start of a hello), so
 * a hello split across two reads is recognised at the second, and its first
 * part has gone to the connection it ends.
 */
export class HelloSplitter {
  private synced = false;
  /** The last bytes fed (fewer than a hello), to find a hello split across reads. */
  private tail = Buffer.alloc(0);

  feed(chunk: Buffer): Segment[] {
    const buf = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    const out: Segment[] = [];
    let pos = this.tail.length; // bytes of buf before pos were handled already
    let hello: Buffer | undefined;
    const emit = (end: number): void => {
      if (this.synced && (end > pos || hello)) out.push(hello ? { hello, data: buf.subarray(pos, end) } : { data: buf.subarray(pos, end) });
      hello = undefined;
    };
    let from = 0;
    for (;;) {
      let at = buf.indexOf(HELLO_PREFIX, from);
      while (at >= 0 && !isHelloAt(buf, at)) at = buf.indexOf(HELLO_PREFIX, at + 1);
      if (at < 0) break;
      emit(Math.max(pos, at));
      this.synced = true;
      hello = Buffer.from(buf.subarray(at, at + HELLO_BYTES));
      pos = at + HELLO_BYTES;
      from = pos;
    }
    emit(buf.length);
    this.tail = Buffer.from(buf.subarray(Math.max(0, buf.length - (HELLO_BYTES - 1))));
    return out;
  }

  /** The host side went away: whatever comes next starts with a hello. */
  reset(): void {
    this.synced = false;
    this.tail = Buffer.alloc(0);
  }
}

/** Where a connection's outgoing bytes go: the port. */
export type PortWriter = (data: Buffer, done: (err?: Error | null) => void) => void;

/** The port as the demux needs it. */
export interface DemuxPort {
  write: PortWriter;
  /** A new host connection begins: bytes still queued for the previous one are dropped. */
  newEpoch(): void;
}

/** One host connection, as seen by the gRPC server. */
export class HostConnection extends Duplex {
  private live = true;

  constructor(private readonly writer: PortWriter, private readonly onGone: (c: HostConnection, why: string | null) => void) {
    super();
  }

  override _read(): void {
    // Data is pushed as it arrives from the port; messages are small, so no backpressure is applied.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (!this.live) {
      done(); // the host that asked is gone: drop, never deliver to the next host
      return;
    }
    this.writer(chunk, done);
  }

  /**
   * Several pieces queued at once: small ones (HTTP/2 frames) are joined, so
   * they cost one port write (a VM exit) rather than one each; big ones (data
   * plane frames) go as they are (the port batches them into one writev), not
   * copied once more.
   */
  override _writev(chunks: { chunk: Buffer }[], done: (err?: Error | null) => void): void {
    if (!this.live) {
      done();
      return;
    }
    const out: Buffer[] = [];
    let small: Buffer[] = [];
    let smallBytes = 0;
    const flushSmall = (): void => {
      if (small.length > 0) out.push(small.length === 1 ? (small[0] as Buffer) : Buffer.concat(small, smallBytes));
      small = [];
      smallBytes = 0;
    };
    for (const { chunk } of chunks) {
      if (chunk.length >= 16 * 1024) {
        flushSmall();
        out.push(chunk);
      } else {
        small.push(chunk);
        smallBytes += chunk.length;
        if (smallBytes >= 16 * 1024) flushSmall();
      }
    }
    flushSmall();
    let left = out.length;
    let firstErr: Error | null = null;
    for (const b of out) {
      this.writer(b, (err) => {
        firstErr ??= err ?? null;
        if (--left === 0) done(firstErr);
      });
    }
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.retire(err ? `error: ${err.message}` : 'destroyed by the server');
    done(err);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.retire('ended by the server');
    done();
  }

  /** The host side ended this connection. */
  hostEnded(): void {
    this.retire(null);
    this.push(null);
    this.destroy();
  }

  /** why: null when the host ended it; otherwise the guest side gave up on a host that may still be there (logged). */
  private retire(why: string | null): void {
    if (!this.live) return;
    this.live = false;
    this.onGone(this, why);
  }
}

/**
 * Routes a port's byte stream to per-host-connection Duplexes. `inject` hands
 * a new connection to the gRPC server (server.createConnectionInjector).
 */
export class PortDemux {
  private readonly splitter = new HelloSplitter();
  private current: HostConnection | null = null;
  connections = 0;

  constructor(private readonly port: DemuxPort, private readonly inject: (c: Duplex) => void, private readonly onServerGone?: (why: string) => void) {}

  data(chunk: Buffer): void {
    for (const seg of this.splitter.feed(chunk)) {
      if (seg.hello) {
        this.current?.hostEnded();
        this.port.newEpoch();
        // The echo goes out before anything the new connection's server writes.
        this.port.write(seg.hello, () => undefined);
        const conn = new HostConnection(this.port.write, (c, why) => {
          if (this.current === c) this.current = null;
          // The host is not told (it may still be connected and waiting): say so in the log.
          if (why !== null) this.onServerGone?.(why);
        });
        this.current = conn;
        this.connections += 1;
        this.inject(conn);
      }
      // Bytes for a connection the server already closed are dropped.
      if (this.current && seg.data.length > 0) this.current.push(seg.data);
    }
  }

  /** The port reported that no host is connected. */
  hostGone(): void {
    this.splitter.reset();
    this.current?.hostEnded();
    this.current = null;
  }

  get active(): boolean {
    return this.current !== null;
  }
}
