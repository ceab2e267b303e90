import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { VesselError, toVesselError } from '../../contract/index.js';
import { readTail } from '../../util/file.js';
import { readProcStartTime } from '../../util/proc.js';
import { consoleLogPath, type Hypervisor, type HypervisorConfig, type HypervisorState, type NicHotplug, type NicHotplugRequest, type ResourceHotplug, type UserHostForward, type UserNetForwards, type ProgressFn, type VmPaths } from '../hypervisor.js';
import { signalIfSame, waitForExit, watchProcess } from '../process.js';
import { buildQemuArgs, validateVmRequest, type HostFacts } from './cmdline.js';
import { QmpClient, type QmpStatusInfo } from './qmp.js';
import { tapsToOpen } from './net-args.js';
import { tapHelperPath, wrapInNetns } from './tapfd.js';
import { hotplugNic, unplugNic } from './nic-hotplug.js';
import { addUserForward, removeUserForward } from './user-forwards.js';
import { QemuDeviceDriver } from './hotplug.js';
import { bootMemoryMiB, hotAddedMemoryMiB, hotAddMemory, hotAddVcpus } from './resource-hotplug.js';

export const QEMU_INSTALL_HINT = 'apt-get install qemu-system-x86';

export interface QemuHypervisorOptions {
  /** How long the launching process may take to daemonize (QEMU set up, sockets bound). Default 30 s. */
  launchTimeoutMs?: number;
  /** QMP connect + greeting. Default 5 s. */
  qmpTimeoutMs?: number;
  /** Graceful stop: how long to wait for QEMU to exit after `quit` before SIGKILL. Default 5 s. */
  stopTimeoutMs?: number;
  /** watch() poll interval. Default 250 ms. */
  watchIntervalMs?: number;
}

/** Fail early, with the fix, when the QEMU binary is missing or not executable. */
export function assertQemuBinary(path: string): void {
  try {
    accessSync(path, fsConstants.X_OK);
    if (!statSync(path).isFile()) throw new Error('not a file');
  } catch {
    throw new VesselError('E_MISSING_DEPENDENCY', `${basename(path) || path} not found: ${QEMU_INSTALL_HINT}`, { path });
  }
}

/**
 * Why a VM went away, from what the guest printed last: a kernel panic, a
 * reboot or power-off (both end QEMU: -no-reboot), or nothing (killed/crashed).
 */
export function exitReasonFromConsole(consoleTail: string): string {
  const lines = consoleTail.split(/\r?\n/);
  const panic = lines.find((l) => l.includes('Kernel panic - not syncing'));
  if (panic) return `the guest kernel panicked: ${panic.replace(/^\[[^\]]*\]\s*/, '').trim()}`;
  if (lines.some((l) => l.includes('reboot: Power down'))) return 'the guest powered off';
  if (lines.some((l) => /reboot: Restarting system|reboot: machine restart/.test(l))) return 'the guest rebooted (QEMU runs with -no-reboot, so a reboot ends the VM)';
  return 'the QEMU process exited (killed or crashed)';
}

/**
 * The host's TSC rate in kHz, or undefined: sysfs where the kernel exposes it,
 * else the first "cpu MHz" in /proc/cpuinfo (the TSC rate on hosts with a
 * constant TSC, which is every host TCG microvm guests are worth running on).
 */
export function readHostTscKhz(root = '/'): number | undefined {
  try {
    const khz = Number.parseInt(readFileSync(join(root, 'sys/devices/system/cpu/cpu0/tsc_freq_khz'), 'utf8').trim(), 10);
    if (Number.isInteger(khz) && khz > 0) return khz;
  } catch {
    // not exposed by this kernel
  }
  try {
    const match = /^cpu MHz\s*:\s*([\d.]+)/m.exec(readFileSync(join(root, 'proc/cpuinfo'), 'utf8'));
    const khz = match?.[1] ? Math.round(Number(match[1]) * 1000) : NaN;
    return Number.isInteger(khz) && khz > 0 ? khz : undefined;
  } catch {
    return undefined;
  }
}

function removeRuntimeFiles(paths: VmPaths): void {
  for (const file of [paths.qmpSocket, paths.consoleSocket, paths.agentSocket, ...(paths.ioSocket ? [paths.ioSocket] : []), paths.pidFile]) {
    rmSync(file, { force: true });
  }
}

function readPidFile(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

interface LaunchResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Run the launching QEMU process until it daemonizes (exits), collecting its output. */
function launch(binary: string, args: string[], cwd: string, timeoutMs: number): Promise<LaunchResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const collect = (chunk: Buffer): void => {
      if (output.length < 64 * 1024) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new VesselError('E_TIMEOUT', `QEMU did not finish starting within ${timeoutMs} ms${output ? `: ${output.trim()}` : ''}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new VesselError('E_HYPERVISOR', `cannot run ${binary}: ${err.message}`, undefined, { cause: err }));
    });
    // 'close' waits for the pipes too, so late stderr is not lost. The daemon
    // points its stdio at /dev/null before the parent exits, so it comes promptly.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

/** The QEMU driver: one daemonized qemu-system-x86_64 per sandbox, driven over QMP. */
export class QemuHypervisor implements Hypervisor, NicHotplug, ResourceHotplug, UserNetForwards {
  readonly type = 'qemu' as const;
  private readonly launchTimeoutMs: number;
  private readonly qmpTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private readonly watchIntervalMs: number;
  /** Hot plug over QMP: root ports, device_add/device_del, blockdev-add/del (hotplug.ts). */
  readonly devices = new QemuDeviceDriver((vm, fn) => this.withQmp(vm, fn));

  constructor(options: QemuHypervisorOptions = {}) {
    this.launchTimeoutMs = options.launchTimeoutMs ?? 30_000;
    this.qmpTimeoutMs = options.qmpTimeoutMs ?? 5_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
    this.watchIntervalMs = options.watchIntervalMs ?? 250;
  }

  async startVM(config: HypervisorConfig, paths: VmPaths, onProgress?: ProgressFn): Promise<HypervisorState> {
    validateVmRequest(config, paths);
    assertQemuBinary(config.hypervisorPath);
    const host: HostFacts = {};
    if (config.machineType === 'microvm' && config.accel === 'tcg') {
      const tscKhz = readHostTscKhz();
      if (tscKhz !== undefined) host.tscKhz = tscKhz;
    }
    if (config.imagePath !== undefined && (config.imageDevice ?? 'virtio-blk') !== 'virtio-blk') {
      try {
        host.imageBytes = statSync(config.imagePath).size;
      } catch {
        throw new VesselError('E_NOT_FOUND', `root image ${config.imagePath} not found: run npm run build:guest`, { imagePath: config.imagePath });
      }
    }
    const args = buildQemuArgs(config, paths, host);
    mkdirSync(paths.runDir, { recursive: true, mode: 0o700 });
    // The pidfile is left alone: QEMU locks it, so a second QEMU on the same
    // run dir fails loudly instead of stealing the first one's sockets.
    onProgress?.('hypervisor', `launching ${basename(config.hypervisorPath)} (${config.machineType}, ${config.accel}, ${config.vcpus} vCPU, ${config.memoryMiB} MiB)`);
    // With networking, QEMU starts inside the sandbox's namespace with its taps already open (tapfd.ts).
    const command = config.network?.netnsPath || tapsToOpen(config.network).length
      ? wrapInNetns(tapHelperPath(), config.network?.netnsPath, tapsToOpen(config.network), config.hypervisorPath, args)
      : { file: config.hypervisorPath, args };
    const result = await launch(command.file, command.args, paths.runDir, this.launchTimeoutMs);
    if (result.code !== 0) {
      const why = result.output.trim() || readTail(paths.logFile, 2048).trim() || (result.signal ? `killed by ${result.signal}` : 'no output');
      throw new VesselError('E_HYPERVISOR', `QEMU failed to start (exit ${result.code ?? result.signal ?? '?'}): ${why}`, {
        exitCode: result.code,
        output: result.output,
        args,
      });
    }
    const pid = readPidFile(paths.pidFile);
    const startTime = pid === null ? null : readProcStartTime(pid);
    if (pid === null || startTime === null) {
      const tail = readTail(consoleLogPath(paths), 2048).trim();
      throw new VesselError('E_HYPERVISOR', `QEMU exited right after starting${pid === null ? ' (no pidfile)' : ` (pid ${pid})`}${tail ? `; console: ${tail.slice(-500)}` : ''}`);
    }
    const state: HypervisorState = { type: 'qemu', pid, pidStartTime: startTime, accel: config.accel, paths, ...(config.viommu ? { viommu: true } : {}) };
    try {
      const status = await this.withQmp(state, (qmp) => qmp.queryStatus());
      // An incoming VM waits, paused, for its migration stream (the factory's restore path).
      if (!status.running && !config.incoming) {
        throw new VesselError('E_HYPERVISOR', `QEMU started but the VM is not running (status: ${status.status})`);
      }
    } catch (err) {
      await this.stopVM(state, { force: true }).catch(() => undefined);
      throw toVesselError(err, 'E_HYPERVISOR');
    }
    onProgress?.('hypervisor', `QEMU running (pid ${pid}); QMP answers; guest booting under ${config.accel.toUpperCase()}`);
    return state;
  }

  async stopVM(state: HypervisorState, options: { force: boolean }): Promise<void> {
    const { pid, pidStartTime: startTime } = state;
    if (this.isAlive(state)) {
      let gone = false;
      if (!options.force) {
        try {
          await this.withQmp(state, (qmp) => qmp.quit());
        } catch {
          // Monitor busy or broken: QEMU also shuts down cleanly on SIGTERM.
          signalIfSame(pid, startTime, 'SIGTERM');
        }
        gone = await waitForExit(pid, startTime, this.stopTimeoutMs);
      }
      if (!gone) {
        signalIfSame(pid, startTime, 'SIGKILL');
        if (!(await waitForExit(pid, startTime, 5_000))) {
          throw new VesselError('E_HYPERVISOR', `QEMU (pid ${pid}) did not exit after SIGKILL`, { pid });
        }
      }
    }
    removeRuntimeFiles(state.paths);
  }

  async pauseVM(state: HypervisorState): Promise<void> {
    const status = await this.withQmp(state, async (qmp) => {
      await qmp.stop();
      return qmp.queryStatus();
    });
    expectStatus(status, 'paused', 'pause');
  }

  async resumeVM(state: HypervisorState): Promise<void> {
    const status = await this.withQmp(state, async (qmp) => {
      await qmp.cont();
      return qmp.queryStatus();
    });
    expectStatus(status, 'running', 'resume');
  }

  isAlive(state: HypervisorState): boolean {
    return readProcStartTime(state.pid) === state.pidStartTime;
  }

  watch(state: HypervisorState, onExit: (reason: string) => void): () => void {
    return watchProcess(state.pid, state.pidStartTime, this.watchIntervalMs, () => {
      onExit(exitReasonFromConsole(readTail(consoleLogPath(state.paths))));
    });
  }

  /** vCPU and memory hot add (resource-hotplug.ts); the guest onlines them afterwards. */
  resizeVM(state: HypervisorState, target: { vcpus: number; memoryMiB: number }): Promise<{ addedVcpus: number; addedMemoryMiB: number }> {
    return this.withQmp(state, async (qmp) => {
      const addedVcpus = await hotAddVcpus(qmp, target.vcpus);
      const have = await bootMemoryMiB(qmp) + await hotAddedMemoryMiB(qmp);
      const addedMemoryMiB = target.memoryMiB > have ? target.memoryMiB - have : 0;
      if (addedMemoryMiB > 0) await hotAddMemory(qmp, addedMemoryMiB);
      return { addedVcpus, addedMemoryMiB };
    });
  }

  hotplugNic(state: HypervisorState, nic: NicHotplugRequest, onProgress?: ProgressFn): Promise<void> {
    return hotplugNic(this, state, nic, onProgress);
  }

  unplugNic(state: HypervisorState, id: string, timeoutMs = 30_000): Promise<void> {
    return unplugNic(this, state, id, timeoutMs);
  }

  addUserForward(state: HypervisorState, nicId: string, forward: UserHostForward): Promise<void> {
    return addUserForward(this, state, nicId, forward);
  }

  removeUserForward(state: HypervisorState, nicId: string, forward: UserHostForward): Promise<void> {
    return removeUserForward(this, state, nicId, forward);
  }

  /**
   * Run `fn` with a QMP session to this VM, closing it afterwards. QEMU serves
   * one QMP client at a time, so sessions are short. The way in for later
   * features (hotplug: device_add, blockdev-add, query-pci…).
   */
  async withQmp<T>(state: HypervisorState, fn: (qmp: QmpClient) => Promise<T>): Promise<T> {
    if (!this.isAlive(state)) {
      throw new VesselError('E_INVALID_STATE', `the VM is not running (QEMU pid ${state.pid} is gone)`, { pid: state.pid });
    }
    const qmp = await QmpClient.connect(state.paths.qmpSocket, { timeoutMs: this.qmpTimeoutMs });
    try {
      return await fn(qmp);
    } finally {
      qmp.close();
    }
  }
}

function expectStatus(status: QmpStatusInfo, expected: string, verb: string): void {
  if (status.status !== expected) {
    throw new VesselError('E_HYPERVISOR', `cannot ${verb} the VM: QEMU reports "${status.status}", expected "${expected}"`, { status: status.status });
  }
}
