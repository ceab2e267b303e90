// The data plane's framing: process stdio and console bytes travel outside
// the RPC path, in framed streams over their own byte channel (a second
// virtio-serial port, `vessel.io`), with credit-based flow control.
//
// A frame: 9-byte header, then payload.
//   u8  type     OPEN | DATA | CREDIT | CLOSE | ERROR
//   u32 stream   chosen by the side that opens it (the host), never 0
//   u32 length   payload bytes, at most MAX_FRAME_PAYLOAD
// OPEN carries what to open (JSON, the caller's business); DATA carries bytes
// and may be sent only against credit; CREDIT (u32) lets the other side send
// that many more bytes; CLOSE ends a stream (half-close: "no more data from
// me"); ERROR (UTF-8 text) ends a stream with a reason. PING (stream 0, up
// to 8 bytes) asks the other side for a PONG with the same bytes: the
// channel's liveness, answered by the mux itself.
//
// A bad frame ends only its stream, never the channel: an unknown stream, a
// credit grant past MAX_WINDOW, DATA past the granted credit, an oversized
// frame (its payload is skipped as it arrives, without being held), a
// malformed payload, an unknown type; a frame cut short when the channel ends
// ends its stream with "truncated frame".

export const FrameType = { Open: 1, Data: 2, Credit: 3, Close: 4, Error: 5, Ping: 6, Pong: 7 } as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];
export const FRAME_HEADER_BYTES = 9;
export const MAX_FRAME_PAYLOAD = 256 * 1024;
/** The most a side may have granted and not yet received: bounds each receiver's buffer. */
export const MAX_WINDOW = 4 * 1024 * 1024;
export const MAX_ERROR_TEXT = 1024;

export interface Frame {
  type: number;
  stream: number;
  payload: Buffer;
}

export function encodeFrame(type: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([encodeHeader(type, stream, payload.length), payload]);
}

/** A frame's header alone: its payload of `length` bytes follows on the channel. */
export function encodeHeader(type: number, stream: number, length: number): Buffer {
  if (length > MAX_FRAME_PAYLOAD) throw new RangeError(`frame payload of ${length} bytes exceeds ${MAX_FRAME_PAYLOAD}`);
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(stream >>> 0, 1);
  header.writeUInt32BE(length, 5);
  return header;
}

export function creditPayload(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

export type DecodedItem =
  | { kind: 'frame'; frame: Frame }
  /** A frame longer than MAX_FRAME_PAYLOAD: reported once, its payload skipped. */
  | { kind: 'oversized'; stream: number; type: number; length: number };

/** Incremental decoder: bytes in any chunking, frames out. Holds at most one frame's bytes. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private skipping = 0;

  push(chunk: Buffer): DecodedItem[] {
    const out: DecodedItem[] = [];
    let data = chunk;
    if (this.skipping > 0) {
      const n = Math.min(this.skipping, data.length);
      this.skipping -= n;
      data = data.subarray(n);
    }
    this.buf = this.buf.length > 0 ? Buffer.concat([this.buf, data]) : data;
    let at = 0;
    while (this.buf.length - at >= FRAME_HEADER_BYTES) {
      const type = this.buf.readUInt8(at);
      const stream = this.buf.readUInt32BE(at + 1);
      const length = this.buf.readUInt32BE(at + 5);
      if (length > MAX_FRAME_PAYLOAD) {
        out.push({ kind: 'oversized', stream, type, length });
        const available = this.buf.length - at - FRAME_HEADER_BYTES;
        const skipNow = Math.min(available, length);
        at += FRAME_HEADER_BYTES + skipNow;
        this.skipping = length - skipNow;
        continue;
      }
      if (this.buf.length - at - FRAME_HEADER_BYTES < length) break;
      out.push({ kind: 'frame', frame: { type, stream, payload: Buffer.from(this.buf.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length)) } });
      at += FRAME_HEADER_BYTES + length;
    }
    this.buf = at === 0 ? Buffer.from(this.buf) : Buffer.from(this.buf.subarray(at));
    return out;
  }

  /** The channel ended: the stream of a frame cut short, if any (0 when even its header was incomplete). */
  end(): { truncated: boolean; stream: number } {
    const truncated = this.buf.length > 0 || this.skipping > 0;
    const stream = this.buf.length >= 5 ? this.buf.readUInt32BE(1) : 0;
    this.buf = Buffer.alloc(0);
    this.skipping = 0;
    return { truncated, stream };
  }

  /** Bytes held for a frame not complete yet (bounded by one frame). */
  get pending(): number {
    return this.buf.length;
  }
}
