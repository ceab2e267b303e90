// The channel owner's one connection to the guest agent: QEMU's virtio-serial
// chardev socket, opened with the hello handshake (../proto/hello.ts), and
// handed on as a Duplex that yields the guest's bytes from its echo on.
import net from 'node:net';
import { Duplex } from 'node:stream';
import { HELLO_BYTES, newHello } from '../proto/hello.js';

/**
 * The guest's byte stream after the echo of our hello. A plain Duplex (not the
 * socket itself): bytes that arrived together with the echo must come first,
 * and node's HTTP/2 reads a net.Socket's handle directly, past any unshift.
 */
class AfterHello extends Duplex {
  constructor(private readonly socket: net.Socket, first: Buffer) {
    super();
    if (first.length > 0) this.push(first);
    socket.on('data', (d: Buffer) => {
      if (!this.push(d)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('error', (err) => this.destroy(err));
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.socket.write(chunk, done);
  }

  override _writev(chunks: { chunk: Buffer }[], done: (err?: Error | null) => void): void {
    this.socket.write(Buffer.concat(chunks.map((c) => c.chunk)), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.socket.end();
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.socket.destroy();
    done(err);
  }
}

/**
 * Connect to the agent's socket and wait for the guest to echo our hello
 * (it may still be booting: bytes wait in QEMU until the agent opens its
 * port). Rejects when the socket fails or closes, or after waitMs.
 */
export function openAgentStream(agentSocket: string, waitMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(agentSocket);
    const hello = newHello();
    let pending = Buffer.alloc(0);
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(why));
    };
    const timer = setTimeout(() => fail(`the guest agent did not echo the hello within ${waitMs} ms`), waitMs);
    const onData = (chunk: Buffer): void => {
      pending = Buffer.concat([pending, chunk]);
      const at = pending.indexOf(hello);
      if (at < 0) {
        // Bytes meant for an earlier host connection: keep only a tail that may hold a split echo.
        pending = pending.subarray(Math.max(0, pending.length - (HELLO_BYTES - 1)));
        return;
      }
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.pause();
      resolve(new AfterHello(socket, Buffer.from(pending.subarray(at + HELLO_BYTES))));
    };
    const onError = (err: Error): void => fail(`agent socket ${agentSocket}: ${err.message}`);
    const onClose = (): void => fail(`agent socket ${agentSocket} closed before the guest answered`);
    socket.on('data', onData).on('error', onError).on('close', onClose);
    socket.once('connect', () => socket.write(hello));
  });
}
