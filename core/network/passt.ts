// passt (Debian `passt`): user-mode networking as a helper process, one per
// sandbox VM, which QEMU (≥ 7.2) reaches with -netdev stream on a unix
// socket. It started before QEMU, serves that one connection (--one-off) and
// exits when QEMU goes, and is found again by pid + start time recorded in
// the sandbox's run dir (as virtiofsd is), so stop/delete reap it even from
// another process. Its port forwards are fixed at start (-t/-u): passt of
// 2023 cannot change them at run time (see docs/design/networking.md).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { VesselError, type PortMapping } from '../contract/index.js';
import { recordHelper, runningHelper, stopHelper, waitForSocket, type SocketHelperRecord } from '../util/socket-helper.js';

export const PASST = '/usr/bin/passt';
const SOCKET = 'passt.sock';
const RECORD = 'passt.json';
const LOG = 'passt.log';

/** The addresses user-mode networking gives the guest (the same with slirp and passt, so a sandbox can move between them). */
export const USER_NET = { guestIp: '10.0.2.15', prefix: 24, gateway: '10.0.2.2', dns: '10.0.2.3' } as const;

export type PasstRecord = SocketHelperRecord;

export type UserBackend = 'passt' | 'slirp';

export function passtPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.VESSEL_PASST ?? PASST;
}

/** passt's arguments for a sandbox: the guest's fixed addresses, the gateway mapped to the host's loopback, DNS forwarded, the forwards. */
export function passtArgs(socket: string, ports: PortMapping[], opts: { root: boolean; logFile: string }): string[] {
  const args = [
    '--foreground', '--one-off', '--ipv4-only', '--quiet',
    '--socket', socket, '--log-file', opts.logFile,
    '--address', USER_NET.guestIp, '--netmask', String(USER_NET.prefix), '--gateway', USER_NET.gateway,
    // The guest's resolv.conf names 10.0.2.3 (as with slirp); passt forwards what is sent there to the host's resolver.
    '--dns-forward', USER_NET.dns,
  ];
  // As root passt drops to "nobody", which then cannot bind its socket in Vessel's 0700 run dir
  // (and says it did). It still isolates itself (namespaces, no capabilities, seccomp).
  if (opts.root) args.push('--runas', '0:0');
  for (const p of ports) {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(p.hostIp)) throw new VesselError('E_INVALID_ARGUMENT', `invalid host IP ${p.hostIp}`);
    args.push(p.protocol === 'udp' ? '-u' : '-t', `${p.hostIp}/${p.hostPort}:${p.containerPort}`);
  }
  return args;
}

const probed = new Map<string, { backend: UserBackend; reason: string }>();

/**
 * Which user-mode backend `--network user` gets here, and why: passt when it
 * is installed and really starts (a short probe run on a temp socket), else
 * QEMU's built-in slirp. Cached per process.
 */
export async function userBackend(env: NodeJS.ProcessEnv = process.env): Promise<{ backend: UserBackend; reason: string }> {
  const bin = passtPath(env);
  const cached = probed.get(bin);
  if (cached) return cached;
  if (!existsSync(bin)) {
    const r = { backend: 'slirp' as const, reason: `passt is not installed (${bin}; apt-get install passt): QEMU's built-in slirp` };
    probed.set(bin, r);
    return r;
  }
  const dir = path.join(tmpdir(), `vsl-passt-probe-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { mode: 0o700 });
  const socket = path.join(dir, SOCKET);
  const child = spawn(bin, passtArgs(socket, [], { root: process.getuid?.() === 0, logFile: path.join(dir, LOG) }), { stdio: 'ignore' });
  try {
    const why = await waitForSocket(socket, child, 5_000);
    const r = why === null
      ? { backend: 'passt' as const, reason: `passt found at ${bin} and starts (QEMU reaches it with -netdev stream)` }
      : { backend: 'slirp' as const, reason: `passt at ${bin} does not start here (${why}): QEMU's built-in slirp` };
    probed.set(bin, r);
    return r;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

export function passtSocket(runDir: string): string {
  return path.join(runDir, SOCKET);
}

/** The recorded passt of this run dir, if it is still the process we started. */
export function runningPasst(runDir: string): PasstRecord | null {
  return runningHelper(path.join(runDir, RECORD));
}

/** Start the sandbox's passt with its forwards; resolves once it listens. Any earlier one of this run dir is stopped first. */
export async function startPasst(runDir: string, ports: PortMapping[], env: NodeJS.ProcessEnv = process.env): Promise<PasstRecord> {
  await stopPasst(runDir);
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const socket = passtSocket(runDir);
  const logFile = path.join(runDir, LOG);
  rmSync(logFile, { force: true });
  const logFd = openSync(logFile, 'a');
  const child = spawn(passtPath(env), passtArgs(socket, ports, { root: process.getuid?.() === 0, logFile }), { stdio: ['ignore', 'ignore', logFd], detached: true });
  closeSync(logFd);
  child.unref();
  const why = await waitForSocket(socket, child, 10_000);
  if (why !== null) {
    if (child.pid && child.exitCode === null) try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    const log = tailOf(logFile);
    const busy = /Failed to bind any port for '-[tu] ([^']+)'/.exec(log);
    if (busy) throw new VesselError('E_BUSY', `passt could not bind host port ${busy[1] ?? ''} (already in use on this host?): pick another -p`);
    throw new VesselError('E_NETWORK', `passt did not start (${why}): ${log}`);
  }
  return recordHelper(path.join(runDir, RECORD), child.pid ?? 0, socket);
}

/** Stop the sandbox's passt (only the process we recorded) and remove its files. Idempotent. */
export async function stopPasst(runDir: string): Promise<void> {
  await stopHelper(path.join(runDir, RECORD), passtSocket(runDir), 3_000);
}

function tailOf(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').filter((l) => !/^passt /.test(l)).slice(-4).join(' | ').slice(0, 600);
  } catch {
    return '';
  }
}
