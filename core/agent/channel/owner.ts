// The per-sandbox channel owner: the one process that holds the agent's
// virtio-serial socket (QEMU takes one host connection on it at a time) and
// serves any number of host clients on its own unix socket, like Kata 1.x's
// kata-proxy did for yamux over virtio-serial. It is started with the VM,
// claims the sandbox with a pidfile (pid + start time), and exits when QEMU
// exits, on SIGTERM, or when its claim is taken; on the way out it removes its
// socket and pidfile, so nothing is left behind.
import { existsSync, linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
// zod/mini: the owner is a long-lived process per sandbox, and its memory counts in the sandbox's footprint.
import * as z from 'zod/mini';
import { isSameProcess, readProcStartTime } from '../../util/proc.js';
import { IoRelay } from './io-relay.js';
import type { LivenessCheck } from './liveness.js';
import { AgentProxy, PROXY_WINDOW_BYTES } from './proxy.js';
import { openAgentStream } from './upstream.js';

/** What the owner is given on its command line (validated: the argv crosses a process boundary). */
export const OwnerArgv = z.object({
  sandboxId: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)),
  agentSocket: z.string().check(z.startsWith('/')),
  /** QEMU's chardev socket of the data-plane port (absent for VMs booted without one). */
  ioSocket: z.optional(z.string().check(z.startsWith('/'))),
  runDir: z.string().check(z.startsWith('/')),
  qemuPid: z.number().check(z.int(), z.positive()),
  qemuStartTime: z.number().check(z.int(), z.nonnegative()),
  /** The store's event feed, where the owner reports the VM's exit (core/events). */
  eventFeed: z.optional(z.string().check(z.startsWith('/'))),
});
export type OwnerArgv = z.infer<typeof OwnerArgv>;

export interface OwnerArgs {
  agentSocket: string;
  listen: string;
  /** The data plane: QEMU's io port socket, and where clients reach it. */
  io?: { upstream: string; listen: string };
  pidFile: string;
  /** Present while the VM is paused on purpose (channel/launch.ts): liveness checks wait. */
  pausedFile?: string;
  /** How often to ping the guest on each connection and how long an answer may take (default: liveness.ts). */
  liveness?: { everyMs: number; timeoutMs: number };
  qemuPid: number;
  qemuStartTime: number;
  onVmExit?: (reason: string) => void;
  log: (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;
}

/** What the pidfile holds: who owns the channel. */
export const ChannelClaim = z.object({ pid: z.number().check(z.int(), z.positive()), startTime: z.number().check(z.int(), z.nonnegative()), socket: z.string() });
export type ChannelClaim = z.infer<typeof ChannelClaim>;

const QEMU_POLL_MS = 100;
/** First wait for the hello echo; later rounds wait longer (a slow boot still answers). */
const FIRST_ROUND_MS = 5_000;
const MAX_ROUND_MS = 30_000;

export function readClaim(pidFile: string): ChannelClaim | null {
  try {
    const parsed = ChannelClaim.safeParse(JSON.parse(readFileSync(pidFile, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Publish our claim atomically (temp file + link, which fails if the name is taken). A dead owner's claim is replaced. */
function claim(pidFile: string, me: ChannelClaim): boolean {
  const tmp = `${pidFile}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(me));
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(tmp, pidFile);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const held = readClaim(pidFile);
        if (held && isSameProcess(held.pid, held.startTime)) return false;
        rmSync(pidFile, { force: true });
      }
    }
    return false;
  } finally {
    rmSync(tmp, { force: true });
  }
}

export class ChannelOwner {
  private readonly proxy: AgentProxy;
  private readonly io: IoRelay | null;
  private readonly server: http2.Http2Server;
  private readonly me: ChannelClaim;
  private qemuTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private connecting = false;
  private round = 0;
  private exitResolve: (reason: string) => void = () => undefined;
  /** Resolves with the reason once the owner has shut down. */
  readonly exited: Promise<string>;

  constructor(private readonly args: OwnerArgs) {
    this.me = { pid: process.pid, startTime: readProcStartTime(process.pid) ?? 0, socket: args.listen };
    const check: LivenessCheck = { paused: () => args.pausedFile !== undefined && existsSync(args.pausedFile), ...(args.liveness ? { timing: args.liveness } : {}) };
    this.proxy = new AgentProxy((why) => {
      args.log('warn', 'connection to the guest agent lost', { why });
      this.connectUpstream();
    }, check);
    this.io = args.io
      ? new IoRelay((why) => {
        args.log('warn', 'io connection to the guest lost', { why });
        this.connectIo();
      }, check)
      : null;
    this.server = http2.createServer({ settings: { initialWindowSize: PROXY_WINDOW_BYTES, maxConcurrentStreams: 1000 } });
    this.server.on('session', (s) => this.proxy.addClient(s));
    this.exited = new Promise((resolve) => {
      this.exitResolve = resolve;
    });
  }

  /** Claim the sandbox and listen. Resolves false when another live owner already holds it. */
  async start(): Promise<boolean> {
    if (!isSameProcess(this.args.qemuPid, this.args.qemuStartTime)) throw new Error(`QEMU (pid ${this.args.qemuPid}) is not running`);
    if (!claim(this.args.pidFile, this.me)) return false;
    try {
      rmSync(this.args.listen, { force: true });
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(this.args.listen, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      rmSync(this.args.pidFile, { force: true });
      throw err;
    }
    if (this.io && this.args.io) {
      const io = this.io;
      const listen = this.args.io.listen;
      rmSync(listen, { force: true });
      await new Promise<void>((resolve, reject) => {
        io.server.once('error', reject);
        io.server.listen(listen, () => {
          io.server.off('error', reject);
          resolve();
        });
      });
    }
    this.qemuTimer = setInterval(() => this.checkQemu(), QEMU_POLL_MS);
    this.connectUpstream();
    this.connectIo();
    this.args.log('info', 'channel owner listening', { socket: this.args.listen, qemuPid: this.args.qemuPid });
    return true;
  }

  get stats(): ReturnType<AgentProxy['stats']> & { upstream: boolean } {
    return { ...this.proxy.stats(), upstream: this.proxy.connected };
  }

  private checkQemu(): void {
    if (!isSameProcess(this.args.qemuPid, this.args.qemuStartTime)) {
      this.args.onVmExit?.('the VM process exited (seen by the agent channel owner)');
      this.stop('QEMU exited');
      return;
    }
    // Someone removed or replaced our claim (a delete, or a newer owner after a crash): leave.
    const held = readClaim(this.args.pidFile);
    if (!held || held.pid !== this.me.pid || held.startTime !== this.me.startTime) this.stop('the channel claim was removed');
  }

  private connectUpstream(): void {
    if (this.connecting || this.stopping) return;
    this.connecting = true;
    void (async () => {
      while (!this.stopping) {
        this.round += 1;
        const waitMs = Math.min(FIRST_ROUND_MS * this.round, MAX_ROUND_MS);
        try {
          const stream = await openAgentStream(this.args.agentSocket, waitMs);
          if (this.stopping) {
            stream.destroy();
            break;
          }
          this.round = 0;
          this.proxy.attach(stream);
          this.args.log('info', 'guest agent connected');
          break;
        } catch (err) {
          if (!isSameProcess(this.args.qemuPid, this.args.qemuStartTime)) break;
          this.args.log('warn', 'guest agent not answering yet', { why: err instanceof Error ? err.message : String(err) });
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      this.connecting = false;
    })();
  }

  private ioConnecting = false;

  private connectIo(): void {
    const io = this.io;
    const upstream = this.args.io?.upstream;
    if (!io || !upstream || this.ioConnecting || this.stopping) return;
    this.ioConnecting = true;
    void (async () => {
      for (let round = 1; !this.stopping; round++) {
        try {
          const stream = await openAgentStream(upstream, Math.min(FIRST_ROUND_MS * round, MAX_ROUND_MS));
          if (this.stopping) {
            stream.destroy();
            break;
          }
          io.attach(stream);
          this.args.log('info', 'guest io port connected');
          break;
        } catch {
          if (!isSameProcess(this.args.qemuPid, this.args.qemuStartTime)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      this.ioConnecting = false;
    })();
  }

  /** Close every client, release the socket and the claim. */
  stop(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.qemuTimer) clearInterval(this.qemuTimer);
    this.proxy.close();
    this.io?.close();
    this.server.close();
    rmSync(this.args.listen, { force: true });
    if (this.args.io) rmSync(this.args.io.listen, { force: true });
    const held = readClaim(this.args.pidFile);
    if (held && held.pid === this.me.pid && held.startTime === this.me.startTime) rmSync(this.args.pidFile, { force: true });
    this.args.log('info', 'channel owner stopped', { reason });
    this.exitResolve(reason);
  }
}

/** The owner's socket and pidfile in a VM's run directory (short names: unix socket paths are limited to 107 bytes). */
export function channelPaths(runDir: string): { socket: string; ioSocket: string; pidFile: string; pausedFile: string } {
  return { socket: path.join(runDir, 'chan.sock'), ioSocket: path.join(runDir, 'cio.sock'), pidFile: path.join(runDir, 'chan.pid'), pausedFile: path.join(runDir, 'chan.paused') };
}

/** True when a live owner holds the claim and its socket accepts connections. */
export async function channelAnswers(runDir: string, timeoutMs = 1_000): Promise<ChannelClaim | null> {
  const { socket, pidFile } = channelPaths(runDir);
  const held = readClaim(pidFile);
  if (!held || !isSameProcess(held.pid, held.startTime)) return null;
  try {
    statSync(socket);
  } catch {
    return null;
  }
  return new Promise((resolve) => {
    const s = net.connect(socket);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok ? held : null);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true)).once('error', () => done(false));
  });
}
