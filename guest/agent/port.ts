// The virtio-serial port the host talks to. QEMU names it (virtserialport
// name=vessel.agent); the guest kernel lists ports in /sys/class/virtio-ports
// and devtmpfs creates /dev/vportNpM.
import { closeSync, existsSync, openSync, read, readFileSync, readdirSync, write } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const AGENT_PORT_NAME = 'vessel.agent';

export function findPortDevice(name: string, sysRoot = '/sys', devRoot = '/dev'): string | null {
  const dir = `${sysRoot}/class/virtio-ports`;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return null;
  }
  for (const entry of entries.sort()) {
    try {
      if (readFileSync(`${dir}/${entry}/name`, 'utf8').trim() === name) return `${devRoot}/${entry}`;
    } catch {
      // a port without a name
    }
  }
  return null;
}

export async function waitForPortDevice(name: string, onWaiting: () => void): Promise<string> {
  let warned = false;
  for (;;) {
    const dev = findPortDevice(name);
    if (dev && existsSync(dev)) return dev;
    if (!warned) {
      warned = true;
      onWaiting();
    }
    await sleep(20);
  }
}

/** An open port: bytes in, bytes out, and `end` when no host is connected (read returned 0). */
export interface PortStream {
  onData(fn: (chunk: Buffer) => void): void;
  onEnd(fn: () => void): void;
  write(data: Buffer, done: (err?: Error | null) => void): void;
  close(): void;
  readonly kind: 'epoll' | 'threadpool';
}

interface PipeHandle {
  open(fd: number): number | undefined;
}
interface PipeWrapBinding {
  Pipe: new (type: number) => PipeHandle;
  constants: { SOCKET: number };
}

function pipeWrap(): PipeWrapBinding | null {
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding('pipe_wrap');
    const b = binding as Partial<PipeWrapBinding> | null;
    if (b && typeof b.Pipe === 'function' && typeof b.constants?.SOCKET === 'number') return b as PipeWrapBinding;
  } catch {
    // not available in this Node
  }
  return null;
}

/**
 * Event-driven: libuv's pipe handle accepts any pollable fd, and virtio ports
 * support poll (POLLHUP while no host is connected). Writes are non-blocking,
 * so a write queued while no host is connected never blocks a thread.
 */
function openEpoll(fd: number, binding: PipeWrapBinding): PortStream {
  const handle = new binding.Pipe(binding.constants.SOCKET);
  const err = handle.open(fd);
  if (typeof err === 'number' && err < 0) throw new Error(`uv_pipe_open failed: ${err}`);
  const socket = new net.Socket({ handle, readable: true, writable: true } as net.SocketConstructorOpts);
  let ended = false;
  let endFn: () => void = () => undefined;
  const end = (): void => {
    if (ended) return;
    ended = true;
    endFn();
  };
  socket.on('end', end);
  socket.on('close', end);
  socket.on('error', end);
  return {
    kind: 'epoll',
    onData: (fn) => { socket.on('data', fn); },
    onEnd: (fn) => { endFn = fn; },
    write: (data, done) => {
      if (ended) { done(); return; }
      socket.write(data, (e) => done(e ?? null));
    },
    close: () => { socket.destroy(); },
  };
}

/** Fallback: blocking reads and writes on libuv's thread pool. */
function openThreadpool(fd: number): PortStream {
  let dataFn: (chunk: Buffer) => void = () => undefined;
  let endFn: () => void = () => undefined;
  let closed = false;
  const buf = Buffer.alloc(64 * 1024);
  const loop = (): void => {
    read(fd, buf, 0, buf.length, null, (err, n) => {
      if (closed) return;
      if (err || n === 0) {
        closed = true;
        try { closeSync(fd); } catch { /* already closed */ }
        endFn();
        return;
      }
      dataFn(Buffer.from(buf.subarray(0, n)));
      loop();
    });
  };
  setImmediate(loop);
  return {
    kind: 'threadpool',
    onData: (fn) => { dataFn = fn; },
    onEnd: (fn) => { endFn = fn; },
    write: (data, done) => {
      if (closed) { done(); return; }
      // Ports take at most 32 KiB per write(2): finish partial writes.
      const writeRest = (rest: Buffer): void => {
        write(fd, rest, (e, n) => {
          if (e) done(e);
          else if (n < rest.length) writeRest(rest.subarray(n));
          else done();
        });
      };
      writeRest(data);
    },
    close: () => {
      if (closed) return;
      closed = true;
      try { closeSync(fd); } catch { /* already closed */ }
    },
  };
}

export function openPort(device: string): PortStream {
  const fd = openSync(device, 'r+');
  const binding = pipeWrap();
  if (binding) {
    try {
      return openEpoll(fd, binding);
    } catch {
      // fall through to the thread pool
    }
  }
  return openThreadpool(fd);
}
