// A stream-level HTTP/2 proxy: many host clients (each its own HTTP/2
// connection on the owner's unix socket) share one HTTP/2 connection to the
// guest agent. Every client stream becomes one upstream stream: headers, data
// and trailers pass through unchanged, resets pass both ways, flow control is
// HTTP/2's own per stream, so a slow client slows only its stream. The proxy
// knows nothing of gRPC methods: RPCs added to the proto pass through as they are.
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { Liveness, type LivenessCheck } from './liveness.js';

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, HTTP2_HEADER_STATUS } = http2.constants;

/** Headers that belong to one HTTP/2 hop, never forwarded. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings']);

/** Enough for several large read replies in flight (the link is slow to round-trip under TCG). */
export const PROXY_WINDOW_BYTES = 4 * 1024 * 1024;
const SETTINGS: http2.Settings = { initialWindowSize: PROXY_WINDOW_BYTES, maxConcurrentStreams: 1000 };

function forwardable(headers: http2.IncomingHttpHeaders | http2.OutgoingHttpHeaders): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_HEADERS.has(k)) continue;
    out[k] = v;
  }
  return out;
}

export interface ProxyStats {
  clients: number;
  streams: number;
  streamsTotal: number;
}

/** The upstream side: the one HTTP/2 client session to the guest, replaced when it breaks. */
export class AgentProxy {
  private upstream: http2.ClientHttp2Session | null = null;
  private waiters: ((s: http2.ClientHttp2Session | null) => void)[] = [];
  private readonly clients = new Set<http2.ServerHttp2Session>();
  private streams = 0;
  private streamsTotal = 0;
  private closed = false;

  private liveness: Liveness | null = null;

  constructor(private readonly onUpstreamLost: (why: string) => void, private readonly check: LivenessCheck = {}) {}

  /** Use this byte stream (after the hello) as the connection to the guest. */
  attach(stream: Duplex): void {
    const session = http2.connect('http://vessel-agent', { createConnection: () => stream, settings: SETTINGS });
    session.on('connect', () => session.setLocalWindowSize(PROXY_WINDOW_BYTES));
    const lost = (why: string): void => {
      if (this.upstream !== session) return;
      this.upstream = null;
      liveness.stop();
      if (!session.destroyed) session.destroy();
      this.onUpstreamLost(why);
    };
    // HTTP/2's own PING: a guest that stopped reading this connection is found, and its calls end with an error.
    const liveness = new Liveness({
      ping: (answered) => {
        try {
          session.ping((err) => {
            if (!err) answered();
          });
        } catch {
          // the session is closing: its close event reconnects
        }
      },
      dead: (why) => lost(`agent port: ${why}`),
      busy: () => this.streams > 0,
      ...this.check,
    });
    this.liveness = liveness;
    liveness.start();
    session.on('error', (err) => lost(`HTTP/2 error: ${err.message}`));
    session.on('goaway', () => lost('the guest sent GOAWAY'));
    session.on('close', () => lost('the connection to the guest closed'));
    this.upstream = session;
    for (const w of this.waiters.splice(0)) w(session);
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
    session.on('stream', (stream, headers) => {
      void this.forward(stream, headers);
    });
  }

  private nextUpstream(): Promise<http2.ClientHttp2Session | null> {
    if (this.closed) return Promise.resolve(null);
    if (this.upstream && !this.upstream.destroyed) return Promise.resolve(this.upstream);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private async forward(down: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): Promise<void> {
    this.streams += 1;
    this.streamsTotal += 1;
    down.once('close', () => {
      this.streams -= 1;
    });
    down.on('error', () => undefined);
    // Until the guest answers (boot, reconnect) the stream waits; the client's deadline bounds it.
    down.pause();
    const session = await this.nextUpstream();
    if (!session || down.destroyed || down.closed) {
      if (!down.destroyed) down.close(NGHTTP2_REFUSED_STREAM);
      return;
    }
    let up: http2.ClientHttp2Stream;
    try {
      up = session.request(forwardable(headers), { endStream: false });
    } catch {
      down.close(NGHTTP2_REFUSED_STREAM);
      return;
    }
    let trailers: http2.OutgoingHttpHeaders | null = null;
    let endedWithHeaders = false;
    up.on('error', () => undefined);
    up.on('response', (h, flags) => {
      if (down.destroyed || down.headersSent) return;
      const endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      endedWithHeaders = endStream;
      const out = forwardable(h);
      out[HTTP2_HEADER_STATUS] = h[HTTP2_HEADER_STATUS] ?? 200;
      try {
        down.respond(out, endStream ? { endStream: true } : { waitForTrailers: true });
      } catch {
        up.close(NGHTTP2_CANCEL);
        return;
      }
      // Only now: a write before respond() makes node send default headers of its own.
      // Not ended by the pipe: the guest's trailers (grpc-status) may come after its data ends;
      // the client's stream ends once the upstream one has closed, trailers known.
      if (!endStream) up.pipe(down, { end: false });
    });
    up.on('trailers', (t) => {
      trailers = forwardable(t);
    });
    down.on('wantTrailers', () => {
      try {
        down.sendTrailers(trailers ?? {});
      } catch {
        // the client went away meanwhile
      }
    });
    down.pipe(up);
    // A stream reset or dropped on either side ends the other: a client that dies cancels its calls in the guest.
    down.once('close', () => {
      if (!up.closed) up.close(down.rstCode && down.rstCode !== 0 ? down.rstCode : NGHTTP2_CANCEL);
    });
    up.once('close', () => {
      if (down.closed || down.destroyed) return;
      if (up.rstCode && up.rstCode !== 0) down.close(up.rstCode);
      else if (!down.headersSent) down.close(NGHTTP2_CANCEL);
      else if (!endedWithHeaders && !down.writableEnded) down.end();
    });
    down.resume();
  }

  close(): void {
    this.closed = true;
    this.liveness?.stop();
    for (const w of this.waiters.splice(0)) w(null);
    for (const c of this.clients) c.destroy();
    this.upstream?.destroy();
    this.upstream = null;
  }
}
