import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { VesselError } from '../contract/index.js';
import { readProcStartTime, terminateProcess } from '../util/proc.js';

/**
 * qemu-storage-daemon (Debian's qemu-system-common) as the vhost-user-blk
 * backend of one device: it opens the image and serves it on a unix socket
 * QEMU connects to. One daemon per device, started with it, stopped when the
 * device goes, reaped with the sandbox. It daemonizes (outlives the CLI like
 * QEMU does) and writes a pidfile next to its socket in the sandbox dir.
 */

export const STORAGE_DAEMON = 'qemu-storage-daemon';
const ID = /^[a-z][a-z0-9-]{0,62}$/;

function escapeOpt(v: string): string {
  return v.replaceAll(',', ',,');
}

export class StorageDaemon {
  private constructor(readonly socket: string, readonly pidFile: string) {}

  static paths(runDir: string, id: string): { socket: string; pidFile: string } {
    if (!ID.test(id)) throw new VesselError('E_INVALID_ARGUMENT', `invalid device id "${id}"`);
    return { socket: path.join(runDir, `${id}.vub.sock`), pidFile: path.join(runDir, `${id}.qsd.pid`) };
  }

  static async start(o: { runDir: string; id: string; file: string; format: 'raw' | 'qcow2'; readOnly: boolean; binary?: string }): Promise<StorageDaemon> {
    const { socket, pidFile } = StorageDaemon.paths(o.runDir, o.id);
    rmSync(socket, { force: true });
    const args = [
      '--blockdev', `driver=file,node-name=${o.id}-file,filename=${escapeOpt(o.file)},read-only=${o.readOnly ? 'on' : 'off'}`,
      '--blockdev', `driver=${o.format},node-name=${o.id}-fmt,file=${o.id}-file,read-only=${o.readOnly ? 'on' : 'off'}`,
      '--export', `type=vhost-user-blk,id=${o.id}-exp,node-name=${o.id}-fmt,addr.type=unix,addr.path=${escapeOpt(socket)},writable=${o.readOnly ? 'off' : 'on'}`,
      '--pidfile', pidFile,
      '--daemonize',
    ];
    const binary = o.binary ?? STORAGE_DAEMON;
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', (err) => reject(new VesselError('E_MISSING_DEPENDENCY', `cannot run ${binary}: ${err.message} (apt-get install qemu-system-common)`)));
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new VesselError('E_HYPERVISOR', `qemu-storage-daemon failed (exit ${String(code)}): ${out.trim().slice(0, 500)}`))));
    });
    if (!existsSync(socket)) throw new VesselError('E_HYPERVISOR', `qemu-storage-daemon started but made no socket at ${socket}: ${output.trim()}`);
    return new StorageDaemon(socket, pidFile);
  }

  async stop(): Promise<void> {
    await stopByPidFile(this.pidFile, this.socket);
  }

  static async stopFor(runDir: string, id: string): Promise<void> {
    const { socket, pidFile } = StorageDaemon.paths(runDir, id);
    await stopByPidFile(pidFile, socket);
  }

  /** Every daemon of a sandbox (its VM stopped or it is being deleted). */
  static async stopAll(runDir: string): Promise<void> {
    let names: string[] = [];
    try {
      names = readdirSync(runDir);
    } catch {
      return;
    }
    for (const n of names) {
      const m = /^([a-z][a-z0-9-]{0,62})\.qsd\.pid$/.exec(n);
      if (m?.[1]) await StorageDaemon.stopFor(runDir, m[1]);
    }
  }
}

async function stopByPidFile(pidFile: string, socket: string): Promise<void> {
  let pid = 0;
  try {
    pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  } catch {
    rmSync(socket, { force: true });
    return;
  }
  // Only a process whose command line names this socket is ours.
  let ours = false;
  try {
    ours = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(socket);
  } catch {
    ours = false;
  }
  const start = ours ? readProcStartTime(pid) : null;
  if (ours && start !== null) await terminateProcess(pid, start, 5_000, 50);
  rmSync(pidFile, { force: true });
  rmSync(socket, { force: true });
}
