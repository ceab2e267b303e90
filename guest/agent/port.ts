// The virtio-serial port the host talks to. QEMU names it (virtserialport
// name=vessel.agent); the guest kernel lists ports in /sys/class/virtio-ports
// and devtmpfs creates /dev/vportNpM.
//
// The port is opened once and never closed while the agent lives. Closing a
// virtio port makes the guest kernel discard whatever the host already sent
// (drivers/char/virtio_console.c, port_fops_release → discard_port_data): a
// host that connected in the moment between the previous host leaving and a
// close/reopen lost its HTTP/2 preface and waited forever. Instead, a read
// that returns 0 (no host connected, nothing buffered) waits for the host in
// vessel-portwait (guest/portwait/, an edge-triggered epoll on the port: no
// CPU while nobody is connected) and reads again; without the helper it is
// polled every IDLE_POLL_MS.
import { spawn } from 'node:child_process';
import { existsSync, openSync, read, readFileSync, readdirSync, write, writev } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export const AGENT_PORT_NAME = 'vessel.agent';
/** How often the port is polled while no host is connected and the wait helper is missing (reads return 0 at once then). */
const IDLE_POLL_MS = 20;
export const PORTWAIT_HELPER = '/opt/vessel/bin/vessel-portwait';
/** A port write takes at most this much (the driver's limit per write(2)). */
const MAX_PORT_WRITE = 32 * 1024;
/**
 * Most bytes one writev(2) carries (as driver-sized pieces: the driver takes
 * each iovec as one write): one trip through libuv's thread pool for many
 * pieces instead of one each, which under TCG is a large share of the
 * data plane's guest CPU.
 */
const MAX_PORT_BATCH = 1024 * 1024;

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

/** The low-level calls the port makes: fs by default, replaceable in tests. */
export interface PortIo {
  read(fd: number, buf: Buffer, cb: (err: NodeJS.ErrnoException | null, n: number) => void): void;
  write(fd: number, data: Buffer, cb: (err: NodeJS.ErrnoException | null, n: number) => void): void;
  /** Several pieces in one call (each at most the driver's limit); absent: one write per piece. */
  writev?(fd: number, pieces: Buffer[], cb: (err: NodeJS.ErrnoException | null, n: number) => void): void;
  /** No host is connected: call back once one may be (absent: poll every IDLE_POLL_MS). */
  waitHost?(fd: number, cb: () => void): void;
}

/**
 * Waits in vessel-portwait (the port is its stdin) until a host connects;
 * falls back to one poll interval when the helper is missing or fails.
 */
export function waitHostWithHelper(fd: number, cb: () => void, helper = PORTWAIT_HELPER): void {
  if (!existsSync(helper)) {
    setTimeout(cb, IDLE_POLL_MS);
    return;
  }
  let called = false;
  const once = (ok: boolean): void => {
    if (called) return;
    called = true;
    if (ok) cb();
    else setTimeout(cb, IDLE_POLL_MS);
  };
  const child = spawn(helper, [], { stdio: [fd, 'ignore', 'inherit'] });
  child.once('error', () => once(false));
  child.once('exit', (code) => once(code === 0));
}

/**
 * The port's I/O through node's fs. VESSEL_PORTWAIT=0 (a kernel parameter,
 * which init passes on): poll instead (bench:idle-port compares). Read when a
 * port opens, not when the module loads: the agent may start from a V8
 * snapshot taken at image build time, whose environment is not the guest's.
 */
function fsIo(): PortIo {
  return {
    read: (fd, buf, cb) => { read(fd, buf, 0, buf.length, null, cb); },
    write: (fd, data, cb) => { write(fd, data, cb); },
    writev: (fd, pieces, cb) => { writev(fd, pieces, null, cb); },
    ...(process.env.VESSEL_PORTWAIT === '0' ? {} : { waitHost: (fd: number, cb: () => void) => waitHostWithHelper(fd, cb) }),
  };
}

export interface PortHandlers {
  data(chunk: Buffer): void;
  /** A read found no host connected, after bytes had arrived since the last time. */
  hostGone(): void;
  /** A read failed (e.g. the device went away); the port retries after a pause. */
  error(err: Error): void;
  /** A write failed for good (not EINTR/EAGAIN, which are retried): the bytes' connection ends. */
  writeError?(err: Error): void;
}

/**
 * The agent's port: one blocking read always pending on libuv's thread pool
 * (the agent starts node with a larger pool); writes go out one at a time, in
 * driver-sized pieces. Each host connection is an epoch: when it ends (a new
 * hello, or a read finding no host), bytes still queued for it are dropped,
 * never delivered to the next host.
 */
export class AgentPort {
  private epoch = 0;
  private sawData = false;
  private readonly buf = Buffer.alloc(64 * 1024);
  private readonly queue: { data: Buffer; epoch: number; done: (err?: Error | null) => void; sent: number }[] = [];
  private writing = false;

  constructor(private readonly fd: number, private readonly handlers: PortHandlers, private readonly io: PortIo = fsIo()) {}

  static open(device: string, handlers: PortHandlers): AgentPort {
    const port = new AgentPort(openSync(device, 'r+'), handlers);
    port.start();
    return port;
  }

  start(): void {
    this.readNext();
  }

  newEpoch(): void {
    this.epoch += 1;
  }

  private readNext(): void {
    this.io.read(this.fd, this.buf, (err, n) => {
      if (err) {
        this.handlers.error(err);
        setTimeout(() => this.readNext(), 200);
        return;
      }
      if (n === 0) {
        if (this.sawData) {
          this.sawData = false;
          this.newEpoch();
          this.handlers.hostGone();
        }
        if (this.io.waitHost) this.io.waitHost(this.fd, () => this.readNext());
        else setTimeout(() => this.readNext(), IDLE_POLL_MS);
        return;
      }
      this.sawData = true;
      this.handlers.data(Buffer.from(this.buf.subarray(0, n)));
      this.readNext();
    });
  }

  /** Queue bytes for the current host connection. */
  readonly write = (data: Buffer, done: (err?: Error | null) => void): void => {
    this.queue.push({ data, epoch: this.epoch, done, sent: 0 });
    if (!this.writing) this.writeNext();
  };

  private writeNext(): void {
    if (this.io.writev) this.writeBatch(this.io.writev.bind(this.io));
    else this.writeOne();
  }

  /** Queued writes of the current connection, as driver-sized pieces, in one writev per MAX_PORT_BATCH. */
  private writeBatch(writevFn: NonNullable<PortIo['writev']>): void {
    // Bytes queued for a connection that has ended are dropped, never delivered to the next host.
    while (this.queue.length > 0 && (this.queue[0] as { epoch: number }).epoch !== this.epoch) this.queue.shift()?.done();
    if (this.queue.length === 0) {
      this.writing = false;
      return;
    }
    this.writing = true;
    const epoch = this.epoch;
    const pieces: Buffer[] = [];
    let bytes = 0;
    for (const item of this.queue) {
      if (item.epoch !== epoch || bytes >= MAX_PORT_BATCH) break;
      for (let at = item.sent; at < item.data.length && bytes < MAX_PORT_BATCH; at += MAX_PORT_WRITE) {
        const piece = item.data.subarray(at, Math.min(item.data.length, at + MAX_PORT_WRITE));
        pieces.push(piece);
        bytes += piece.length;
      }
      if (item.data.length === 0) pieces.push(item.data);
    }
    writevFn(this.fd, pieces, (err, n) => {
      if (err && (err.code === 'EINTR' || err.code === 'EAGAIN')) {
        // Interrupted or momentarily full: the same pieces again, never a lost connection.
        setTimeout(() => this.writeBatch(writevFn), err.code === 'EAGAIN' ? 5 : 0);
        return;
      }
      if (err) this.handlers.writeError?.(err);
      let left = err ? 0 : n;
      while (this.queue.length > 0) {
        const item = this.queue[0] as (typeof this.queue)[number];
        if (item.epoch !== epoch) break;
        const take = Math.min(left, item.data.length - item.sent);
        item.sent += take;
        left -= take;
        if (item.sent < item.data.length) break;
        this.queue.shift();
        item.done();
      }
      if (err) {
        const item = this.queue[0];
        if (item && item.epoch === epoch) {
          this.queue.shift();
          item.done(err);
        }
      }
      this.writeBatch(writevFn);
    });
  }

  private writeOne(): void {
    const item = this.queue.shift();
    if (!item) {
      this.writing = false;
      return;
    }
    this.writing = true;
    const finish = (err?: Error | null): void => {
      item.done(err);
      this.writeOne();
    };
    const rest = (from: number): void => {
      if (from >= item.data.length || item.epoch !== this.epoch) {
        finish();
        return;
      }
      this.io.write(this.fd, item.data.subarray(from, Math.min(item.data.length, from + MAX_PORT_WRITE)), (err, n) => {
        if (err && (err.code === 'EINTR' || err.code === 'EAGAIN')) {
          // Interrupted or momentarily full: the same bytes again, never a lost connection.
          setTimeout(() => rest(from), err.code === 'EAGAIN' ? 5 : 0);
          return;
        }
        if (err) {
          this.handlers.writeError?.(err);
          finish(err);
        } else rest(from + n);
      });
    };
    rest(0);
  }
}
