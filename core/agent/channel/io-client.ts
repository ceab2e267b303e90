// A host client's end of the data plane: one connection to the channel
// owner's io socket, streams opened on it (../proto/io-mux.ts).
import net from 'node:net';
import { DEFAULT_WINDOW, IoMux, type IoStream } from '../proto/io-mux.js';

export class IoClient {
  private closed = false;

  private constructor(private readonly sock: net.Socket, private readonly mux: IoMux) {}

  static connect(path: string, timeoutMs = 2_000): Promise<IoClient> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(path);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`io socket ${path} did not accept within ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      sock.once('connect', () => {
        clearTimeout(timer);
        const mux = new IoMux({ write: (b) => sock.write(b) });
        const client = new IoClient(sock, mux);
        sock.on('data', (d: Buffer) => mux.feed(d));
        sock.on('close', () => {
          client.closed = true;
          mux.reset('the connection to the agent channel owner closed');
        });
        sock.on('error', () => undefined);
        resolve(client);
      });
    });
  }

  get usable(): boolean {
    return !this.closed;
  }

  open(spec: Record<string, unknown>, window = DEFAULT_WINDOW): IoStream {
    return this.mux.open(Buffer.from(JSON.stringify(spec)), window);
  }

  close(): void {
    this.closed = true;
    this.sock.destroy();
  }
}

/**
 * A read stream as an async iterator: each chunk is granted back (credit)
 * only once the consumer asks for the next, so a slow consumer slows the
 * guest. Resolves `done: true` at the stream's end; on an error, or when
 * `giveUp` aborts (the caller stops waiting for the stream's end), returns
 * the offset reached so the caller can carry on another way.
 */
export async function* readIoStream(s: IoStream, startOffset: number, signal?: AbortSignal, giveUp?: AbortSignal): AsyncGenerator<Buffer, { offset: number; done: boolean; error?: string }, undefined> {
  const queue: Buffer[] = [];
  let ended = false;
  let error: string | null = null;
  let wake: (() => void) | null = null;
  const poke = (): void => {
    wake?.();
    wake = null;
  };
  s.on('data', (d) => {
    queue.push(d);
    poke();
  });
  s.on('end', () => {
    ended = true;
    // Our half too (a reader sends nothing): both ends, and the channel owner between them, forget the stream.
    s.close();
    poke();
  });
  s.on('error', (e) => {
    error = e.message;
    poke();
  });
  const onAbort = (): void => poke();
  signal?.addEventListener('abort', onAbort);
  giveUp?.addEventListener('abort', onAbort);
  let offset = startOffset;
  let finished = false;
  try {
    for (;;) {
      if (signal?.aborted) return { offset, done: true };
      if (giveUp?.aborted && queue.length === 0 && !ended) return { offset, done: false, error: 'the stream did not end in time' };
      const chunk = queue.shift();
      if (chunk) {
        yield chunk;
        offset += chunk.length;
        s.consumed(chunk.length);
        continue;
      }
      if (ended) {
        finished = true;
        return { offset, done: true };
      }
      if (error !== null) return { offset, done: false, error };
      await new Promise<void>((r) => (wake = r));
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    giveUp?.removeEventListener('abort', onAbort);
    if (!finished && !s.done) s.fail('the reader stopped');
  }
}
