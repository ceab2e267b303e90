import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VesselError } from '../contract/index.js';
import { createHypervisor, MockHypervisor, QemuHypervisor, resolveQemuBinary } from './index.js';
import { assertQemuBinary, exitReasonFromConsole, readHostTscKhz } from './qemu/qemu.js';

function thrown(fn: () => unknown): VesselError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VesselError);
    return err as VesselError;
  }
  throw new Error('expected a VesselError');
}

describe('createHypervisor', () => {
  it('returns the QEMU and mock drivers', () => {
    expect(createHypervisor('qemu')).toBeInstanceOf(QemuHypervisor);
    expect(createHypervisor('qemu').type).toBe('qemu');
    expect(createHypervisor('mock')).toBeInstanceOf(MockHypervisor);
  });

  it.each(['firecracker', 'cloud-hypervisor'] as const)('%s is not implemented yet: E_UNSUPPORTED pointing to qemu', (type) => {
    const err = thrown(() => createHypervisor(type));
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.message).toBe(`the ${type} driver is not implemented yet; use qemu`);
  });
});

describe('resolveQemuBinary', () => {
  let dir = '';
  let fake = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vessel-bin-'));
    fake = join(dir, 'qemu-system-x86_64');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds qemu-system-x86_64 on PATH', () => {
    expect(resolveQemuBinary({ PATH: `/nonexistent:${dir}` })).toBe(fake);
  });

  it('VESSEL_QEMU overrides PATH', () => {
    expect(resolveQemuBinary({ PATH: '/usr/bin', VESSEL_QEMU: fake })).toBe(fake);
  });

  it('a VESSEL_QEMU that is not executable is a missing dependency', () => {
    chmodSync(fake, 0o644);
    const err = thrown(() => resolveQemuBinary({ VESSEL_QEMU: fake }));
    expect(err.code).toBe('E_MISSING_DEPENDENCY');
    expect(err.message).toMatch(/VESSEL_QEMU=.* is not an executable file/);
  });

  it('a relative VESSEL_QEMU is rejected', () => {
    expect(thrown(() => resolveQemuBinary({ VESSEL_QEMU: 'qemu' })).code).toBe('E_INVALID_ARGUMENT');
  });

  it('nothing on PATH: says what to install', () => {
    const err = thrown(() => resolveQemuBinary({ PATH: '/nonexistent' }));
    expect(err.code).toBe('E_MISSING_DEPENDENCY');
    expect(err.message).toBe('qemu-system-x86_64 not found: apt-get install qemu-system-x86');
  });

  it('assertQemuBinary names the package to install', () => {
    const err = thrown(() => assertQemuBinary('/nonexistent/qemu-system-x86_64'));
    expect(err.code).toBe('E_MISSING_DEPENDENCY');
    expect(err.message).toBe('qemu-system-x86_64 not found: apt-get install qemu-system-x86');
  });
});

describe('QemuHypervisor.startVM without QEMU', () => {
  it('fails with E_MISSING_DEPENDENCY before spawning anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vessel-noqemu-'));
    try {
      const err = await new QemuHypervisor().startVM({
        sandboxId: 'sb', hypervisorPath: '/nonexistent/qemu-system-x86_64', machineType: 'q35', vcpus: 1, memoryMiB: 256,
        kernelPath: '/boot/vmlinuz', kernelParams: [], accel: 'tcg',
      }, { runDir: dir, qmpSocket: `${dir}/q`, consoleSocket: `${dir}/c`, agentSocket: `${dir}/a`, pidFile: `${dir}/p`, logFile: `${dir}/l` }).then(() => null, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_MISSING_DEPENDENCY', message: 'qemu-system-x86_64 not found: apt-get install qemu-system-x86' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('exitReasonFromConsole', () => {
  it('names a kernel panic', () => {
    const tail = '[    1.9] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n[    1.9] CPU: 0 PID: 1\n';
    expect(exitReasonFromConsole(tail)).toBe('the guest kernel panicked: Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)');
  });
  it('names a reboot and a power-off', () => {
    expect(exitReasonFromConsole('[   12.0] reboot: Restarting system\n')).toMatch(/the guest rebooted/);
    expect(exitReasonFromConsole('[   12.0] reboot: Power down\n')).toBe('the guest powered off');
  });
  it('otherwise the process was killed or crashed', () => {
    expect(exitReasonFromConsole('')).toBe('the QEMU process exited (killed or crashed)');
  });
});

describe('readHostTscKhz', () => {
  it('prefers sysfs, falls back to cpu MHz, else unknown', () => {
    const root = mkdtempSync(join(tmpdir(), 'vessel-tsc-'));
    try {
      expect(readHostTscKhz(root)).toBeUndefined();
      mkdirSync(join(root, 'proc'));
      writeFileSync(join(root, 'proc/cpuinfo'), 'processor\t: 0\ncpu MHz\t\t: 2445.404\n');
      expect(readHostTscKhz(root)).toBe(2445404);
      mkdirSync(join(root, 'sys/devices/system/cpu/cpu0'), { recursive: true });
      writeFileSync(join(root, 'sys/devices/system/cpu/cpu0/tsc_freq_khz'), '2400000\n');
      expect(readHostTscKhz(root)).toBe(2400000);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
