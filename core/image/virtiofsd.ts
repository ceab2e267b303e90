import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { VesselError } from '../contract/index.js';
import { openFileHardLimit } from './open-files.js';
import { recordHelper, runningHelper, stopHelper, waitForSocket, type SocketHelperRecord } from '../util/socket-helper.js';

/**
 * QEMU's virtiofsd (Debian qemu-system-common) serving a sandbox's shared
 * directory over vhost-user-fs: one per sandbox, started before QEMU (which
 * connects to its socket at boot), stopped and reaped with the VM. It serves
 * one connection and exits when QEMU goes. Found again by pid + start time
 * recorded in the run dir, like the agent channel owner and
 * qemu-storage-daemon. `sandbox=chroot` (not the default namespace sandbox):
 * the container roots are bind/overlay mounts made under the shared dir
 * after virtiofsd started; a chroot sees them, a private mount namespace
 * would not.
 */

export const VIRTIOFSD = '/usr/lib/qemu/virtiofsd';
const SOCKET = 'virtiofs.sock';
const RECORD = 'virtiofsd.json';
const LOG = 'virtiofsd.log';

export type VirtiofsdRecord = SocketHelperRecord;

export function virtiofsdPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.VESSEL_VIRTIOFSD ?? VIRTIOFSD;
}

/** Why virtio-fs cannot be used on this host, or null when it can. */
export function virtiofsUnavailable(env: NodeJS.ProcessEnv = process.env): string | null {
  const bin = virtiofsdPath(env);
  if (!existsSync(bin)) return `virtiofsd not found at ${bin} (apt-get install qemu-system-common)`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'virtiofsd (the C one in QEMU 7.2) needs root to chroot into the shared directory';
  return null;
}

export function virtiofsSocket(runDir: string): string {
  return path.join(runDir, SOCKET);
}

/** The recorded daemon, if it is still the process we started. */
export function runningVirtiofsd(runDir: string): VirtiofsdRecord | null {
  return runningHelper(path.join(runDir, RECORD));
}

/** Start virtiofsd for sharedDir; resolves once its socket exists. Any earlier daemon of this run dir is stopped first. */
export async function startVirtiofsd(runDir: string, sharedDir: string, env: NodeJS.ProcessEnv = process.env): Promise<VirtiofsdRecord> {
  const why = virtiofsUnavailable(env);
  if (why) throw new VesselError('E_MISSING_DEPENDENCY', `virtio-fs rootfs transport unavailable: ${why}; use --rootfs-transport 9p or block`);
  await stopVirtiofsd(runDir);
  const socket = virtiofsSocket(runDir);
  rmSync(socket, { force: true });
  const bin = virtiofsdPath(env);
  const logFd = openSync(path.join(runDir, LOG), 'a');
  // Argument array; source= is one QemuOpts value, so a comma in the path is doubled.
  const child = spawn(bin, [
    `--socket-path=${socket}`,
    '-o', `source=${sharedDir.replaceAll(',', ',,')}`,
    '-o', 'cache=auto',
    ...descriptorArgs(),
    '-o', 'sandbox=chroot',
    '-o', 'xattr',
  ], { stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);
  child.unref();
  const failure = await waitForSocket(socket, child, 10_000);
  if (failure !== null) {
    if (child.pid && child.exitCode === null) try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    throw new VesselError('E_HYPERVISOR', `virtiofsd did not start (${failure}): ${tailOf(path.join(runDir, LOG))}`);
  }
  return recordHelper(path.join(runDir, RECORD), child.pid ?? 0, socket);
}

/** Stop the sandbox's virtiofsd (only the process we recorded) and remove its files. Idempotent. */
export async function stopVirtiofsd(runDir: string): Promise<void> {
  await stopHelper(path.join(runDir, RECORD), virtiofsSocket(runDir), 5_000);
}

/** virtiofsd's own target for its open-files limit (min(1e6, file-max)). */
export const VIRTIOFSD_MIN_FDS = 1_000_000;

/**
 * The C virtiofsd holds an O_PATH descriptor for every inode the guest
 * knows, until the guest FORGETs it. With cache=auto the guest keeps each
 * entry for its 1 s timeout and then for as long as it likes (the dentry
 * stays cached), so a 20,000-file untar ran into EMFILE under this host's
 * hard limit of 20,000 (root without CAP_SYS_RESOURCE cannot raise it).
 * Below 1e6: ask for the hard limit itself (virtiofsd's default request of
 * 1e6 fails), and `timeout=0` (entry and attribute timeouts 0, page cache and
 * readdirplus kept): a dentry whose timeout has passed is dropped at its
 * last use, the guest sends FORGET and virtiofsd closes the descriptor. It
 * stayed under 40 descriptors through the 20,000-file untar (bench:rootfs).
 */
export function descriptorArgs(hard: number | null = openFileHardLimit()): string[] {
  return hard !== null && hard < VIRTIOFSD_MIN_FDS ? [`--rlimit-nofile=${hard}`, '-o', 'timeout=0'] : [];
}

function tailOf(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ').slice(0, 600);
  } catch {
    return '';
  }
}
