// The channel owner's gRPC gateway: many host clients (each its own HTTP/2
// connection on the owner's unix socket, speaking gRPC with grpc-js) share
// one connection to the guest agent, which speaks the port's frames
// (../proto/rpc-frames.ts). Every client call becomes one REQUEST frame with
// the client's gRPC body as it came, and the guest's RESPONSE frame becomes
// the gRPC reply (headers, the message, grpc-status trailers). A client that
// resets its stream (or dies) cancels its call in the guest; a deadline
// (grpc-timeout) travels with the call. The gateway decodes no message and
// knows no method: RPCs added to the proto pass through as they are.
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { encodeEmpty, encodeRequest, RpcFrameDecoder, RpcFrameType, type RpcFrame } from '../proto/rpc-frames.js';
import { MAX_AGENT_MESSAGE_BYTES } from '../proto/limits.js';
import { Status } from '../proto/status.js';
import { Liveness, type LivenessCheck } from './liveness.js';

/** Enough for several large replies in flight (the link is slow to round-trip under TCG). */
export const PROXY_WINDOW_BYTES = 4 * 1024 * 1024;

const { UNAVAILABLE, INTERNAL, RESOURCE_EXHAUSTED, UNIMPLEMENTED } = Status;

/** gRPC's grpc-message encoding: percent-encode '%' and every byte outside printable ASCII. */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** grpc-timeout ("<1-8 digits><unit>") in ms; undefined when absent or malformed (a malformed one is ignored, as grpc-js does). */
export function parseGrpcTimeout(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return undefined;
  const perMs: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
  return Number(m[1]) * (perMs[m[2] as string] as number);
}

export interface ProxyStats {
  clients: number;
  streams: number;
  streamsTotal: number;
}

interface Upstream {
  stream: Duplex;
  calls: Map<number, (frame: Extract<RpcFrame, { type: typeof RpcFrameType.RESPONSE }> | { lost: string }) => void>;
  pings: Map<number, () => void>;
}

/** The client side (HTTP/2 sessions) and the one upstream connection to the guest, replaced when it breaks. */
export class AgentProxy {
  private upstream: Upstream | null = null;
  private waiters: ((u: Upstream | string) => void)[] = [];
  private readonly clients = new Set<http2.ServerHttp2Session>();
  private streams = 0;
  private streamsTotal = 0;
  private nextId = 1;
  private closed = false;

  private liveness: Liveness | null = null;

  /**
   * `onUpstreamLost` hears why the connection to the guest ended (the owner
   * reconnects); `connect`, when given, is called whenever a call finds no
   * connection and none is being made (a tunnel that connects on demand).
   */
  constructor(private readonly onUpstreamLost: (why: string) => void, private readonly check: LivenessCheck = {}, private readonly connect?: () => void) {}

  /** Use this byte stream (after the hello) as the connection to the guest. */
  attach(stream: Duplex): void {
    const up: Upstream = { stream, calls: new Map(), pings: new Map() };
    const lost = (why: string): void => {
      if (this.upstream !== up) return;
      this.upstream = null;
      liveness.stop();
      decoder.end();
      if (!stream.destroyed) stream.destroy();
      for (const settle of up.calls.values()) settle({ lost: why });
      up.calls.clear();
      this.onUpstreamLost(why);
    };
    const decoder = new RpcFrameDecoder(
      (frame) => {
        if (frame.type === RpcFrameType.RESPONSE) {
          const settle = up.calls.get(frame.id);
          up.calls.delete(frame.id);
          settle?.(frame);
        } else if (frame.type === RpcFrameType.PONG) {
          const answered = up.pings.get(frame.id);
          up.pings.delete(frame.id);
          answered?.();
        }
      },
      (err, oversized) => {
        // A reply that could not be read ends that call only.
        if (err.id === null || err.type !== RpcFrameType.RESPONSE) return;
        const settle = up.calls.get(err.id);
        up.calls.delete(err.id);
        settle?.({ type: RpcFrameType.RESPONSE, id: err.id, status: oversized ? RESOURCE_EXHAUSTED : INTERNAL, message: `the guest's reply could not be read: ${err.reason}`, payload: Buffer.alloc(0) });
      },
    );
    let pingSeq = 0;
    // A PING frame: a guest that stopped reading this connection is found, and its calls end with an error.
    const liveness = new Liveness({
      ping: (answered) => {
        const id = (pingSeq = (pingSeq + 1) >>> 0);
        up.pings.clear(); // only the latest ping counts
        up.pings.set(id, answered);
        this.write(up, encodeEmpty(RpcFrameType.PING, id));
      },
      dead: (why) => lost(`agent port: ${why}`),
      // Busy while any client call is open, not only while its frame is with the guest:
      // brief calls left the connection looking idle at most ticks, so no ping was ever
      // answered and a guest gone silent was never judged (the old proxy counted streams too).
      busy: () => this.streams > 0,
      ...this.check,
    });
    this.liveness = liveness;
    stream.on('data', (chunk: Buffer) => decoder.push(chunk));
    stream.on('error', (err) => lost(`the connection to the guest failed: ${err.message}`));
    stream.on('end', () => lost('the guest ended the connection'));
    stream.on('close', () => lost('the connection to the guest closed'));
    this.upstream = up;
    liveness.start();
    for (const w of this.waiters.splice(0)) w(up);
  }

  get connected(): boolean {
    return this.upstream !== null;
  }

  stats(): ProxyStats {
    return { clients: this.clients.size, streams: this.streams, streamsTotal: this.streamsTotal };
  }

  /** Serve one host client's HTTP/2 connection. */
  addClient(session: http2.ServerHttp2Session): void {
    this.clients.add(session);
    session.on('close', () => this.clients.delete(session));
    session.on('error', () => session.destroy());
    session.on('connect', () => session.setLocalWindowSize(PROXY_WINDOW_BYTES));
    session.on('stream', (stream, headers) => this.serve(stream, headers));
  }

  private write(up: Upstream, frame: Buffer): void {
    if (!up.stream.destroyed && up.stream.writable) up.stream.write(frame);
  }

  private nextUpstream(): Promise<Upstream | string> {
    if (this.closed) return Promise.resolve('the agent channel is closing');
    if (this.upstream) return Promise.resolve(this.upstream);
    const waiting = new Promise<Upstream | string>((resolve) => this.waiters.push(resolve));
    this.connect?.();
    return waiting;
  }

  /** Calls waiting for a connection that will not come (a tunnel's connect failed) end now, with `why`. */
  failWaiting(why: string): void {
    for (const w of this.waiters.splice(0)) w(why);
  }

  private serve(down: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    this.streams += 1;
    this.streamsTotal += 1;
    let finished = false;
    let cancel: (() => void) | null = null;
    const answer = (status: number, message: string, payload?: Buffer): void => {
      if (finished) return;
      finished = true;
      if (down.destroyed || down.closed) return;
      try {
        if (status !== 0 || !payload) {
          // Trailers-only response.
          down.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(status), ...(message ? { 'grpc-message': encodeGrpcMessage(message) } : {}) }, { endStream: true });
          return;
        }
        const framed = Buffer.allocUnsafe(5 + payload.length);
        framed[0] = 0;
        framed.writeUInt32BE(payload.length, 1);
        payload.copy(framed, 5);
        down.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        down.once('wantTrailers', () => {
          try {
            down.sendTrailers({ 'grpc-status': '0' });
          } catch {
            // the client went away meanwhile
          }
        });
        down.end(framed);
      } catch {
        // the client went away meanwhile
      }
    };
    down.on('error', () => undefined);
    // A client that resets its stream or dies cancels its call in the guest.
    down.once('close', () => {
      this.streams -= 1;
      if (!finished) {
        finished = true;
        cancel?.();
      }
    });

    if (headers[':method'] !== 'POST') return answer(UNIMPLEMENTED, `method ${String(headers[':method'])} is not POST`);
    if (!String(headers['content-type'] ?? '').startsWith('application/grpc')) {
      finished = true;
      down.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    const path = String(headers[':path'] ?? '');
    const timeoutMs = parseGrpcTimeout(headers['grpc-timeout']);
    const arrived = Date.now();
    const chunks: Buffer[] = [];
    let size = 0;
    down.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 5 + MAX_AGENT_MESSAGE_BYTES) {
        answer(RESOURCE_EXHAUSTED, `request exceeds ${MAX_AGENT_MESSAGE_BYTES} bytes`);
        return;
      }
      if (!finished) chunks.push(chunk);
    });
    down.on('end', () => {
      if (finished) return;
      // Until the guest answers (boot, reconnect) the call waits; the client's deadline bounds it.
      void this.nextUpstream().then((up) => {
        if (finished) return;
        if (typeof up === 'string') {
          answer(UNAVAILABLE, `no connection to the guest agent: ${up}`);
          return;
        }
        const id = this.nextId;
        this.nextId = this.nextId >= 0xfffffffe ? 1 : this.nextId + 1;
        up.calls.set(id, (reply) => {
          if ('lost' in reply) answer(UNAVAILABLE, `the connection to the guest agent was lost: ${reply.lost}`);
          else if (reply.status === 0) answer(0, '', reply.payload);
          else answer(reply.status, reply.message);
        });
        cancel = () => {
          if (up.calls.delete(id)) this.write(up, encodeEmpty(RpcFrameType.CANCEL, id));
        };
        const left = timeoutMs === undefined ? 0 : Math.max(1, timeoutMs - (Date.now() - arrived));
        try {
          this.write(up, encodeRequest(id, path, left, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
        } catch (err) {
          up.calls.delete(id);
          answer(INTERNAL, err instanceof Error ? err.message : String(err));
        }
      });
    });
  }

  close(): void {
    this.closed = true;
    this.liveness?.stop();
    this.failWaiting('the agent channel is closing');
    for (const c of this.clients) c.destroy();
    this.upstream?.stream.destroy();
    this.upstream = null;
  }
}
