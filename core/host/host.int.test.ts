import { mkdtempSync, rmSync } from 'node:fs';
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

  it('reports QEMU, the devices and modules, and decides TCG with a reason after a real KVM probe', async () => {
    const report = await checkHost({ cacheDir, probeKernel: kernel ?? '' });
    console.log(JSON.stringify(report, null, 2));
    expect(HostReport.parse(report)).toEqual(report);
    expect(report.qemu).toMatchObject({ found: true, path: qemu });
    expect(report.qemu.version).toMatch(/^\d+\.\d+/);
    expect(report.kvm.device.present).toBe(true);
    expect(report.vsock.devicePresent).toBe(false);
    expect(report.iommu.groups).toBe(0);
    expect(report.accel.accel).toBe('tcg');
    expect(report.accel.kvmUsable).toBe(false);
    expect(report.accel.reason).toMatch(/^KVM probe: .*; using TCG$/);
    expect(report.accel.probe).toMatchObject({ ran: true, cached: false });
    expect(report.accel.probe.result?.durationMs).toBeLessThan(15_000);
    expect(report.checks.find((c) => c.name === 'acceleration')).toMatchObject({ status: 'warn' });
  });

  it('the second check uses the cached probe (once per host boot)', async () => {
    const t0 = Date.now();
    const report = await checkHost({ cacheDir, probeKernel: kernel ?? '' });
    expect(report.accel.probe.cached).toBe(true);
    expect(report.accel.accel).toBe('tcg');
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('resolveAccel: auto falls back to TCG, kvm is refused with the reason, tcg is taken as asked', async () => {
    const options = { cacheDir, kernelPath: kernel ?? '', qemuPath: qemu ?? '' };
    const auto = await resolveAccel('auto', options);
    expect(auto.accel).toBe('tcg');
    expect(auto.reason).toMatch(/KVM probe: .*using TCG/);
    await expect(resolveAccel('kvm', options)).rejects.toMatchObject({ code: 'E_UNSUPPORTED', message: expect.stringMatching(/KVM was requested but cannot boot guests on this host: KVM probe: /) as string });
    expect(await resolveAccel('tcg', options)).toEqual({ accel: 'tcg', reason: 'TCG requested' });
  });
});
