import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VesselError } from '../../contract/index.js';
import { vmPathsIn, type HypervisorConfig, type HypervisorState, type VmPaths } from '../hypervisor.js';
import { resolveQemuBinary } from '../index.js';
import { QemuHypervisor } from './qemu.js';
import { findHostKernel, TEST_INIT_MARKER, writeTestInitrd } from './test-guest.js';

// Real QEMU under TCG with the host's Debian kernel and a tiny busybox initrd.
// /dev/kvm here cannot boot guests, so these tests always use TCG.

const kernel = findHostKernel();
const qemu = (() => {
  try {
    return resolveQemuBinary();
  } catch {
    return null;
  }
})();
const skipReason = qemu === null ? 'qemu-system-x86_64 is not installed' : kernel === null ? 'no /boot/vmlinuz-* kernel' : null;
if (skipReason) console.warn(`skipping QEMU integration tests: ${skipReason}`);

describe.skipIf(skipReason !== null)('QemuHypervisor with a real QEMU (TCG)', () => {
  const driver = new QemuHypervisor();
  let root = '';
  let initrd = '';
  let started: HypervisorState[] = [];
  let counter = 0;

  beforeAll(() => {
    root = mkdtempSync('/tmp/vessel-qemu-');
    initrd = `${root}/initrd.cpio`;
    writeTestInitrd(initrd);
  });

  afterEach(async () => {
    for (const state of started) await driver.stopVM(state, { force: true }).catch(() => undefined);
    started = [];
  });

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  function setup(overrides: Partial<HypervisorConfig> = {}): { config: HypervisorConfig; paths: VmPaths } {
    const id = `vm${++counter}`;
    return {
      paths: vmPathsIn(`${root}/${id}`),
      config: {
        sandboxId: id,
        hypervisorPath: qemu ?? '',
        machineType: 'q35',
        vcpus: 1,
        memoryMiB: 256,
        kernelPath: kernel ?? '',
        initrdPath: initrd,
        kernelParams: ['loglevel=4'],
        accel: 'tcg',
        ...overrides,
      },
    };
  }

  async function start(overrides: Partial<HypervisorConfig> = {}): Promise<HypervisorState> {
    const { config, paths } = setup(overrides);
    const state = await driver.startVM(config, paths);
    started.push(state);
    return state;
  }

  async function waitForConsole(state: HypervisorState, text: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const log = state.paths.consoleLog ?? '';
    for (;;) {
      const content = existsSync(log) ? readFileSync(log, 'utf8') : '';
      if (content.includes(text)) return content;
      if (Date.now() > deadline) throw new Error(`"${text}" not on the console within ${timeoutMs} ms; console:\n${content.slice(-2000)}`);
      await delay(250);
    }
  }

  function status(state: HypervisorState): Promise<string> {
    return driver.withQmp(state, async (qmp) => (await qmp.queryStatus()).status);
  }

  it('starts a q35 VM: the process is alive, QMP says running, sockets exist, the guest reaches init', async () => {
    const { config, paths } = setup();
    const progress: string[] = [];
    const state = await driver.startVM(config, paths, (phase, message) => progress.push(`${phase}: ${message}`));
    started.push(state);
    expect(state).toMatchObject({ type: 'qemu', accel: 'tcg', paths });
    expect(driver.isAlive(state)).toBe(true);
    expect(await status(state)).toBe('running');
    expect(readFileSync(`/proc/${state.pid}/cmdline`, 'utf8').split('\0')).toContain(`guest=${config.sandboxId},debug-threads=on`);
    for (const socket of [paths.qmpSocket, paths.consoleSocket, paths.agentSocket]) expect(existsSync(socket)).toBe(true);
    expect(progress.every((p) => p.startsWith('hypervisor: '))).toBe(true);
    expect(progress.at(-1)).toMatch(/QEMU running \(pid \d+\)/);
    await waitForConsole(state, TEST_INIT_MARKER, 90_000);
  });

  it('pause then resume: QMP reports paused, then running', async () => {
    const state = await start();
    await driver.pauseVM(state);
    expect(await status(state)).toBe('paused');
    expect(driver.isAlive(state)).toBe(true);
    await driver.resumeVM(state);
    expect(await status(state)).toBe('running');
  });

  it('watch() reports the VM dying within 2 s when QEMU is SIGKILLed', async () => {
    const state = await start();
    const exited = new Promise<{ reason: string; at: number }>((resolve) => {
      driver.watch(state, (reason) => resolve({ reason, at: Date.now() }));
    });
    const killedAt = Date.now();
    process.kill(state.pid, 'SIGKILL');
    const { reason, at } = await exited;
    expect(at - killedAt).toBeLessThan(2_000);
    expect(reason).toMatch(/QEMU process exited/);
    expect(driver.isAlive(state)).toBe(false);
  });

  it('a guest kernel panic ends the VM (-no-reboot, panic=1) and watch() says why', async () => {
    // No initrd: the kernel cannot mount a root filesystem and panics.
    const state = await start({ initrdPath: undefined, kernelParams: [] });
    const reason = await new Promise<string>((resolve) => driver.watch(state, resolve));
    expect(reason).toMatch(/the guest kernel panicked: .*VFS: Unable to mount root fs/);
    expect(driver.isAlive(state)).toBe(false);
  });

  it('graceful stopVM ends QEMU and leaves no process, sockets or pidfile', async () => {
    const state = await start();
    await driver.stopVM(state, { force: false });
    expect(driver.isAlive(state)).toBe(false);
    expect(existsSync(`/proc/${state.pid}`) && readFileSync(`/proc/${state.pid}/cmdline`, 'utf8').includes('qemu')).toBe(false);
    for (const file of [state.paths.qmpSocket, state.paths.consoleSocket, state.paths.agentSocket, state.paths.pidFile]) {
      expect(existsSync(file)).toBe(false);
    }
    expect(existsSync(state.paths.consoleLog ?? '')).toBe(true); // the console log is kept for post-mortems
  });

  it('forced stopVM kills QEMU at once', async () => {
    const state = await start();
    const t0 = Date.now();
    await driver.stopVM(state, { force: true });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(driver.isAlive(state)).toBe(false);
  });

  it('a pid whose start time does not match is not alive, and stopVM never signals it', async () => {
    const state = await start();
    const impostor: HypervisorState = { ...state, pidStartTime: state.pidStartTime + 1, paths: vmPathsIn(`${root}/impostor`) };
    expect(driver.isAlive(impostor)).toBe(false);
    await driver.stopVM(impostor, { force: true });
    expect(driver.isAlive(state)).toBe(true);
    await expect(driver.pauseVM(impostor)).rejects.toMatchObject({ code: 'E_INVALID_STATE' });
    expect(await status(state)).toBe('running');
  });

  it('surfaces QEMU’s own error when it refuses to start', async () => {
    const { config, paths } = setup({ initrdPath: `${root}/no-such-initrd` });
    const err = await driver.startVM(config, paths).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(VesselError);
    expect((err as VesselError).code).toBe('E_HYPERVISOR');
    expect((err as VesselError).message).toMatch(/QEMU failed to start \(exit 1\): .*no-such-initrd/);
  });

  it.each(['pc', 'microvm'] as const)('boots the %s machine type to init', async (machineType) => {
    const state = await start({ machineType });
    expect(await status(state)).toBe('running');
    await waitForConsole(state, TEST_INIT_MARKER, 90_000);
  });
});
