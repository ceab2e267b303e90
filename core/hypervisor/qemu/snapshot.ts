import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, fsyncSync, openSync, closeSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { VesselError, toVesselError } from '../../contract/index.js';
import { readTail } from '../../util/file.js';
import type { HypervisorState } from '../hypervisor.js';
import type { CheckpointDevices, SaveStateOptions, SnapshotDriver } from '../snapshot.js';
import { checkpointDevices, explainMigrationRefusal } from './checkpoint-devices.js';
import { MAX_UNIX_SOCKET_PATH } from './cmdline.js';
import { QmpEmpty, type QmpClient } from './qmp.js';
import type { QemuHypervisor } from './qemu.js';

/** QEMU's savevm stream starts with "QEVM" and a format version (3). */
export const QEMU_STATE_MAGIC = Buffer.from([0x51, 0x45, 0x56, 0x4d, 0x00, 0x00, 0x00, 0x03]);

const MigrationInfo = z.object({
  status: z.string().optional(),
  'error-desc': z.string().optional(),
  ram: z.object({ transferred: z.number().optional(), total: z.number().optional() }).loose().optional(),
}).loose();

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/** True when `file` begins like a QEMU migration stream. */
export function looksLikeQemuState(file: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(QEMU_STATE_MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(QEMU_STATE_MAGIC);
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function migrationSocket(vm: HypervisorState, which: 'out' | 'in'): string {
  const path = join(vm.paths.runDir, `mig-${which}.sock`);
  if (Buffer.byteLength(path) > MAX_UNIX_SOCKET_PATH) throw new VesselError('E_INVALID_ARGUMENT', `run directory too long for the migration socket: ${path}`);
  return path;
}

async function setIgnoreShared(qmp: QmpClient, on: boolean): Promise<void> {
  await qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'x-ignore-shared', state: on }] }, QmpEmpty);
}

/** Poll query-migrate until it completes; throws with QEMU's reason (and log tail) otherwise. */
async function waitForMigration(qmp: QmpClient, vm: HypervisorState, deadline: number, verb: string, onProgress?: (m: string) => void): Promise<void> {
  let lastReport = 0;
  for (;;) {
    let info: z.infer<typeof MigrationInfo>;
    try {
      info = await qmp.execute('query-migrate', undefined, MigrationInfo);
    } catch (err) {
      const log = readTail(vm.paths.logFile, 1024).trim();
      throw new VesselError('E_HYPERVISOR', `QEMU stopped while ${verb} the VM state${log ? `: ${log.split('\n').slice(-3).join(' / ')}` : ''}`, undefined, { cause: err });
    }
    if (info.status === 'completed') return;
    if (info.status === 'failed' || info.status === 'cancelled') {
      const log = readTail(vm.paths.logFile, 1024).trim();
      throw new VesselError('E_HYPERVISOR', `${verb} the VM state failed: ${info['error-desc'] ?? info.status}${log ? ` (QEMU log: ${log.split('\n').slice(-2).join(' / ')})` : ''}`);
    }
    if (Date.now() > deadline) throw new VesselError('E_TIMEOUT', `${verb} the VM state did not finish in time (status ${info.status ?? 'none'})`);
    if (onProgress && Date.now() - lastReport > 2_000 && info.ram?.transferred !== undefined) {
      lastReport = Date.now();
      onProgress(`${verb} VM state: ${(info.ram.transferred / 1048576).toFixed(0)} MiB${info.ram.total ? ` of ${(info.ram.total / 1048576).toFixed(0)} MiB` : ''}`);
    }
    await sleep(50);
  }
}

function listen(path: string): Promise<Server> {
  rmSync(path, { force: true });
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}

function connectWhenListening(path: string, deadline: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const socket = createConnection({ path });
      socket.once('connect', () => resolve(socket));
      socket.once('error', (err) => {
        socket.destroy();
        if (Date.now() > deadline) reject(err);
        else setTimeout(attempt, 20);
      });
    };
    attempt();
  });
}

/** QEMU's migration to and from files, over a unix socket Vessel streams. */
export class QemuSnapshotDriver implements SnapshotDriver {
  private readonly versions = new Map<string, string>();

  constructor(private readonly qemu: QemuHypervisor) {}

  async saveState(vm: HypervisorState, file: string, options: SaveStateOptions): Promise<{ bytes: number }> {
    const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const sock = migrationSocket(vm, 'out');
    const tmp = join(dirname(file), `.${basename(file)}.partial`);
    const server = await listen(sock);
    const received = new Promise<void>((resolve, reject) => {
      server.once('connection', (conn) => {
        server.close();
        const out = createWriteStream(tmp, { mode: 0o600 });
        conn.pipe(out);
        out.once('finish', () => resolve());
        out.once('error', reject);
        conn.once('error', reject);
      });
    });
    received.catch(() => undefined);
    try {
      await this.qemu.withQmp(vm, async (qmp) => {
        await setIgnoreShared(qmp, options.ignoreShared);
        try {
          await qmp.execute('migrate', { uri: `unix:${sock}` }, QmpEmpty);
        } catch (err) {
          const desc = err instanceof VesselError && typeof err.details?.['qmpDesc'] === 'string' ? err.details['qmpDesc'] : '';
          const why = explainMigrationRefusal(desc);
          if (why) throw new VesselError('E_UNSUPPORTED', `cannot save this VM: ${why}`, { qemu: desc });
          throw err;
        }
        await waitForMigration(qmp, vm, deadline, 'saving', options.onProgress);
      });
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([received, new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new VesselError('E_TIMEOUT', 'the VM state stream did not end')), Math.max(1, deadline - Date.now()));
        })]);
      } finally {
        clearTimeout(timer);
      }
      const fd = openSync(tmp, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      if (!looksLikeQemuState(tmp)) throw new VesselError('E_HYPERVISOR', 'QEMU wrote something that is not a VM state stream');
      renameSync(tmp, file);
      return { bytes: statSync(file).size };
    } catch (err) {
      rmSync(tmp, { force: true });
      throw toVesselError(err, 'E_HYPERVISOR');
    } finally {
      server.close();
      rmSync(sock, { force: true });
    }
  }

  async loadState(vm: HypervisorState, file: string, options: SaveStateOptions): Promise<void> {
    if (!existsSync(file)) throw new VesselError('E_NOT_FOUND', `VM state file ${file} is missing`);
    if (!looksLikeQemuState(file)) throw new VesselError('E_CORRUPT_STATE', `${file} is not a QEMU VM state file (bad header)`);
    const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const sock = migrationSocket(vm, 'in');
    rmSync(sock, { force: true });
    try {
      await this.qemu.withQmp(vm, async (qmp) => {
        await setIgnoreShared(qmp, options.ignoreShared);
        await qmp.execute('migrate-incoming', { uri: `unix:${sock}` }, QmpEmpty);
        const conn = await connectWhenListening(sock, deadline);
        const sent = new Promise<void>((resolve, reject) => {
          const input = createReadStream(file);
          input.once('error', reject);
          conn.once('error', () => resolve()); // QEMU closes early on a bad stream: query-migrate says why
          conn.once('close', () => resolve());
          input.pipe(conn);
        });
        await waitForMigration(qmp, vm, deadline, 'loading', options.onProgress);
        await sent.catch(() => undefined);
        conn.destroy();
      });
    } finally {
      rmSync(sock, { force: true });
    }
  }

  checkpointDevices(vm: HypervisorState): Promise<CheckpointDevices> {
    return this.qemu.withQmp(vm, (qmp) => checkpointDevices(qmp));
  }

  async version(hypervisorPath: string): Promise<string> {
    const known = this.versions.get(hypervisorPath);
    if (known) return known;
    const res = spawnSync(hypervisorPath, ['-version'], { encoding: 'utf8', timeout: 10_000 });
    const match = /version\s+(\S+)(?:\s+\(([^)]*)\))?/.exec(res.stdout ?? '');
    if (res.status !== 0 || !match?.[1]) throw new VesselError('E_HYPERVISOR', `cannot read the version of ${hypervisorPath}: ${(res.stderr ?? '').trim() || 'no output'}`);
    const version = match[2] ? `${match[1]} (${match[2]})` : match[1];
    this.versions.set(hypervisorPath, version);
    return version;
  }
}
