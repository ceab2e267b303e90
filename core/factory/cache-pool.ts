import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { toVesselError } from '../contract/index.js';
import { AgentClient } from '../agent/index.js';
import type { Hypervisor, HypervisorConfig, HypervisorState } from '../hypervisor/hypervisor.js';
import { vmPathsIn } from '../hypervisor/hypervisor.js';
import type { SnapshotDriver } from '../hypervisor/snapshot.js';
import { signalIfSame } from '../hypervisor/process.js';
import { isSameProcess } from '../util/proc.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { CachedVmRow } from './cache-proto.js';
import type { TemplateInfo } from './template.js';
import { warmUpClone } from './vm-factory.js';

/** A cached VM's record in its directory: what a reaper needs to kill it once the cache server is gone. */
export const VM_RECORD = 'vm.json';
const VmRecord = z.object({ pid: z.number().int().positive(), pidStartTime: z.number().int().nonnegative() });

export interface CachedVm {
  id: string;
  dir: string;
  state: HypervisorState;
  source: 'template' | 'direct';
  templateHash: string;
  createdAt: string;
  bootMs: number;
}

export interface VmCachePoolOptions {
  /** Where each cached VM gets its directory (vms/<id>/: sockets, logs, its shared dir). Must be on the store's filesystem: a VM handed out is moved into a sandbox's directory by rename. */
  vmsDir: string;
  /** The VM every cached VM is (the default sandbox's; sandboxId and sharedDir are set per VM). */
  config: HypervisorConfig;
  number: number;
  driver: Hypervisor;
  snapshot: SnapshotDriver;
  /** The template to clone from, looked up before each boot (null: boot directly). */
  template: () => TemplateInfo | null;
  bootTimeoutMs?: number;
  /** Called whenever the pool changes (the server writes its status file). */
  onChange?: () => void;
  log?: (message: string) => void;
}

/**
 * N pre-booted, paused VMs (Kata's VMCache), refilled one at a time as VMs
 * are taken. A failed boot is recorded and retried with a growing delay; it
 * never stops the pool.
 */
export class VmCachePool {
  private readonly ready: CachedVm[] = [];
  private booting: { id: string; startedAt: number; pid: number } | null = null;
  private readonly failures: string[] = [];
  private closed = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private wanted: number;

  constructor(private readonly options: VmCachePoolOptions) {
    this.wanted = options.number;
  }

  /** How many VMs the pool holds now (its configured size, or less under host memory pressure). */
  get target(): number {
    return this.wanted;
  }

  /** Hold n VMs from now on: extra ready VMs are stopped at once (the newest first), a smaller pool refills. */
  async setTarget(n: number): Promise<void> {
    this.wanted = Math.max(0, Math.floor(n));
    const extra = this.ready.splice(this.wanted);
    this.changed();
    this.wake?.();
    await Promise.all(extra.map(async (vm) => {
      this.options.log?.(`stopping cached VM ${vm.id}: the pool holds ${this.wanted} now`);
      await this.discard(vm);
    }));
  }

  private async discard(vm: CachedVm): Promise<void> {
    await this.options.driver.stopVM(vm.state, { force: true }).catch(() => undefined);
    rmSync(vm.dir, { recursive: true, force: true });
  }

  start(): void {
    mkdirSync(this.options.vmsDir, { recursive: true, mode: 0o700 });
    this.loop ??= this.fill();
  }

  /** Hand out the oldest ready VM; it is no longer the pool's (its record is removed first, so no reaper kills it). */
  take(): CachedVm | null {
    const vm = this.ready.shift() ?? null;
    if (vm) {
      rmSync(join(vm.dir, VM_RECORD), { force: true });
      this.changed();
      this.wake?.();
    }
    return vm;
  }

  rows(): CachedVmRow[] {
    const rows: CachedVmRow[] = this.ready.map((v) => ({ id: v.id, pid: v.state.pid, state: 'ready', source: v.source, createdAt: v.createdAt, bootMs: v.bootMs }));
    if (this.booting) rows.push({ id: this.booting.id, pid: this.booting.pid, state: 'booting', source: this.options.template() ? 'template' : 'direct', createdAt: new Date(this.booting.startedAt).toISOString(), bootMs: 0 });
    return rows;
  }

  recentFailures(): string[] {
    return [...this.failures];
  }

  /** Stop refilling and stop every VM still cached. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.loop?.catch(() => undefined);
    const left = this.ready.splice(0);
    await Promise.all(left.map((vm) => this.discard(vm)));
    this.changed();
  }

  private changed(): void {
    try {
      this.options.onChange?.();
    } catch {
      // status is best effort
    }
  }

  private async fill(): Promise<void> {
    let failuresInARow = 0;
    while (!this.closed) {
      if (this.ready.length >= this.wanted) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
        continue;
      }
      try {
        const vm = await this.bootOne();
        if (this.closed) {
          await this.discard(vm);
          break;
        }
        if (this.ready.length >= this.wanted) {
          // The pool was shrunk while this VM booted.
          this.options.log?.(`stopping cached VM ${vm.id} as it came up: the pool holds ${this.wanted} now`);
          await this.discard(vm);
          continue;
        }
        this.ready.push(vm);
        failuresInARow = 0;
        this.options.log?.(`cached VM ${vm.id} ready (${vm.source}, ${vm.bootMs} ms)`);
      } catch (err) {
        failuresInARow++;
        const message = `${new Date().toISOString()} boot of a cached VM failed (attempt ${failuresInARow}): ${toVesselError(err).message}`;
        this.failures.unshift(message);
        this.failures.splice(10);
        this.options.log?.(message);
        this.changed();
        // Retry, waiting longer after each failure in a row (1, 2, 4 … 30 s); close() cuts the wait short.
        await Promise.race([sleep(Math.min(30_000, 1000 * 2 ** (failuresInARow - 1))), new Promise<void>((resolve) => {
          this.wake = resolve;
        })]);
        this.wake = null;
      } finally {
        this.booting = null;
        this.changed();
      }
    }
  }

  private async bootOne(): Promise<CachedVm> {
    const id = randomBytes(4).toString('hex');
    const dir = join(this.options.vmsDir, id);
    const shared = join(dir, 'shared');
    mkdirSync(shared, { recursive: true, mode: 0o700 });
    const paths = vmPathsIn(dir);
    const started = Date.now();
    this.booting = { id, startedAt: started, pid: 0 };
    this.changed();
    const template = this.options.template();
    const base: HypervisorConfig = { ...this.options.config, sandboxId: `cache-${id}`, sharedDir: shared };
    const driver = this.options.driver;
    let vm: HypervisorState | null = null;
    try {
      if (template) {
        // A clone of the template (private copy-on-write mapping of its RAM).
        vm = await driver.startVM({ ...base, memoryBackend: { kind: 'file', path: template.memoryFile, shared: false }, incoming: true }, paths);
        await this.record(dir, vm);
        await this.options.snapshot.loadState(vm, template.stateFile, { ignoreShared: true });
        // Warmed, then paused again: the clone's first calls translate its code paths here, not on the request path.
        await driver.resumeVM(vm);
        const client = await AgentClient.connect({ kind: 'unix', path: paths.agentSocket }, { timeoutMs: this.options.bootTimeoutMs ?? 180_000 });
        try {
          await warmUpClone(client);
        } finally {
          client.close();
        }
        await driver.pauseVM(vm);
      } else {
        vm = await driver.startVM(base, paths);
        await this.record(dir, vm);
        // Ready is the agent answering (not a sleep); then paused until taken.
        const client = await AgentClient.connect({ kind: 'unix', path: paths.agentSocket }, { timeoutMs: this.options.bootTimeoutMs ?? 180_000 });
        client.close();
        await driver.pauseVM(vm);
      }
      return { id, dir, state: vm, source: template ? 'template' : 'direct', templateHash: template?.meta.hash ?? '', createdAt: new Date().toISOString(), bootMs: Date.now() - started };
    } catch (err) {
      if (vm) await driver.stopVM(vm, { force: true }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private async record(dir: string, vm: HypervisorState): Promise<void> {
    if (this.booting) this.booting.pid = vm.pid;
    await writeFileAtomic(join(dir, VM_RECORD), `${JSON.stringify({ pid: vm.pid, pidStartTime: vm.pidStartTime })}\n`);
  }
}

/**
 * Kill every VM left in a cache's vms/ directory and remove the directories:
 * what runs when the cache server is gone (killed, crashed). A VM is killed
 * only when its record's pid and start time still match, or when its pidfile
 * names a QEMU whose command line names that cached VM.
 */
export function reapCachedVms(vmsDir: string): number {
  let killed = 0;
  let names: string[] = [];
  try {
    names = readdirSync(vmsDir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const dir = join(vmsDir, name);
    try {
      const rec = VmRecord.parse(JSON.parse(readFileSync(join(dir, VM_RECORD), 'utf8')));
      if (isSameProcess(rec.pid, rec.pidStartTime) && signalIfSame(rec.pid, rec.pidStartTime, 'SIGKILL')) killed++;
    } catch {
      // no record (the boot had not got that far): the pidfile, checked against the command line
      try {
        const pid = Number(readFileSync(vmPathsIn(dir).pidFile, 'utf8').trim());
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        if (Number.isInteger(pid) && pid > 0 && cmdline.includes(`guest=cache-${name},debug-threads=on`)) {
          process.kill(pid, 'SIGKILL');
          killed++;
        }
      } catch {
        // nothing running
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return killed;
}
