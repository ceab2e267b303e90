// The channel owner's half of the data plane: host clients connect to the
// owner's io socket and speak the same framed protocol as the guest's io port
// (../proto/io-frames.ts); each stream a client opens is opened upstream with
// the same request and the bytes are relayed both ways. Credit is end to end
// in effect: the owner forwards only what the next hop has credit for, and
// grants the previous hop only what it forwarded, so it holds at most one
// window per direction per stream, and a slow client slows the guest's reads.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { IoMux, type IoStream } from '../proto/io-mux.js';
import { Liveness, type LivenessCheck } from './liveness.js';

/**
 * Bytes from src go to dst. Credit is passed through, not made up: what dst's
 * receiver grants is granted to src, so the far sender gets credit exactly
 * as the far receiver consumes, and the owner never holds more than what was
 * granted end to end (in practice nothing: data arrives only against credit
 * dst already has). The guest also learns what the client really consumed,
 * and keeps what was sent but not consumed for a reader that comes next.
 */
function forward(src: IoStream, dst: IoStream): void {
  const queue: Buffer[] = [];
  let srcEnded = false;
  const pump = (): void => {
    while (queue.length > 0 && dst.sendCredit > 0 && !dst.done) {
      const head = queue[0] as Buffer;
      const n = dst.write(head);
      if (n === 0) break;
      if (n < head.length) queue[0] = head.subarray(n);
      else queue.shift();
    }
    if (queue.length === 0 && srcEnded) dst.close();
  };
  src.on('data', (d) => {
    queue.push(d);
    pump();
  });
  src.on('end', () => {
    srcEnded = true;
    pump();
  });
  dst.on('credit', (n) => {
    if (n > 0) src.grant(n);
    pump();
  });
}

export function relay(client: IoStream, upstream: IoStream): void {
  client.on('error', (err) => upstream.fail(`the client ended the stream: ${err.message}`));
  upstream.on('error', (err) => client.fail(err.message));
  forward(upstream, client);
  forward(client, upstream);
  // Credit the client already granted with its OPEN (it arrived before this relay existed) goes on upstream.
  if (client.creditReceived > 0) upstream.grant(client.creditReceived);
}

/** The owner's io side: one upstream mux (the guest's io port), one mux per client connection. */
export class IoRelay {
  private upstream: IoMux | null = null;
  private upstreamConn: Duplex | null = null;
  private readonly clients = new Set<net.Socket>();
  readonly server: net.Server;

  private liveness: Liveness | null = null;

  constructor(private readonly onUpstreamLost: (why: string) => void, private readonly check: LivenessCheck = {}) {
    this.server = net.createServer((sock) => this.addClient(sock));
  }

  attach(conn: Duplex): void {
    let answered: (() => void) | null = null;
    const mux = new IoMux({ write: (b) => conn.write(b), onPong: () => answered?.() });
    this.upstream = mux;
    this.upstreamConn = conn;
    conn.on('data', (d: Buffer) => mux.feed(d));
    const lost = (why: string): void => {
      if (this.upstream !== mux) return;
      this.upstream = null;
      this.upstreamConn = null;
      liveness.stop();
      mux.reset(why);
      conn.destroy();
      this.onUpstreamLost(why);
    };
    // Streams on a connection the guest gave up on end with an error; readers carry on through the RPCs.
    const liveness = new Liveness({
      ping: (cb) => {
        answered = cb;
        mux.ping();
      },
      dead: (why) => lost(`io port: ${why}`),
      busy: () => mux.openStreams > 0,
      ...this.check,
    });
    this.liveness = liveness;
    liveness.start();
    conn.on('close', () => lost('the io connection to the guest closed'));
    conn.on('error', (err) => lost(`io connection error: ${err.message}`));
  }

  get connected(): boolean {
    return this.upstream !== null;
  }

  private addClient(sock: net.Socket): void {
    this.clients.add(sock);
    const mux = new IoMux({
      write: (b) => sock.write(b),
      maxStreams: 1024,
      onOpen: (stream, spec) => {
        if (!this.upstream) {
          stream.fail('the data plane is not connected to the guest yet');
          return;
        }
        // No window of the owner's own: the client's grants pass through (relay).
        relay(stream, this.upstream.open(spec, 0));
      },
    });
    sock.on('data', (d: Buffer) => mux.feed(d));
    sock.on('close', () => {
      this.clients.delete(sock);
      mux.reset('the client went away');
    });
    sock.on('error', () => undefined);
  }

  close(): void {
    this.liveness?.stop();
    this.server.close();
    for (const c of this.clients) c.destroy();
    this.upstreamConn?.destroy();
    this.upstream = null;
  }
}
