// One virtio-serial port carries one host connection at a time, but the guest
// is not told reliably when one host process leaves and the next arrives (the
// "host closed" and "host opened" notifications can land between two reads).
// So the byte stream itself is watched: every HTTP/2 connection starts with
// the 24-byte client preface, and frames carry their own length, so a new
// preface at a frame boundary marks a new host connection. Each host
// connection becomes its own Duplex, handed to the gRPC server.
import { Duplex } from 'node:stream';

export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER_BYTES = 9;
/** SETTINGS_MAX_FRAME_SIZE we advertise (HTTP/2 default; Node and grpc-js keep it). Larger means desync. */
const MAX_FRAME_PAYLOAD = 16_384;

export interface Segment {
  /** True when `data` begins with a new connection's preface. */
  newConnection: boolean;
  data: Buffer;
}

/**
 * Splits a byte stream into per-connection segments. Starts unsynchronised:
 * bytes before the first preface (a connection the agent joined half-way,
 * e.g. after an agent restart) are dropped.
 */
export class Http2StreamSplitter {
  private synced = false;
  /** Bytes kept across chunks: a partial preface while unsynced, a partial frame header while synced. */
  private pending = Buffer.alloc(0);
  /** Bytes still belonging to the current preface or frame payload. */
  private skip = 0;

  /** The last bytes fed (fewer than a preface), to find a preface split across chunks. */
  private tail = Buffer.alloc(0);

  /**
   * Split a chunk. A preface anywhere in the stream starts a new connection,
   * even in the middle of what looked like a frame: a host that closed its
   * socket mid-write leaves a partial frame behind, and the next host's
   * preface must not be swallowed as that frame's payload.
   */
  feed(chunk: Buffer): Segment[] {
    const combined = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    const at = this.synced ? combined.indexOf(HTTP2_PREFACE) : -1;
    let out: Segment[];
    if (at >= 0) {
      const cut = at - this.tail.length; // where the preface starts in `chunk` (negative: it began in the tail)
      out = cut > 0 ? this.feedFrames(chunk.subarray(0, cut)) : [];
      this.reset();
      out.push(...this.feedFrames(Buffer.concat([HTTP2_PREFACE, combined.subarray(at + HTTP2_PREFACE.length)])));
    } else {
      out = this.feedFrames(chunk);
    }
    this.tail = Buffer.from(combined.subarray(Math.max(0, combined.length - (HTTP2_PREFACE.length - 1))));
    return out;
  }

  private feedFrames(chunk: Buffer): Segment[] {
    const out: Segment[] = [];
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    let segStart = 0;
    let segNew = false;
    let pos = 0;
    const flush = (end: number): void => {
      if (end > segStart) out.push({ newConnection: segNew, data: buf.subarray(segStart, end) });
      segNew = false;
      segStart = end;
    };

    while (pos < buf.length) {
      if (!this.synced) {
        const at = buf.indexOf(HTTP2_PREFACE, pos);
        if (at < 0) {
          // Keep a tail that may be the start of a preface split across chunks.
          const keep = Math.min(HTTP2_PREFACE.length - 1, buf.length - pos);
          this.pending = Buffer.from(buf.subarray(buf.length - keep));
          segStart = buf.length; // drop the rest
          pos = buf.length;
          break;
        }
        segStart = at;
        segNew = true;
        this.synced = true;
        this.skip = HTTP2_PREFACE.length;
        pos = at;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - pos);
        this.skip -= n;
        pos += n;
        continue;
      }
      // At a frame boundary.
      if (buf[pos] === HTTP2_PREFACE[0]) {
        // 'P' as the high length byte would be a >5 MB frame: it is a new preface.
        flush(pos);
        this.synced = false;
        continue;
      }
      if (buf.length - pos < FRAME_HEADER_BYTES) {
        flush(pos);
        this.pending = Buffer.from(buf.subarray(pos));
        // The kept header bytes will be re-fed at the next chunk's start, as part of the same connection.
        segStart = buf.length;
        pos = buf.length;
        break;
      }
      const length = buf.readUIntBE(pos, 3);
      if (length > MAX_FRAME_PAYLOAD) {
        flush(pos);
        this.synced = false;
        continue;
      }
      this.skip = FRAME_HEADER_BYTES + length;
    }
    flush(Math.min(pos, buf.length));
    return out;
  }

  /** The host side went away: whatever comes next starts with a preface. */
  reset(): void {
    this.synced = false;
    this.pending = Buffer.alloc(0);
    this.skip = 0;
    this.tail = Buffer.alloc(0);
  }
}

/** Where a connection's outgoing bytes go: the port. */
export type PortWriter = (data: Buffer, done: (err?: Error | null) => void) => void;

/** One host connection, as seen by the gRPC server. */
export class HostConnection extends Duplex {
  private live = true;

  constructor(private readonly writer: PortWriter, private readonly onGone: (c: HostConnection) => void) {
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

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.retire();
    done(err);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.retire();
    done();
  }

  /** The host side ended this connection. */
  hostEnded(): void {
    this.retire();
    this.push(null);
    this.destroy();
  }

  private retire(): void {
    if (!this.live) return;
    this.live = false;
    this.onGone(this);
  }
}

/**
 * Routes a port's byte stream to per-host-connection Duplexes. `inject` hands
 * a new connection to the gRPC server (server.createConnectionInjector).
 */
export class PortDemux {
  private readonly splitter = new Http2StreamSplitter();
  private current: HostConnection | null = null;
  connections = 0;

  constructor(private readonly writer: PortWriter, private readonly inject: (c: Duplex) => void) {}

  data(chunk: Buffer): void {
    for (const seg of this.splitter.feed(chunk)) {
      if (seg.newConnection) {
        this.current?.hostEnded();
        const conn = new HostConnection(this.writer, (c) => {
          if (this.current === c) this.current = null;
        });
        this.current = conn;
        this.connections += 1;
        this.inject(conn);
      }
      // Frames for a connection the server already closed are dropped.
      if (this.current) this.current.push(seg.data);
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
