import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VesselError } from '../contract/index.js';
import { vmPathsIn, type HypervisorConfig, type HypervisorState } from './hypervisor.js';
import { MockHypervisor } from './mock.js';

// The mock hypervisor (no VM: a sleep process stands in for QEMU).

function procState(pid: number): string | undefined {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

describe('MockHypervisor (mock: a sleep process instead of a VM)', () => {
  let dir = '';
  const states: HypervisorState[] = [];
  const driver = new MockHypervisor({ watchIntervalMs: 50 });
  const config: HypervisorConfig = {
    sandboxId: 'mock1', hypervisorPath: 'mock', machineType: 'q35', vcpus: 1, memoryMiB: 128,
    kernelPath: '/dev/null', kernelParams: [], accel: 'tcg',
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vessel-mock-'));
  });
  afterEach(async () => {
    for (const s of states.splice(0)) await driver.stopVM(s, { force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<HypervisorState> {
    const state = await driver.startVM(config, vmPathsIn(join(dir, 'run')));
    states.push(state);
    return state;
  }

  it('start → alive with a pidfile; stop → gone', async () => {
    const state = await start();
    expect(state.type).toBe('mock');
    expect(driver.isAlive(state)).toBe(true);
    expect(readFileSync(state.paths.pidFile, 'utf8').trim()).toBe(String(state.pid));
    await driver.stopVM(state, { force: false });
    expect(driver.isAlive(state)).toBe(false);
  });

  it('pause stops the process and resume continues it', async () => {
    const state = await start();
    await driver.pauseVM(state);
    expect(procState(state.pid)).toBe('T');
    await driver.resumeVM(state);
    expect(procState(state.pid)).not.toBe('T');
    await driver.pauseVM(state);
    await driver.stopVM(state, { force: false }); // a paused mock VM still stops gracefully
    expect(driver.isAlive(state)).toBe(false);
  });

  it('watch reports a kill from outside', async () => {
    const state = await start();
    const reason = new Promise<string>((resolve) => driver.watch(state, resolve));
    process.kill(state.pid, 'SIGKILL');
    expect(await reason).toBe('the mock VM process exited');
  });

  it('a different start time is not our process', async () => {
    const state = await start();
    expect(driver.isAlive({ ...state, pidStartTime: state.pidStartTime - 1 })).toBe(false);
    await expect(driver.pauseVM({ ...state, pidStartTime: state.pidStartTime - 1 })).rejects.toMatchObject({ code: 'E_INVALID_STATE' });
  });

  it('validates its input like the real driver', async () => {
    await expect(driver.startVM({ ...config, vcpus: 0 }, vmPathsIn(join(dir, 'run')))).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });

  it('can be told to fail', async () => {
    const failing = new MockHypervisor({ failStartWith: new VesselError('E_HYPERVISOR', 'boom') });
    await expect(failing.startVM(config, vmPathsIn(join(dir, 'run')))).rejects.toMatchObject({ code: 'E_HYPERVISOR', message: 'boom' });
  });
});
