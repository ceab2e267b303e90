import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveQemuBinary } from '../hypervisor/index.js';
import { findHostKernel } from '../hypervisor/qemu/test-guest.js';
import { checkHost, resolveAccel } from './check.js';
import { HostReport } from './report.js';

// The real host check, real KVM probe. On this machine /dev/kvm belongs to a
// nested hypervisor that cannot boot ordinary guests: the probe must say so
// and choose TCG.

const qemu = (() => {
  try {
    return resolveQemuBinary();
  } catch {
    return null;
  }
})();
const kernel = findHostKernel();

describe.skipIf(qemu === null || kernel === null)('checkHost on this machine', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'vessel-host-'));
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('reports QEMU, the devices and modules, and decides KVM only when a real probe boots a guest, else TCG with a reason', async () => {
    const report = await checkHost({ cacheDir, probeKernel: kernel ?? '' });
    console.log(JSON.stringify(report, null, 2));
    expect(HostReport.parse(report)).toEqual(report);
    expect(report.qemu).toMatchObject({ found: true, path: qemu });
    expect(report.qemu.version).toMatch(/^\d+\.\d+/);
    // Facts of whatever machine runs this, read independently of the code under test.
    expect(report.kvm.device.present).toBe(existsSync('/dev/kvm'));
    expect(report.vsock.devicePresent).toBe(existsSync('/dev/vhost-vsock'));
    const groups = existsSync('/sys/kernel/iommu_groups') ? readdirSync('/sys/kernel/iommu_groups').length : 0;
    expect(report.iommu.groups).toBe(groups);
    expect(report.accel.accel).toBe(report.accel.kvmUsable ? 'kvm' : 'tcg');
    if (!report.kvm.device.present) return; // no probe without /dev/kvm
    expect(report.accel.probe).toMatchObject({ ran: true, cached: false });
    expect(report.accel.probe.result?.durationMs).toBeLessThan(15_000);
    if (!report.accel.kvmUsable) {
      // This project's machines: /dev/kvm exists but cannot boot ordinary guests.
      expect(report.accel.reason).toMatch(/^KVM probe: .*; using TCG$/);
      expect(report.checks.find((c) => c.name === 'acceleration')).toMatchObject({ status: 'warn' });
    }
  });

  it('the second check uses the cached probe (once per host boot)', async () => {
    const t0 = Date.now();
    const report = await checkHost({ cacheDir, probeKernel: kernel ?? '' });
    if (report.kvm.device.present) expect(report.accel.probe.cached).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('resolveAccel: auto follows the probe, kvm is refused with the reason where it fails, tcg is taken as asked', async () => {
    const options = { cacheDir, kernelPath: kernel ?? '', qemuPath: qemu ?? '' };
    const auto = await resolveAccel('auto', options);
    if (auto.accel === 'kvm') return; // a host where KVM really boots guests: nothing to refuse
    expect(auto.accel).toBe('tcg');
    expect(auto.reason).toMatch(/KVM probe: .*using TCG/);
    await expect(resolveAccel('kvm', options)).rejects.toMatchObject({ code: 'E_UNSUPPORTED', message: expect.stringMatching(/KVM was requested but cannot boot guests on this host: KVM probe: /) as string });
    expect(await resolveAccel('tcg', options)).toEqual({ accel: 'tcg', reason: 'TCG requested' });
  });
});
