// Fast exec: starts processes in a running container through a long-lived
// per-container helper (guest/spawner/vessel-spawner.c) instead of a
// `crun exec` start-up and a Node fork per process (issue 10, item 4).
//
// The agent starts one spawner per container, lazily on its first exec, with
// the init's pid and the container's cgroup; it talks to it over the
// spawner's stdin/stdout (framed key/value requests, one-line replies: see the
// C file). A request is the process as crun exec would set it up, resolved
// here the way the image's crun (1.8) resolves it (capabilities from the
// container when the process has none, the container's environment when the
// process has none, the process's user or root, rlimits, umask,
// no_new_privs). core/agent/exec-spawner.int.test.ts compares the two paths
// in a VM, so a crun that changes this shows up there. The child's stdio are three unix
// sockets the spawner connects to the agent's SPAWN_IO_SOCKET (each starts
// with a "TOK FD\n" header), so no byte is relayed by a helper and the agent
// reads them as it read crun's pipes (which are socketpairs too).
//
// What the spawner does not do goes to `crun exec` (planSpawn says why):
// TTYs, seccomp, AppArmor/SELinux, user namespaces, personality, scheduler,
// I/O priority, CPU affinity, oomScoreAdj, unknown capability or rlimit names
// (crun reports those), a process spec that asks for it ("vesselExecVia":
// "crun", which the host sets when VESSEL_EXEC_SPAWNER=0), or a spawner that
// cannot start.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { log } from './log.js';

export const SPAWNER_GUEST_PATH = '/opt/vessel/bin/vessel-spawner';
export const SPAWN_IO_SOCKET = '/run/vessel/spawn-io.sock';
/** A process spec key (not OCI) that sends one exec to crun exec. Stripped before crun sees the spec. */
export const EXEC_VIA_KEY = 'vesselExecVia';
const START_TIMEOUT_MS = 30_000;
const MAX_HEADER = 64;

/** The OCI capability names in number order (linux/capability.h). */
export const CAPABILITY_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5, RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10, RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** One request's fields (without tok and io), or why it goes to crun exec. */
export type SpawnPlan = { fields: [string, string][] } | { fallback: string };

function capMask(names: string[]): bigint | string {
  let m = 0n;
  for (const n of names) {
    const i = (CAPABILITY_NAMES as readonly string[]).indexOf(n);
    if (i < 0) return n;
    m |= 1n << BigInt(i);
  }
  return m;
}

/** A JSON rlimit value (uint64; 2^64-1 "unlimited" arrives rounded) as a decimal string. */
function u64(n: unknown): string | null {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || !Number.isInteger(n)) return null;
  if (n >= 2 ** 64 - 4096) return '18446744073709551615';
  return BigInt(n).toString();
}

/** putenv semantics: a later KEY=... replaces the earlier one in its place. */
function dedupeEnv(env: string[]): string[] {
  const at = new Map<string, number>();
  const out: string[] = [];
  for (const e of env) {
    const k = e.slice(0, e.indexOf('='));
    const i = at.get(k);
    if (i === undefined) {
      at.set(k, out.length);
      out.push(e);
    } else out[i] = e;
  }
  return out;
}

/**
 * What crun exec would do with `proc` in a container made from `spec`
 * (crun's libcrun_container_exec_with_options / exec_process_entrypoint), as
 * spawner fields; or the reason to leave it to crun.
 */
export function planSpawn(proc: Json, spec: Json): SpawnPlan {
  const cproc = obj(spec.process) ?? {};
  const linux = obj(spec.linux) ?? {};
  if (proc[EXEC_VIA_KEY] === 'crun') return { fallback: 'asked for crun exec' };
  if (proc.terminal === true) return { fallback: 'a terminal' };
  if (linux.seccomp !== undefined) return { fallback: 'seccomp' };
  if (linux.personality !== undefined) return { fallback: 'personality' };
  if (Array.isArray(linux.namespaces) && linux.namespaces.some((n) => obj(n)?.type === 'user')) return { fallback: 'a user namespace' };
  for (const k of ['apparmorProfile', 'selinuxLabel']) if (proc[k] !== undefined || cproc[k] !== undefined) return { fallback: k };
  for (const k of ['scheduler', 'ioPriority', 'execCPUAffinity', 'oomScoreAdj']) if (proc[k] !== undefined) return { fallback: k };

  // crun 1.8 (the image's): the process's own user, else root, and no umask call (newer crun takes the container's user).
  const user = obj(proc.user);
  const uid = typeof user?.uid === 'number' ? user.uid : 0;
  const gid = typeof user?.gid === 'number' ? user.gid : 0;
  const fields: [string, string][] = [['uid', String(uid)], ['gid', String(gid)]];
  for (const g of Array.isArray(user?.additionalGids) ? user.additionalGids : []) {
    if (typeof g !== 'number') return { fallback: 'a non-numeric additional gid' };
    fields.push(['group', String(g)]);
  }
  if (user) fields.push(['umask', (typeof user.umask === 'number' ? user.umask : 0o022).toString(8)]);

  const caps = obj(proc.capabilities) ?? obj(cproc.capabilities) ?? {};
  for (const [key, name] of [['bnd', 'bounding'], ['eff', 'effective'], ['prm', 'permitted'], ['inh', 'inheritable'], ['amb', 'ambient']] as const) {
    const m = capMask(strs(caps[name]));
    if (typeof m === 'string') return { fallback: `capability ${m.slice(0, 40)}` };
    fields.push([key, m.toString(16)]);
  }
  fields.push(['nnp', proc.noNewPrivileges === true ? '1' : '0']);

  for (const r of Array.isArray(proc.rlimits) ? proc.rlimits : []) {
    const o = obj(r);
    const res = typeof o?.type === 'string' ? RLIMITS[o.type] : undefined;
    const soft = u64(o?.soft);
    const hard = u64(o?.hard);
    if (res === undefined || soft === null || hard === null) return { fallback: 'an rlimit it cannot read' };
    fields.push(['rlimit', `${res} ${soft} ${hard}`]);
  }

  const own = strs(proc.env);
  const env = dedupeEnv(own.length > 0 ? own : strs(cproc.env));
  for (const e of env) fields.push(['env', e]);
  fields.push(['cwd', typeof proc.cwd === 'string' ? proc.cwd : '/']);
  const args = strs(proc.args);
  if (args.length === 0) return { fallback: 'no args' };
  for (const a of args) fields.push(['arg', a]);
  if ([...fields].some(([, v]) => v.includes('\0'))) return { fallback: 'a NUL byte' };
  return { fields };
}

/** A request frame: u32 LE payload length, then key\0value\0 pairs. */
export function encodeFrame(fields: [string, string][]): Buffer {
  const payload = Buffer.concat(fields.flatMap(([k, v]) => [Buffer.from(`${k}\0`), Buffer.from(`${v}\0`)]));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(payload.length);
  return Buffer.concat([head, payload]);
}

export interface SpawnedIo {
  stdin: net.Socket;
  stdout: net.Socket;
  stderr: net.Socket;
}

interface Pending {
  sockets: (net.Socket | undefined)[];
  pid: number;
  done: (err: Error | null, r?: { pid: number; io: SpawnedIo }) => void;
  exit: (status: number, signal: number) => void;
}

/** The agent's end of the stdio sockets: one listener for every spawner. */
class SpawnIoServer {
  private server: net.Server | null = null;
  private starting: Promise<void> | null = null;
  readonly pending = new Map<number, Pending>();

  constructor(readonly socketPath: string) {}

  listen(): Promise<void> {
    if (!this.starting) {
      this.starting = new Promise<void>((resolve, reject) => {
        rmSync(this.socketPath, { force: true });
        const server = net.createServer({ allowHalfOpen: true }, (s) => this.accept(s));
        server.once('error', (err) => { this.starting = null; reject(err); });
        server.listen(this.socketPath, () => {
          this.server = server;
          resolve();
        });
      });
    }
    return this.starting;
  }

  private accept(s: net.Socket): void {
    let head = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      head = Buffer.concat([head, d]);
      const nl = head.indexOf(0x0a);
      if (nl < 0) {
        if (head.length > MAX_HEADER) s.destroy();
        return;
      }
      s.removeListener('data', onData);
      s.pause();
      const rest = head.subarray(nl + 1);
      if (rest.length > 0) s.unshift(rest);
      const m = /^(\d{1,16}) ([012])$/.exec(head.subarray(0, nl).toString('latin1'));
      const p = m ? this.pending.get(Number(m[1])) : undefined;
      if (!m || !p || p.sockets[Number(m[2])]) {
        s.destroy();
        return;
      }
      p.sockets[Number(m[2])] = s;
      this.settle(Number(m[1]));
    };
    s.on('data', onData);
    s.on('error', () => undefined);
  }

  /** An exec is started once the spawner said S and its three sockets are here. */
  settle(tok: number): void {
    const p = this.pending.get(tok);
    if (!p || p.pid === 0) return;
    const [stdin, stdout, stderr] = p.sockets;
    if (!stdin || !stdout || !stderr) return;
    this.pending.delete(tok);
    p.done(null, { pid: p.pid, io: { stdin, stdout, stderr } });
  }

  fail(tok: number, err: Error): void {
    const p = this.pending.get(tok);
    if (!p) return;
    this.pending.delete(tok);
    for (const s of p.sockets) s?.destroy();
    p.done(err);
  }

  close(): void {
    this.server?.close();
  }
}

let nextTok = 1;

/** One container's spawner process. */
class Spawner {
  private readonly child: ChildProcess;
  readonly ready: Promise<void>;
  private readonly mine = new Set<number>();
  private readonly running = new Map<number, (status: number, signal: number) => void>();
  private buf = '';
  private startError = '';
  dead = false;

  constructor(file: string, initPid: number, cgroupDir: string, private readonly io: SpawnIoServer, readonly containerId: string) {
    this.child = spawn(file, [String(initPid), cgroupDir], { stdio: ['pipe', 'pipe', 'pipe'] });
    let ready: () => void = () => undefined;
    let failed: (e: Error) => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => { ready = resolve; failed = reject; });
    this.ready.catch(() => undefined);
    const timer = setTimeout(() => failed(new Error('the spawner did not start in time')), START_TIMEOUT_MS);
    this.child.stdin?.on('error', () => undefined);
    this.child.stderr?.on('data', (d: Buffer) => { this.startError = (this.startError + d.toString()).slice(-500); });
    this.child.stdout?.on('data', (d: Buffer) => {
      this.buf += d.toString('utf8');
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (line.startsWith('R ')) {
          clearTimeout(timer);
          ready();
        } else this.line(line, failed);
      }
    });
    this.child.on('error', (err) => { clearTimeout(timer); this.died(`cannot run the spawner: ${err.message}`, failed); });
    this.child.on('exit', (code, sig) => { clearTimeout(timer); this.died(`the spawner exited (${sig ?? String(code)})${this.startError ? `: ${this.startError.trim()}` : ''}`, failed); });
  }

  private line(line: string, failed: (e: Error) => void): void {
    const m = /^([SFXE]) (.*)$/.exec(line);
    if (!m) return;
    const [, kind, rest = ''] = m;
    if (kind === 'E') {
      this.startError = rest;
      failed(new Error(rest));
      log('warn', 'spawner', { id: this.containerId, said: rest.slice(0, 300) });
      return;
    }
    const sp = rest.indexOf(' ');
    const tok = Number(rest.slice(0, sp));
    const tail = rest.slice(sp + 1);
    if (kind === 'S') {
      const p = this.io.pending.get(tok);
      if (!p) return;
      p.pid = Number(tail);
      this.running.set(tok, p.exit);
      this.io.settle(tok);
    } else if (kind === 'F') {
      this.mine.delete(tok);
      this.io.fail(tok, new SpawnFailed(tail));
    } else {
      const [status, signal] = tail.split(' ').map(Number);
      this.mine.delete(tok);
      const exit = this.running.get(tok);
      this.running.delete(tok);
      exit?.(status ?? 255, signal ?? 0);
    }
  }

  private died(why: string, failed: (e: Error) => void): void {
    if (this.dead) return;
    this.dead = true;
    failed(new Error(why));
    for (const tok of this.mine) this.io.fail(tok, new Error(why));
    // Its processes lost their reaper: report them ended (they are killed with the container).
    for (const exit of this.running.values()) exit(255, 0);
    this.running.clear();
  }

  exec(fields: [string, string][], exit: (status: number, signal: number) => void): Promise<{ pid: number; io: SpawnedIo }> {
    const tok = nextTok++;
    return new Promise((resolve, reject) => {
      this.io.pending.set(tok, { sockets: [], pid: 0, exit, done: (err, r) => (err ? reject(err) : resolve(r as { pid: number; io: SpawnedIo })) });
      this.mine.add(tok);
      this.child.stdin?.write(encodeFrame([['tok', String(tok)], ['io', this.io.socketPath], ...fields]));
    });
  }

  stop(): void {
    this.child.stdin?.end();
    this.child.kill('SIGKILL');
  }
}

/** The spawner said the process could not be started (bad program, cwd, user...). */
export class SpawnFailed extends Error {}

export interface SpawnTarget {
  id: string;
  initPid: number;
  cgroupDir: string;
  bundleDir: string;
}

/** Every container's spawner, for the engine. */
export class Spawners {
  private readonly io: SpawnIoServer;
  private readonly byContainer = new Map<string, { spawner: Spawner; spec: Json; announced: boolean }>();
  private readonly broken = new Map<string, string>();

  constructor(private readonly file = SPAWNER_GUEST_PATH, socketPath = SPAWN_IO_SOCKET) {
    this.io = new SpawnIoServer(socketPath);
  }

  get available(): boolean {
    return existsSync(this.file);
  }

  /** Why this exec goes to crun exec, or the spawner request; null spec = read the bundle's config.json. */
  plan(c: SpawnTarget, proc: Json): SpawnPlan {
    if (!this.available) return { fallback: 'no spawner in the image' };
    const broken = this.broken.get(c.id);
    if (broken) return { fallback: `its spawner failed (${broken})` };
    if (c.initPid <= 0) return { fallback: 'the init pid is unknown' };
    let spec = this.byContainer.get(c.id)?.spec;
    if (!spec) {
      try {
        spec = obj(JSON.parse(readFileSync(`${c.bundleDir}/config.json`, 'utf8'))) ?? {};
      } catch (err) {
        return { fallback: `config.json unreadable (${String(err).slice(0, 100)})` };
      }
    }
    return planSpawn(proc, spec);
  }

  /** Starts the process; rejects with SpawnFailed when the process cannot start, another Error when the spawner cannot be used. */
  async exec(c: SpawnTarget, fields: [string, string][], exit: (status: number, signal: number) => void): Promise<{ pid: number; io: SpawnedIo }> {
    await this.io.listen();
    let entry = this.byContainer.get(c.id);
    if (!entry || entry.spawner.dead) {
      let spec: Json = {};
      try {
        spec = obj(JSON.parse(readFileSync(`${c.bundleDir}/config.json`, 'utf8'))) ?? {};
      } catch {
        // planned already
      }
      entry = { spawner: new Spawner(this.file, c.initPid, c.cgroupDir, this.io, c.id), spec, announced: false };
      this.byContainer.set(c.id, entry);
    }
    try {
      await entry.spawner.ready;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.broken.set(c.id, why.slice(0, 200));
      entry.spawner.stop();
      this.byContainer.delete(c.id);
      throw err;
    }
    if (!entry.announced) {
      entry.announced = true;
      log('info', 'spawner started', { id: c.id });
    }
    return entry.spawner.exec(fields, exit);
  }

  /** The container ended or went away: its spawner goes too. */
  stop(containerId: string): void {
    this.byContainer.get(containerId)?.spawner.stop();
    this.byContainer.delete(containerId);
    this.broken.delete(containerId);
  }

  close(): void {
    for (const id of [...this.byContainer.keys()]) this.stop(id);
    this.io.close();
  }
}
