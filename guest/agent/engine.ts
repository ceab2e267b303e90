// The in-guest container engine: runs OCI containers with crun and keeps
// their processes' state and output for the host.
//
// How a container is run. The agent cannot reap processes it did not fork
// (Node has no prctl(PR_SET_CHILD_SUBREAPER)), so `crun create` + `crun start`
// would leave the container's init orphaned and its exit status lost. Instead
// the agent runs `crun run` as its own child: crun stays in the foreground as
// the container's subreaper and exits with the container's exit status. The
// create/start split is kept with a createRuntime hook (the "start gate",
// container-schemas.ts): crun creates the namespaces, cgroup and process, runs
// the hook, and the hook records crun's state (with the pid), marks the
// container created and blocks on a fifo until StartContainer writes "start".
// Exec'd processes are the same: `crun exec` in the foreground, our child.
//
// --no-pivot: the guest's root is the initramfs ("rootfs"), which pivot_root(2)
// refuses to move (EINVAL), so crun enters the container root with
// MS_MOVE + chroot instead. Moving /init onto a tmpfs would allow pivot_root
// at the cost of a second copy of the image in guest memory.
//
// TTYs: crun allocates the container's pty (process.terminal=true, so the
// process gets it as controlling terminal: job control works) and passes the
// master over --console-socket. Node cannot receive a file descriptor, so the
// agent runs crun under vessel-console (guest/console/vessel-console.c) on a
// pty of its own (node-pty): the helper receives the master and relays it,
// and forwards the agent's window size (node-pty resize -> SIGWINCH -> the
// helper's TIOCSWINSZ on crun's master). An image without the helper falls
// back to process.terminal=false on the agent's pty: a terminal for stdio and
// sizes, but no controlling terminal (crun starts a new session), so no job control.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsConstants, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, watch, writeFileSync, writeSync, type FSWatcher } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as NodePty from 'node-pty';
import { formatCmdline, parseCgroupProcs, parseFlatKeyed, readContainerStats, type ContainerStats } from './cgroup-stats.js';
import {
  guestSpec, InvalidRequest, OciProcess, OciResources, OciSpec, parseJsonBytes, SHARED_MOUNT, SHARED_TAG,
} from './container-schemas.js';
import { log } from './log.js';
import { endOutput, readOutput, type OutputReader } from './output-reader.js';
import { mountBlockRoot, unmountBlockRoot } from './block-rootfs.js';
import { networkFileMounts } from './network.js';

/**
 * A read-only root can get no new mount points: there the sandbox's
 * resolv.conf/hosts/hostname are bound only where the image already has the
 * file (crun would fail on "mkdir /etc: Read-only file system" otherwise).
 */
function networkFileMountsFor(spec: OciSpec, rootPath: string): ReturnType<typeof networkFileMounts> {
  const mounts = networkFileMounts();
  if (!spec.root?.readonly) return mounts;
  return mounts.filter((m) => existsSync(path.join(rootPath, m.destination)));
}
import { DEFAULT_STREAM_CAPACITY, StreamBuffer, type OutputSource, type StreamRead } from './stream-buffer.js';
import { EXEC_VIA_KEY, SpawnFailed, Spawners, type SpawnedIo } from './spawner.js';

export type EngineErrorKind = 'not_found' | 'precondition' | 'invalid' | 'exists' | 'internal';

export class EngineError extends Error {
  constructor(readonly kind: EngineErrorKind, message: string) {
    super(message);
  }
}

export interface ExitInfo {
  /** Exit status; 128 + n when signal n ended the process. */
  exitStatus: number;
  /** The signal that ended the process (inferred from crun's 128+n status), 0 otherwise. */
  signal: number;
  oomKilled: boolean;
  /** crun's own error when it could not run the process ('' when it ran). */
  error: string;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'stopped';

export interface EngineOptions {
  crun?: string;
  busybox?: string;
  /** Bundles and per-process files: <runRoot>/<containerId>/. */
  runRoot?: string;
  cgroupRoot?: string;
  sharedMount?: string;
  /** Where node-pty is resolved from (the image puts it in /opt/vessel/node_modules). */
  nodePtyFrom?: string;
  /** The TTY console helper (absent: TTYs without job control). */
  consoleHelper?: string;
  streamCapacity?: number;
  /** The fast-exec helper (spawner.ts; absent: every exec runs through crun exec). */
  spawner?: string;
  /** Where the agent listens for the spawner's stdio sockets. */
  spawnIoSocket?: string;
}

const PATH_ENV = 'PATH=/usr/sbin:/usr/bin:/sbin:/bin';
/**
 * crun guards against CVE-2019-5736 by copying itself into a sealed memfd and
 * re-executing before it touches a container, unless its binary is on a
 * read-only filesystem and this variable is set (the guard runc and crun
 * share). /init puts a copy on a read-only tmpfs: one exec per crun call
 * instead of two, which is a large share of an exec's time under TCG.
 */
export const READ_ONLY_CRUN = '/run/vessel/ro/crun';
const CRUN_ENV = { PATH: PATH_ENV.slice(5), _LIBCONTAINER_CLONED_BINARY: '1' };
const CREATE_TIMEOUT_MS = 60_000;
const MAX_EXECS_KEPT = 256;
const SIGNAL_BY_NUMBER: Record<number, NodeJS.Signals> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 10: 'SIGUSR1',
  11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM', 17: 'SIGCHLD', 18: 'SIGCONT', 19: 'SIGSTOP', 20: 'SIGTSTP',
  21: 'SIGTTIN', 22: 'SIGTTOU', 23: 'SIGURG', 24: 'SIGXCPU', 25: 'SIGXFSZ', 26: 'SIGVTALRM', 27: 'SIGPROF', 28: 'SIGWINCH', 29: 'SIGIO',
  30: 'SIGPWR', 31: 'SIGSYS',
};

type NodePtyModule = typeof NodePty;
let nodePty: NodePtyModule | undefined;

function loadNodePty(from: string): NodePtyModule {
  if (!nodePty) {
    try {
      nodePty = createRequire(from)('node-pty') as NodePtyModule;
    } catch (err) {
      throw new EngineError('precondition', `TTYs are unavailable: node-pty could not be loaded (${String(err).slice(0, 200)}); rebuild the guest image`);
    }
  }
  return nodePty;
}

/** How often startContainer looks whether the container's init has exec'd its command. */
const EXEC_POLL_MS = 3;

/**
 * Resolves once process `proc.pid` runs a program other than `crun` (it
 * exec'd), is gone, or `ended()` says so; at most after 30 s. Without a
 * known pid it returns at once (the pid only matters to exec and signals).
 */
export async function waitExeced(proc: { pid: number }, crun: string, ended: () => boolean, timeoutMs = 30_000): Promise<void> {
  if (proc.pid <= 0) return;
  let runtime: { dev: number; ino: number };
  try {
    runtime = statSync(crun);
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (!ended() && Date.now() < deadline) {
    try {
      const exe = statSync(`/proc/${proc.pid}/exe`);
      if (exe.dev !== runtime.dev || exe.ino !== runtime.ino) return;
    } catch {
      return; // gone already (finished), or a zombie whose exe link is gone
    }
    await sleep(EXEC_POLL_MS);
  }
}

/** One process of a container (its init or an exec'd one), as run through crun. */
export class ContainerProcess {
  readonly stdout: StreamBuffer;
  readonly stderr: StreamBuffer;
  exit: ExitInfo | null = null;
  /** The process's pid in the guest (not crun's). 0 until known. */
  pid = 0;
  stdinClosed = false;
  private child: Pick<ChildProcess, 'stdin' | 'stdout' | 'stderr' | 'kill'> | null = null;
  private pty: NodePty.IPty | null = null;
  private readonly exitWaiters: ((e: ExitInfo) => void)[] = [];
  /** The readers of the process's output sockets (a pty has none: node-pty reads it). */
  private readonly readers: { out?: OutputReader; err?: OutputReader } = {};

  constructor(readonly execId: string, readonly tty: boolean, capacity: number, readonly pidFile: string | null) {
    this.stdout = new StreamBuffer(capacity, (full) => this.pressure('out', full));
    this.stderr = new StreamBuffer(capacity, (full) => this.pressure('err', full));
    if (tty) this.stderr.close(); // a TTY has one output stream
  }

  /** Starts `crun <args>` on pipes or on a new pty. */
  launch(file: string, args: string[], o: { ptyFrom: string; rows: number; cols: number; onExit: (e: ExitInfo) => void }): void {
    const env = CRUN_ENV;
    if (this.tty) {
      const pty = loadNodePty(o.ptyFrom).spawn(file, args, { name: 'xterm', cols: o.cols, rows: o.rows, cwd: '/', env, encoding: null });
      this.pty = pty;
      pty.onData((d: string | Buffer) => this.stdout.push(typeof d === 'string' ? Buffer.from(d) : d));
      pty.onExit(({ exitCode, signal }) => {
        this.stdout.close();
        this.finish(exitCode, signal ?? 0, o.onExit);
      });
      return;
    }
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.child = child;
    if (child.stdout) this.readers.out = readOutput(child.stdout, (d) => this.stdout.push(d));
    if (child.stderr) this.readers.err = readOutput(child.stderr, (d) => this.stderr.push(d));
    child.stdout?.on('end', () => this.stdout.close());
    child.stderr?.on('end', () => this.stderr.close());
    child.stdin?.on('error', () => undefined); // EPIPE after the process closed its stdin
    child.on('error', (err) => {
      log('error', 'spawn failed', { err: String(err).slice(0, 200) });
      this.stdout.close();
      this.stderr.close();
      this.finish(127, 0, o.onExit);
    });
    child.on('exit', (code, signal) => this.finish(code ?? 128, signal ? signalNumber(signal) : 0, o.onExit));
  }

  /** Takes the stdio sockets of a process the spawner started (spawner.ts) instead of a crun child. */
  adopt(io: SpawnedIo, pid: number): void {
    this.pid = pid;
    this.child = {
      stdin: io.stdin, stdout: io.stdout, stderr: io.stderr,
      kill: (sig?: NodeJS.Signals | number) => { try { process.kill(pid, sig ?? 'SIGTERM'); return true; } catch { return false; } },
    };
    for (const [s, buf, k] of [[io.stdout, this.stdout, 'out'], [io.stderr, this.stderr, 'err']] as const) {
      this.readers[k] = readOutput(s, (d) => buf.push(d));
      const ended = (): void => { buf.close(); s.end(); };
      // A socket the process closed with nothing written may have ended already, while it waited
      // paused for its siblings and the spawner's reply (a paused stream with nothing buffered still
      // emits 'end'): that end is not emitted again, so take it from the socket's state.
      if (s.readableEnded) ended();
      else s.on('end', ended);
      if (s.destroyed) buf.close();
      else s.on('close', () => buf.close());
    }
    io.stdin.on('error', () => undefined);
    io.stdin.on('data', () => undefined); // nothing comes back on stdin; keep it from filling up
    io.stdout.resume();
    io.stderr.resume();
    io.stdin.resume();
  }

  /** The spawner reaped the process: exit status, or the signal that ended it. */
  spawnedExit(status: number, signal: number, onExit: (e: ExitInfo) => void): void {
    this.finish(signal > 0 ? 0 : status, signal, onExit);
  }

  private finish(code: number, crunSignal: number, onExit: (e: ExitInfo) => void): void {
    if (this.exit) return;
    // crun reports a signal death of the container's process as 128+n.
    const exitStatus = crunSignal > 0 ? 128 + crunSignal : code;
    const signal = crunSignal > 0 ? crunSignal : exitStatus > 128 && exitStatus <= 128 + 64 ? exitStatus - 128 : 0;
    this.exit = { exitStatus, signal, oomKilled: false, error: '' };
    onExit(this.exit);
    for (const w of this.exitWaiters.splice(0)) w(this.exit);
  }

  waitExit(): Promise<ExitInfo> {
    if (this.exit) return Promise.resolve(this.exit);
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  async writeStdin(data: Buffer): Promise<number> {
    if (this.exit) throw new EngineError('precondition', `process ${this.execId} has exited`);
    if (this.stdinClosed) throw new EngineError('precondition', `stdin of process ${this.execId} is closed`);
    if (this.pty) {
      this.pty.write(data);
      return data.length;
    }
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || stdin.writableEnded) throw new EngineError('precondition', `stdin of process ${this.execId} is closed`);
    await new Promise<void>((resolve, reject) => stdin.write(data, (err) => (err ? reject(new EngineError('precondition', `stdin of process ${this.execId}: ${err.message}`)) : resolve())));
    return data.length;
  }

  /**
   * The host's reader of this output is gone for good (`vessel exec … | head`):
   * the process's writes to it fail with EPIPE and raise SIGPIPE, as with a
   * closed pipe on the host (output-reader.ts endOutput); what the agent held
   * is dropped and the stream ends. A terminal hangs up instead (SIGHUP).
   */
  closeOutput(which: 'stdout' | 'stderr', shutdownHelper?: string): void {
    (which === 'stdout' ? this.stdout : this.stderr).discard();
    if (this.pty) {
      if (!this.exit) this.pty.kill('SIGHUP');
      return;
    }
    const s = which === 'stdout' ? this.child?.stdout : this.child?.stderr;
    if (s) endOutput(s, shutdownHelper);
  }

  closeStdin(): void {
    if (this.stdinClosed) return;
    this.stdinClosed = true;
    // A terminal has no "end of input" of its own: send the EOF character, as a user typing ^D would.
    if (this.pty) {
      if (!this.exit) this.pty.write('\x04');
      return;
    }
    this.child?.stdin?.end();
  }

  resize(rows: number, cols: number): void {
    if (!this.pty) throw new EngineError('precondition', `process ${this.execId} has no terminal`);
    if (this.exit) throw new EngineError('precondition', `process ${this.execId} has exited`);
    this.pty.resize(cols, rows);
  }

  /** Ends crun itself (last resort when a container does not go away). */
  killRunner(): void {
    if (this.pty) this.pty.kill('SIGKILL');
    else this.child?.kill('SIGKILL');
  }

  private pressure(which: 'out' | 'err', full: boolean): void {
    if (this.pty) {
      if (full) this.pty.pause();
      else this.pty.resume();
      return;
    }
    const s = this.readers[which];
    if (full) s?.pause();
    else s?.resume();
  }
}

function signalNumber(name: NodeJS.Signals): number {
  for (const [n, s] of Object.entries(SIGNAL_BY_NUMBER)) if (s === name) return Number(n);
  return 0;
}

export class Container {
  status: ContainerStatus = 'created';
  readonly execs = new Map<string, ContainerProcess>();
  oomKills = 0;
  watcher: FSWatcher | null = null;
  constructor(readonly id: string, readonly init: ContainerProcess, readonly bundleDir: string, readonly cgroupDir: string) {}
}

/** Runs a short crun/busybox command; rejects with its stderr. */
export function runTool(file: string, args: string[], stdinText?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: CRUN_ENV });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { if (out.length < 65536) out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { if (err.length < 8192) err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(file)} ${args[0] ?? ''}: ${(err || out).trim().slice(0, 1000) || `exit ${String(code)}`}`))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdinText ?? '');
  });
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** A virtio-fs device (virtio device ID 26) on the virtio bus: the host chose the virtio-fs transport. */
function hasVirtioFsDevice(root = '/sys/bus/virtio/devices'): boolean {
  try {
    return readdirSync(root).some((d) => readFileSafe(path.join(root, d, 'device')).trim() === '0x001a');
  } catch {
    return false;
  }
}

export class ContainerEngine {
  private readonly containers = new Map<string, Container>();
  private readonly crun: string;
  private readonly busybox: string;
  private readonly runRoot: string;
  private readonly cgroupRoot: string;
  private readonly sharedMount: string;
  private readonly ptyFrom: string;
  private readonly capacity: number;
  private readonly consoleHelper: string;
  private shareReady = false;
  /** CreateSandbox asked to mount the shared directory only when a container needs it. */
  private shareDeferred = false;
  private ttyCount = 0;
  private readonly spawners: Spawners;

  constructor(o: EngineOptions = {}) {
    this.crun = o.crun ?? (existsSync(READ_ONLY_CRUN) ? READ_ONLY_CRUN : '/usr/bin/crun');
    this.busybox = o.busybox ?? '/bin/busybox';
    this.runRoot = o.runRoot ?? '/run/vessel/containers';
    this.cgroupRoot = o.cgroupRoot ?? '/sys/fs/cgroup';
    this.sharedMount = o.sharedMount ?? SHARED_MOUNT;
    this.ptyFrom = o.nodePtyFrom ?? '/opt/vessel/agent.js';
    this.capacity = o.streamCapacity ?? DEFAULT_STREAM_CAPACITY;
    this.consoleHelper = o.consoleHelper ?? '/opt/vessel/bin/vessel-console';
    this.spawners = new Spawners(o.spawner, o.spawnIoSocket);
  }

  /**
   * The command that runs `crun <args>` for a process: directly, or for a
   * TTY under the console helper with --console-socket added after the subcommand.
   */
  private crunCommand(args: string[], tty: boolean): { file: string; args: string[]; crunTerminal: boolean } {
    if (!tty || !existsSync(this.consoleHelper)) return { file: this.crun, args, crunTerminal: false };
    const dir = '/run/vessel/tty';
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const sock = path.join(dir, `${++this.ttyCount}.sock`);
    const sub = args.findIndex((a) => !a.startsWith('--'));
    const withSocket = [...args.slice(0, sub + 1), '--console-socket', sock, ...args.slice(sub + 1)];
    return { file: this.consoleHelper, args: [sock, this.crun, ...withSocket], crunTerminal: true };
  }

  // ---- sandbox ------------------------------------------------------------

  /**
   * Mounts the host's shared directory when the VM has one (virtio-9p tag
   * vessel-shared) and prepares cgroups. Idempotent. The 9p modules are loaded
   * by /init in the background; wait for them briefly.
   */
  async prepareSandbox(options: { shareOnDemand?: boolean } = {}): Promise<void> {
    this.enableControllers();
    if (options.shareOnDemand && !this.shareReady && !this.isMounted(this.sharedMount)) {
      // Mounted when a container needs it (createContainer): until then the VM can be checkpointed.
      this.shareDeferred = true;
      return;
    }
    await this.mountShare();
  }

  /** Mount the shared directory (virtio-fs or virtio-9p) if the VM has one. Idempotent. */
  private async mountShare(): Promise<void> {
    if (this.shareReady || this.isMounted(this.sharedMount)) {
      this.shareReady = true;
      return;
    }
    const deadline = Date.now() + 30_000;
    if (hasVirtioFsDevice()) {
      // virtio-fs rootfs transport: the same tag, served by the host's virtiofsd.
      while (!/\tvirtiofs$/m.test(readFileSafe('/proc/filesystems'))) {
        if (Date.now() > deadline) {
          log('warn', 'a virtio-fs device but no virtiofs support in the guest; containers unavailable');
          return;
        }
        await sleep(50);
      }
      mkdirSync(this.sharedMount, { recursive: true });
      await runTool(this.busybox, ['mount', '-t', 'virtiofs', SHARED_TAG, this.sharedMount]);
      this.shareReady = true;
      log('info', 'shared directory mounted (virtio-fs)', { at: this.sharedMount });
      return;
    }
    while (!existsSync('/sys/bus/virtio/drivers/9pnet_virtio') || !this.has9pFs()) {
      if (Date.now() > deadline) {
        log('warn', 'no 9p support in the guest; containers unavailable');
        return;
      }
      await sleep(50);
    }
    if (!this.shareTags().includes(SHARED_TAG)) {
      log('info', 'no shared directory attached (virtio-9p tag missing)', { tag: SHARED_TAG });
      return;
    }
    mkdirSync(this.sharedMount, { recursive: true });
    // cache=none on purpose: cache=loose measured 2.6x faster for untar (docs/design/images.md) but keeps
    // writes in the guest's page cache (lost if the VM is killed) and never sees host-side edits of a bind-mounted --rootfs.
    await runTool(this.busybox, ['mount', '-t', '9p', '-o', 'trans=virtio,version=9p2000.L,msize=512000,cache=none', SHARED_TAG, this.sharedMount]);
    this.shareReady = true;
    log('info', 'shared directory mounted', { at: this.sharedMount, crun: this.crun });
  }

  private has9pFs(): boolean {
    try {
      return /\t9p$/m.test(readFileSync('/proc/filesystems', 'utf8'));
    } catch {
      return false;
    }
  }

  private shareTags(): string[] {
    const dir = '/sys/bus/virtio/drivers/9pnet_virtio';
    const tags: string[] = [];
    try {
      for (const d of readdirSync(dir)) {
        try {
          tags.push(readFileSync(path.join(dir, d, 'mount_tag'), 'utf8').replace(/\0+$/, '').trim());
        } catch {
          // not a device entry
        }
      }
    } catch {
      // driver absent
    }
    return tags;
  }

  private isMounted(at: string): boolean {
    try {
      return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === at);
    } catch {
      return false;
    }
  }

  private enableControllers(): void {
    try {
      const controllers = readFileSync(path.join(this.cgroupRoot, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean);
      const line = controllers.map((c) => `+${c}`).join(' ');
      const parent = path.join(this.cgroupRoot, 'vessel');
      writeFileSync(path.join(this.cgroupRoot, 'cgroup.subtree_control'), line);
      mkdirSync(parent, { recursive: true });
      writeFileSync(path.join(parent, 'cgroup.subtree_control'), line);
    } catch (err) {
      log('warn', 'cgroup controllers not enabled', { err: String(err).slice(0, 200) });
    }
  }

  // ---- containers ---------------------------------------------------------

  /** The guest's busybox, for tools the agent runs in its own namespaces (insmod…). */
  toolBusybox(): string {
    return this.busybox;
  }

  /** A running container's init pid in the guest and the busybox to run tools with (device mounts, pci-devices.ts). */
  containerInit(id: string): { pid: number; busybox: string } {
    const c = this.get(id);
    if (c.init.exit || c.init.pid <= 0) throw new EngineError('precondition', `container ${id} is not running`);
    return { pid: c.init.pid, busybox: this.busybox };
  }

  private get(id: string): Container {
    const c = this.containers.get(id);
    if (!c) throw new EngineError('not_found', `container ${id} not found`);
    return c;
  }

  private process(containerId: string, execId: string): ContainerProcess {
    const c = this.get(containerId);
    if (execId === '' || execId === c.init.execId) return c.init;
    const p = c.execs.get(execId);
    if (!p) throw new EngineError('not_found', `process ${execId} not found in container ${containerId}`);
    return p;
  }

  status(id: string): ContainerStatus {
    return this.get(id).status;
  }

  async createContainer(req: { containerId: string; execId: string; ociSpecJson: Buffer; rootfs: string; rootfsStorage?: { source: string; fstype: string } | null }): Promise<void> {
    const id = req.containerId;
    if (this.containers.has(id)) throw new EngineError('exists', `container ${id} already exists`);
    const spec = parseJsonBytes(OciSpec, req.ociSpecJson, 'oci_spec_json');
    if (req.rootfsStorage) {
      // Block rootfs transport: the root is a disk, not a directory of the shared filesystem.
      const root = await mountBlockRoot(this.busybox, id, req.rootfsStorage);
      try {
        await this.createWithRoot(req, spec, root);
      } catch (err) {
        await unmountBlockRoot(this.busybox, id);
        throw err;
      }
      return;
    }
    if (!this.shareReady && this.shareDeferred) await this.mountShare();
    if (!this.shareReady) throw new EngineError('precondition', `no shared filesystem in this sandbox (virtio-9p tag ${SHARED_TAG} not mounted; call CreateSandbox, and start the VM with a shared directory)`);
    await this.createWithRoot(req, spec, path.join(this.sharedMount, req.rootfs));
  }

  private async createWithRoot(req: { containerId: string; execId: string; rootfs: string }, spec: OciSpec, rootPath: string): Promise<void> {
    const id = req.containerId;
    let isDir = false;
    try {
      isDir = statSync(rootPath).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new EngineError('precondition', `container root filesystem ${req.rootfs} is not a directory in the shared filesystem`);

    const bundleDir = path.join(this.runRoot, id);
    rmSync(bundleDir, { recursive: true, force: true });
    mkdirSync(bundleDir, { recursive: true, mode: 0o700 });
    await runTool(this.busybox, ['mkfifo', '-m', '600', path.join(bundleDir, 'start.fifo')]);
    const tty = spec.process.terminal === true;
    const command = this.crunCommand([`--log=file:${path.join(bundleDir, 'crun.log')}`, 'run', '--no-pivot', '--bundle', bundleDir, id], tty);
    writeFileSync(path.join(bundleDir, 'config.json'), JSON.stringify(guestSpec(spec, { containerId: id, rootPath, bundleDir, terminal: command.crunTerminal, netMounts: networkFileMountsFor(spec, rootPath) })));

    const init = new ContainerProcess(req.execId, tty, this.capacity, null);
    const container = new Container(id, init, bundleDir, path.join(this.cgroupRoot, 'vessel', id));
    this.containers.set(id, container);
    const size = spec.process.consoleSize;
    init.launch(command.file, command.args, {
      ptyFrom: this.ptyFrom,
      rows: size && size.height > 0 ? Math.min(size.height, 65535) : 24,
      cols: size && size.width > 0 ? Math.min(size.width, 65535) : 80,
      onExit: (e) => this.initExited(container, e),
    });
    try {
      await this.waitCreated(container);
    } catch (err) {
      init.killRunner();
      this.containers.delete(id);
      rmSync(bundleDir, { recursive: true, force: true });
      throw err;
    }
    this.watchOom(container);
    log('info', 'container created', { id, pid: init.pid, tty: init.tty });
  }

  private async waitCreated(c: Container): Promise<void> {
    const marker = path.join(c.bundleDir, 'created');
    const deadline = Date.now() + CREATE_TIMEOUT_MS;
    for (;;) {
      if (existsSync(marker)) break;
      if (c.init.exit) throw new EngineError('precondition', `crun could not create container ${c.id}: ${this.crunError(c)}`);
      if (Date.now() > deadline) throw new EngineError('internal', `crun did not create container ${c.id} within ${CREATE_TIMEOUT_MS / 1000} s`);
      await sleep(15);
    }
    try {
      const state = JSON.parse(readFileSync(path.join(c.bundleDir, 'state.json'), 'utf8')) as { pid?: unknown };
      if (typeof state.pid === 'number' && Number.isInteger(state.pid) && state.pid > 0) c.init.pid = state.pid;
    } catch {
      // the pid is only needed for logs and signals of exec'd processes
    }
  }

  /** The messages of a crun --log file (JSON lines or plain text), joined; '' when none. */
  private crunLog(file: string): string {
    const lines: string[] = [];
    try {
      for (const l of readFileSync(file, 'utf8').split('\n')) {
        if (!l.trim()) continue;
        try {
          const j = JSON.parse(l) as { msg?: unknown };
          lines.push(typeof j.msg === 'string' ? j.msg : l);
        } catch {
          lines.push(l);
        }
      }
    } catch {
      // no log
    }
    return lines.join('; ').slice(0, 2000);
  }

  /** crun's own error text (its --log file), or what it printed. */
  private crunError(c: Container): string {
    const lines: string[] = [];
    const logged = this.crunLog(path.join(c.bundleDir, 'crun.log'));
    if (logged) lines.push(logged);
    if (lines.length === 0) {
      const out = c.init.stderr.read(c.init.stderr.start, 2000).data.toString() || c.init.stdout.read(c.init.stdout.start, 2000).data.toString();
      lines.push(out.trim() || `crun exited with status ${String(c.init.exit?.exitStatus)}`);
    }
    return lines.join('; ').slice(0, 1000);
  }

  private initExited(c: Container, e: ExitInfo): void {
    c.status = 'stopped';
    this.spawners.stop(c.id);
    e.oomKilled = this.readOomKills(c) > 0 || c.oomKills > 0;
    c.watcher?.close();
    c.watcher = null;
    const crunSaid = e.exitStatus !== 0 ? this.crunLog(path.join(c.bundleDir, 'crun.log')) : '';
    e.error = crunSaid.slice(0, 1000);
    log('info', 'container stopped', { id: c.id, status: e.exitStatus, ...(crunSaid ? { crun: crunSaid.slice(0, 500) } : {}) });
  }

  private readOomKills(c: Container): number {
    try {
      const n = parseFlatKeyed(readFileSync(path.join(c.cgroupDir, 'memory.events'), 'utf8')).get('oom_kill') ?? 0;
      c.oomKills = Math.max(c.oomKills, n);
    } catch {
      // cgroup already gone
    }
    return c.oomKills;
  }

  /** crun removes the cgroup when the container ends: keep the OOM count as it changes. */
  private watchOom(c: Container): void {
    try {
      c.watcher = watch(path.join(c.cgroupDir, 'memory.events'), () => this.readOomKills(c));
      c.watcher.on('error', () => undefined);
    } catch {
      // no memory controller: no OOM reporting
    }
  }

  async startContainer(id: string): Promise<void> {
    const c = this.get(id);
    if (c.status !== 'created') throw new EngineError('precondition', `container ${id} is ${c.status}, not created`);
    this.openGate(c, 'start');
    c.status = 'running';
    // Wait until crun has left the gate and run the process (or it already ended),
    // so an immediate exec or signal finds a started container. The container's
    // init is a clone of crun until it execs the container's command: watching
    // its /proc/PID/exe costs a stat, where asking `crun state` costs a crun start
    // (under TCG ~0.1 s of the one vCPU the container itself is waiting for).
    await waitExeced(c.init, this.crun, () => c.init.exit !== null);
    log('info', 'container started', { id });
  }

  private openGate(c: Container, word: 'start' | 'abort'): void {
    let fd: number;
    try {
      fd = openSync(path.join(c.bundleDir, 'start.fifo'), fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    } catch (err) {
      throw new EngineError('internal', `container ${c.id}: its start gate is not waiting (${String(err).slice(0, 200)})`);
    }
    try {
      writeSync(fd, `${word}\n`);
    } finally {
      closeSync(fd);
    }
  }

  async removeContainer(id: string, force: boolean): Promise<void> {
    const c = this.get(id);
    if (c.status === 'created' && !c.init.exit) {
      try {
        this.openGate(c, 'abort');
      } catch {
        c.init.killRunner();
      }
    } else if (c.status === 'running' || c.status === 'paused') {
      if (!force) throw new EngineError('precondition', `container ${id} is ${c.status}; stop it first or remove with force`);
      if (c.status === 'paused') await runTool(this.crun, ['resume', id]).catch(() => undefined);
      await runTool(this.crun, ['kill', '--all', id, 'KILL']).catch(() => undefined);
    }
    const gone = await Promise.race([c.init.waitExit().then(() => true), sleep(15_000).then(() => false)]);
    if (!gone) {
      c.init.killRunner();
      await Promise.race([c.init.waitExit(), sleep(5_000)]);
    }
    await runTool(this.crun, ['delete', '--force', id]).catch(() => undefined);
    for (const p of c.execs.values()) if (!p.exit) p.killRunner();
    this.spawners.stop(id);
    c.watcher?.close();
    rmSync(c.bundleDir, { recursive: true, force: true });
    await unmountBlockRoot(this.busybox, id);
    this.containers.delete(id);
    log('info', 'container removed', { id });
  }

  /** DestroySandbox: every container goes, whatever its state. */
  async removeAll(): Promise<void> {
    for (const id of [...this.containers.keys()]) {
      await this.removeContainer(id, true).catch((err: unknown) => log('warn', 'remove on sandbox destroy failed', { id, err: String(err).slice(0, 200) }));
    }
  }

  async pauseContainer(id: string): Promise<void> {
    const c = this.get(id);
    if (c.status !== 'running') throw new EngineError('precondition', `container ${id} is ${c.status}, not running`);
    await this.crunOrFail(c, ['pause', id]);
    c.status = 'paused';
  }

  async resumeContainer(id: string): Promise<void> {
    const c = this.get(id);
    if (c.status !== 'paused') throw new EngineError('precondition', `container ${id} is ${c.status}, not paused`);
    await this.crunOrFail(c, ['resume', id]);
    c.status = 'running';
  }

  async updateContainer(id: string, resourcesJson: Buffer): Promise<void> {
    const c = this.get(id);
    const resources = parseJsonBytes(OciResources, resourcesJson, 'resources_json');
    if (c.status === 'stopped') throw new EngineError('precondition', `container ${id} is stopped`);
    const file = path.join(c.bundleDir, 'resources.json');
    writeFileSync(file, JSON.stringify(resources));
    await this.crunOrFail(c, ['update', '--resources', file, id]);
  }

  private async crunOrFail(c: Container, args: string[]): Promise<void> {
    try {
      await runTool(this.crun, args);
    } catch (err) {
      if (c.init.exit) throw new EngineError('precondition', `container ${c.id} has stopped`);
      throw new EngineError('internal', err instanceof Error ? err.message : String(err));
    }
  }

  stats(id: string): ContainerStats {
    const c = this.get(id);
    if (c.status === 'stopped') throw new EngineError('precondition', `container ${id} is stopped: no stats`);
    if (!existsSync(c.cgroupDir)) throw new EngineError('internal', `container ${id}: its cgroup ${c.cgroupDir} does not exist`);
    const stats = readContainerStats((name) => {
      try {
        return readFileSync(path.join(c.cgroupDir, name), 'utf8');
      } catch {
        return null;
      }
    });
    c.oomKills = Math.max(c.oomKills, stats.memory.oomKills);
    return stats;
  }

  listProcesses(id: string): { pid: number; cmdline: string }[] {
    const c = this.get(id);
    if (c.status === 'stopped') throw new EngineError('precondition', `container ${id} is stopped`);
    const pids: number[] = [];
    const walk = (dir: string, depth: number): void => {
      try {
        pids.push(...parseCgroupProcs(readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')));
        if (depth < 4) for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(dir, e.name), depth + 1);
      } catch {
        // raced with a cgroup going away
      }
    };
    walk(c.cgroupDir, 0);
    return pids.slice(0, 4096).map((pid) => {
      let cmdline = '';
      try {
        cmdline = formatCmdline(readFileSync(`/proc/${pid}/cmdline`));
      } catch {
        // exited meanwhile
      }
      return { pid, cmdline };
    });
  }

  // ---- processes ----------------------------------------------------------

  async execProcess(containerId: string, execId: string, processJson: Buffer): Promise<void> {
    const c = this.get(containerId);
    const proc = parseJsonBytes(OciProcess, processJson, 'process_json');
    if (c.status !== 'running') throw new EngineError('precondition', `container ${containerId} is ${c.status}, not running: cannot exec`);
    if (execId === c.init.execId || c.execs.has(execId)) throw new EngineError('exists', `process ${execId} already exists in container ${containerId}`);
    this.pruneExecs(c);
    if (await this.fastExec(c, execId, proc)) return;
    delete (proc as Record<string, unknown>)[EXEC_VIA_KEY];
    const file = path.join(c.bundleDir, `exec-${execId}.json`);
    const pidFile = path.join(c.bundleDir, `exec-${execId}.pid`);
    const tty = proc.terminal === true;
    const command = this.crunCommand([`--log=file:${path.join(c.bundleDir, `exec-${execId}.log`)}`, 'exec', '--process', file, '--pid-file', pidFile, containerId], tty);
    const processForCrun: OciProcess = { ...proc, terminal: command.crunTerminal };
    const t0 = performance.now();
    writeFileSync(file, JSON.stringify(processForCrun));
    const p = new ContainerProcess(execId, tty, this.capacity, pidFile);
    c.execs.set(execId, p);
    const size = proc.consoleSize;
    p.launch(command.file, command.args, {
      ptyFrom: this.ptyFrom,
      rows: size && size.height > 0 ? Math.min(size.height, 65535) : 24,
      cols: size && size.width > 0 ? Math.min(size.width, 65535) : 80,
      onExit: (e) => {
        if (e.exitStatus !== 0) e.error = this.crunLog(path.join(c.bundleDir, `exec-${execId}.log`)).slice(0, 1000);
        log('info', 'exec exited', { id: containerId, exec: execId, status: e.exitStatus, ms: Math.round(performance.now() - t0) });
      },
    });
    // Report a failure to start (bad program, bad cwd) as the exec's error, not as a later exit code.
    const deadline = Date.now() + CREATE_TIMEOUT_MS;
    while (!existsSync(pidFile) && !p.exit && Date.now() < deadline) await sleep(10);
    if (!existsSync(pidFile) && p.exit) {
      const why = this.crunLog(path.join(c.bundleDir, `exec-${execId}.log`));
      c.execs.delete(execId);
      throw new EngineError('precondition', `exec in container ${containerId} failed: ${(why || `crun exec exited with status ${p.exit.exitStatus}`).slice(0, 1000)}`);
    }
    p.pid = this.readPid(pidFile);
    log('info', 'exec started', { id: containerId, exec: execId, ms: Math.round(performance.now() - t0) });
  }

  /** Starts the process through the container's spawner (spawner.ts); false = leave it to crun exec. */
  private async fastExec(c: Container, execId: string, proc: OciProcess): Promise<boolean> {
    const target = { id: c.id, initPid: c.init.pid, cgroupDir: c.cgroupDir, bundleDir: c.bundleDir };
    const plan = this.spawners.plan(target, proc);
    if ('fallback' in plan) return false;
    const t0 = performance.now();
    const p = new ContainerProcess(execId, false, this.capacity, null);
    c.execs.set(execId, p);
    const onExit = (e: ExitInfo): void => {
      if (e.exitStatus !== 0) log('info', 'exec exited', { id: c.id, exec: execId, status: e.exitStatus, ms: Math.round(performance.now() - t0) });
    };
    try {
      const { pid, io } = await this.spawners.exec(target, plan.fields, (status, signal) => p.spawnedExit(status, signal, onExit));
      p.adopt(io, pid);
      return true;
    } catch (err) {
      c.execs.delete(execId);
      if (err instanceof SpawnFailed) throw new EngineError('precondition', `exec in container ${c.id} failed: ${err.message.slice(0, 1000)}`);
      log('warn', 'spawner unusable: exec through crun', { id: c.id, err: String(err).slice(0, 300) });
      return false;
    }
  }

  private pruneExecs(c: Container): void {
    if (c.execs.size < MAX_EXECS_KEPT) return;
    for (const [k, p] of c.execs) {
      if (p.exit && p.stdout.isClosed && p.stderr.isClosed) {
        c.execs.delete(k);
        if (c.execs.size < MAX_EXECS_KEPT) return;
      }
    }
    throw new EngineError('precondition', `container ${c.id} has ${MAX_EXECS_KEPT} processes whose output was not read yet`);
  }

  private readPid(file: string): number {
    try {
      const n = Number(readFileSync(file, 'utf8').trim());
      return Number.isInteger(n) && n > 0 ? n : 0;
    } catch {
      return 0;
    }
  }

  async signalProcess(containerId: string, execId: string, signal: number, all: boolean): Promise<void> {
    const c = this.get(containerId);
    const p = this.process(containerId, execId);
    if (p.exit) throw new EngineError('precondition', `process ${p.execId} of container ${containerId} has exited`);
    if (p === c.init) {
      const args = ['kill'];
      if (all) args.push('--all');
      args.push(containerId, String(signal));
      await this.crunOrFail(c, args);
      return;
    }
    if (all) throw new EngineError('invalid', 'all applies to the container\'s init process only');
    const pid = p.pid || (p.pidFile ? this.readPid(p.pidFile) : 0);
    if (pid <= 0) throw new EngineError('precondition', `process ${p.execId} has no pid yet`);
    try {
      process.kill(pid, signal);
    } catch (err) {
      throw new EngineError('precondition', `cannot signal process ${p.execId}: ${String(err).slice(0, 200)}`);
    }
  }

  waitProcess(containerId: string, execId: string): Promise<ExitInfo> {
    return this.process(containerId, execId).waitExit();
  }

  writeStdin(containerId: string, execId: string, data: Buffer): Promise<number> {
    return this.process(containerId, execId).writeStdin(data);
  }

  closeStdin(containerId: string, execId: string): void {
    this.process(containerId, execId).closeStdin();
  }

  closeOutput(containerId: string, execId: string, which: 'stdout' | 'stderr'): void {
    this.process(containerId, execId).closeOutput(which);
  }

  resizeTty(containerId: string, execId: string, rows: number, cols: number): void {
    this.process(containerId, execId).resize(rows, cols);
  }

  async readStream(containerId: string, execId: string, which: 'stdout' | 'stderr', offset: number, maxBytes: number, waitMs: number, cancelled?: AbortSignal): Promise<StreamRead> {
    const p = this.process(containerId, execId);
    const stream = which === 'stdout' ? p.stdout : p.stderr;
    if (offset > stream.end) throw new EngineError('invalid', `offset ${offset} is past the end of ${which} (${stream.end})`);
    return stream.readWait(offset, maxBytes, waitMs, cancelled);
  }

  /** For the io port: a process's output stream, read ahead of what the reader acknowledged (stream-buffer.ts readAhead). */
  outputSource(containerId: string, execId: string, which: 'stdout' | 'stderr'): OutputSource {
    const p = this.process(containerId, execId);
    return which === 'stdout' ? p.stdout : p.stderr;
  }

  /** Errors from validation helpers become invalid-argument errors. */
  static classify(err: unknown): EngineError | null {
    if (err instanceof EngineError) return err;
    if (err instanceof InvalidRequest) return new EngineError('invalid', err.message);
    return null;
  }
}
