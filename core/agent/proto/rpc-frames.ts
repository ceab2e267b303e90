// The agent port's wire protocol: unary calls in length-prefixed frames, one
// byte stream per host connection (after the hello, hello.ts).
//
// Clients speak gRPC to the host's channel owner; the owner turns each call
// into one REQUEST frame and the guest's RESPONSE frame back into the gRPC
// reply. HTTP/2 is not spoken across the port: under TCG every layer of
// JavaScript a call walks through in the guest costs its one vCPU, and a
// gRPC server on HTTP/2 cost ~8x the guest CPU of these frames per call
// (measured on the host under --no-opt; Kata's agent moved from gRPC to
// ttrpc for the same reason). The owner passes the message bytes through
// without decoding them: it knows no method.
//
// Frame: u32 body length, u8 type, u32 call id, body.
//   REQUEST  : u32 timeout ms (0 = none), u16 path length, path ("/pkg.Service/Method"),
//              then the gRPC request body (length-prefixed messages) as the client sent it
//   CANCEL   : (empty) the host gave up on the call
//   RESPONSE : u16 status, u32 message length, message (UTF-8), then the response message bytes
//   PING/PONG: (empty) liveness; the id is the nonce
import { MAX_AGENT_MESSAGE_BYTES } from './limits.js';

export const RpcFrameType = { REQUEST: 1, CANCEL: 2, RESPONSE: 3, PING: 4, PONG: 5 } as const;
export type RpcFrameType = (typeof RpcFrameType)[keyof typeof RpcFrameType];

export const RPC_HEADER_BYTES = 9;
/** The largest body either side accepts: one maximal message, its gRPC prefix, a path and a status message. */
export const MAX_RPC_FRAME_BODY = MAX_AGENT_MESSAGE_BYTES + 5 + 64 * 1024;
const MAX_PATH_BYTES = 1024;

export type RpcFrame =
  | { type: typeof RpcFrameType.REQUEST; id: number; path: string; timeoutMs: number; body: Buffer }
  | { type: typeof RpcFrameType.CANCEL; id: number }
  | { type: typeof RpcFrameType.RESPONSE; id: number; status: number; message: string; payload: Buffer }
  | { type: typeof RpcFrameType.PING | typeof RpcFrameType.PONG; id: number };

/** A frame that could not be taken: its id (when the header arrived) and why. The stream of frames carries on. */
export interface RpcFrameError {
  id: number | null;
  type: number | null;
  reason: string;
}

function header(type: RpcFrameType, id: number, bodyLength: number): Buffer {
  const b = Buffer.allocUnsafe(RPC_HEADER_BYTES + bodyLength);
  b.writeUInt32BE(bodyLength, 0);
  b[4] = type;
  b.writeUInt32BE(id >>> 0, 5);
  return b;
}

export function encodeRequest(id: number, path: string, timeoutMs: number, body: Buffer): Buffer {
  const p = Buffer.from(path, 'utf8');
  if (p.length > MAX_PATH_BYTES) throw new RangeError(`method path of ${p.length} bytes exceeds ${MAX_PATH_BYTES}`);
  const b = header(RpcFrameType.REQUEST, id, 6 + p.length + body.length);
  b.writeUInt32BE(Math.max(0, Math.min(0xffffffff, Math.ceil(timeoutMs))), 9);
  b.writeUInt16BE(p.length, 13);
  p.copy(b, 15);
  body.copy(b, 15 + p.length);
  return b;
}

export function encodeResponse(id: number, status: number, message: string, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const m = Buffer.from(message.slice(0, 16 * 1024), 'utf8');
  const b = header(RpcFrameType.RESPONSE, id, 6 + m.length + payload.length);
  b.writeUInt16BE(status, 9);
  b.writeUInt32BE(m.length, 11);
  m.copy(b, 15);
  b.set(payload, 15 + m.length);
  return b;
}

export function encodeEmpty(type: typeof RpcFrameType.CANCEL | typeof RpcFrameType.PING | typeof RpcFrameType.PONG, id: number): Buffer {
  return header(type, id, 0);
}

function parseBody(type: number, id: number, body: Buffer): RpcFrame | string {
  switch (type) {
    case RpcFrameType.REQUEST: {
      if (body.length < 6) return 'truncated request header';
      const timeoutMs = body.readUInt32BE(0);
      const pathLength = body.readUInt16BE(4);
      if (pathLength > MAX_PATH_BYTES) return `method path of ${pathLength} bytes exceeds ${MAX_PATH_BYTES}`;
      if (body.length < 6 + pathLength) return 'method path runs past the frame';
      return { type, id, timeoutMs, path: body.toString('utf8', 6, 6 + pathLength), body: body.subarray(6 + pathLength) };
    }
    case RpcFrameType.RESPONSE: {
      if (body.length < 6) return 'truncated response header';
      const status = body.readUInt16BE(0);
      const messageLength = body.readUInt32BE(2);
      if (body.length < 6 + messageLength) return 'status message runs past the frame';
      return { type, id, status, message: body.toString('utf8', 6, 6 + messageLength), payload: body.subarray(6 + messageLength) };
    }
    case RpcFrameType.CANCEL:
    case RpcFrameType.PING:
    case RpcFrameType.PONG:
      if (body.length !== 0) return `${type === RpcFrameType.CANCEL ? 'cancel' : 'ping'} frame with a ${body.length}-byte body`;
      return { type, id };
    default:
      return `unknown frame type ${type}`;
  }
}

/**
 * Splits a byte stream into frames, whatever the chunking. A frame that is bad
 * (unknown type, malformed body, oversized: its body is skipped as it arrives,
 * never held) is reported and skipped; the frames after it are read as usual.
 */
export class RpcFrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of an oversized frame's body still to skip. */
  private skipping = 0;

  constructor(
    private readonly onFrame: (frame: RpcFrame) => void,
    /** `oversized`: the frame was larger than the decoder takes (its body was skipped). */
    private readonly onError: (err: RpcFrameError, oversized: boolean) => void,
    private readonly maxBody = MAX_RPC_FRAME_BODY,
  ) {}

  push(chunk: Buffer): void {
    if (this.skipping > 0) {
      const n = Math.min(this.skipping, chunk.length);
      this.skipping -= n;
      chunk = chunk.subarray(n);
      if (chunk.length === 0) return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    for (;;) {
      if (this.pendingBytes < RPC_HEADER_BYTES) return;
      const head = this.peek(RPC_HEADER_BYTES);
      const length = head.readUInt32BE(0);
      const type = head[4] as number;
      const id = head.readUInt32BE(5);
      if (length > this.maxBody) {
        this.consume(RPC_HEADER_BYTES);
        const available = Math.min(length, this.pendingBytes);
        this.consume(available);
        this.skipping = length - available;
        this.onError({ id, type, reason: `frame of ${length} bytes exceeds ${this.maxBody}` }, true);
        if (this.skipping > 0) return;
        continue;
      }
      if (this.pendingBytes < RPC_HEADER_BYTES + length) return;
      this.consume(RPC_HEADER_BYTES);
      const body = this.take(length);
      const frame = parseBody(type, id, body);
      if (typeof frame === 'string') this.onError({ id, type, reason: frame }, false);
      else this.onFrame(frame);
    }
  }

  /** The stream ended: a frame cut short is reported. */
  end(): void {
    if (this.pendingBytes > 0 || this.skipping > 0) {
      const id = this.pendingBytes >= RPC_HEADER_BYTES ? this.peek(RPC_HEADER_BYTES).readUInt32BE(5) : null;
      this.onError({ id, type: null, reason: 'truncated frame: the stream ended inside it' }, false);
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = 0;
  }

  private peek(n: number): Buffer {
    const first = this.pending[0] as Buffer;
    if (first.length >= n) return first;
    const joined = Buffer.concat(this.pending);
    this.pending = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.peek(n);
    const out = first.subarray(0, n);
    this.consume(n);
    return out;
  }

  private consume(n: number): void {
    this.pendingBytes -= n;
    while (n > 0) {
      const first = this.pending[0] as Buffer;
      if (first.length <= n) {
        n -= first.length;
        this.pending.shift();
      } else {
        this.pending[0] = first.subarray(n);
        n = 0;
      }
    }
  }
}
