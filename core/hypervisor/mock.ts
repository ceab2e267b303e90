import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { VesselError } from '../contract/index.js';
import { readProcStartTime } from '../util/proc.js';
import type { Hypervisor, HypervisorConfig, HypervisorState, ProgressFn, VmPaths } from './hypervisor.js';
import { signalIfSame, waitForExit, watchProcess } from './process.js';
import { validateVmRequest } from './qemu/cmdline.js';

export interface MockHypervisorOptions {
  /** Pretend boot time before startVM resolves. Default 0. */
  startDelayMs?: number;
  /** Make startVM fail with this error (after validation), to test error paths. */
  failStartWith?: VesselError;
  /** watch() poll interval. Default 100 ms. */
  watchIntervalMs?: number;
}

/**
 * A MOCK hypervisor for unit tests only: no VM, no guest.
 *
 * The "VM" is a real long-lived child process (`sleep infinity`), so the
 * process-level behaviour is real: isAlive/watch read /proc and check the
 * (pid, start time) pair, a kill from outside is noticed, pause is SIGSTOP
 * and resume SIGCONT (visible as state 'T' in /proc, across processes). It
 * validates its input like the QEMU driver (except the binary path), writes
 * the pidfile, and creates no sockets.
 */
export class MockHypervisor implements Hypervisor {
  readonly type = 'mock' as const;

  constructor(private readonly options: MockHypervisorOptions = {}) {}

  async startVM(config: HypervisorConfig, paths: VmPaths, onProgress?: ProgressFn): Promise<HypervisorState> {
    validateVmRequest(config, paths, { checkHypervisorPath: false });
    onProgress?.('hypervisor', 'starting mock VM (a sleep process; no guest)');
    if (this.options.startDelayMs) await delay(this.options.startDelayMs);
    if (this.options.failStartWith) throw this.options.failStartWith;
    mkdirSync(paths.runDir, { recursive: true, mode: 0o700 });
    const child = spawn('sleep', ['infinity'], { stdio: 'ignore', detached: true });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid ?? -1));
      child.once('error', (err) => reject(new VesselError('E_HYPERVISOR', `mock VM failed to start: ${err.message}`)));
    });
    child.unref();
    const startTime = readProcStartTime(pid);
    if (startTime === null) throw new VesselError('E_HYPERVISOR', 'mock VM exited right after starting');
    writeFileSync(paths.pidFile, `${pid}\n`);
    onProgress?.('hypervisor', `mock VM running (pid ${pid})`);
    return { type: 'mock', pid, pidStartTime: startTime, accel: config.accel, paths };
  }

  async stopVM(state: HypervisorState, options: { force: boolean }): Promise<void> {
    const { pid, pidStartTime } = state;
    if (!options.force) {
      signalIfSame(pid, pidStartTime, 'SIGTERM');
      signalIfSame(pid, pidStartTime, 'SIGCONT'); // a paused (stopped) process only dies once continued
    }
    if (options.force || !(await waitForExit(pid, pidStartTime, 2_000))) {
      signalIfSame(pid, pidStartTime, 'SIGKILL');
      await waitForExit(pid, pidStartTime, 2_000);
    }
    rmSync(state.paths.pidFile, { force: true });
  }

  async pauseVM(state: HypervisorState): Promise<void> {
    this.signal(state, 'SIGSTOP');
    // Signals are delivered asynchronously: resolve once the process is really stopped, as QMP's query-status would say.
    await this.waitForState(state.pid, (s) => s === 'T', 'stop');
  }

  async resumeVM(state: HypervisorState): Promise<void> {
    this.signal(state, 'SIGCONT');
    await this.waitForState(state.pid, (s) => s !== 'T', 'continue');
  }

  private async waitForState(pid: number, ok: (state: string) => boolean, what: string): Promise<void> {
    for (let i = 0; i < 200; i += 1) {
      let stat = '';
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        return; // gone: isAlive/watch report that
      }
      if (ok(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3))) return;
      await delay(5);
    }
    throw new VesselError('E_HYPERVISOR', `mock VM (pid ${pid}) did not ${what} within 1 s`);
  }

  isAlive(state: HypervisorState): boolean {
    return readProcStartTime(state.pid) === state.pidStartTime;
  }

  watch(state: HypervisorState, onExit: (reason: string) => void): () => void {
    return watchProcess(state.pid, state.pidStartTime, this.options.watchIntervalMs ?? 100, () => onExit('the mock VM process exited'));
  }

  private signal(state: HypervisorState, signal: NodeJS.Signals): void {
    if (!signalIfSame(state.pid, state.pidStartTime, signal)) {
      throw new VesselError('E_INVALID_STATE', `the VM is not running (mock pid ${state.pid} is gone)`);
    }
  }
}
