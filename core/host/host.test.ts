import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkHost, decideAccel, resolveAccel } from './check.js';
import { findLateBootMarker, parseCpuFlags, parseQemuVersion, probeCacheKeyString } from './parse.js';
import { PROBE_CACHE_FILE, readProbeCache, runKvmProbe, writeProbeCache } from './probe.js';
import { HostReport, type KvmProbeResult, type ProbeCacheKey } from './report.js';

const CPUINFO = `processor\t: 0
vendor_id\t: GenuineIntel
flags\t\t: fpu vme de pse tsc msr pae vmx sse2 hypervisor
bugs\t\t: spectre_v1

processor\t: 1
flags\t\t: fpu vme de pse tsc msr pae vmx sse2 hypervisor
`;

describe('parsing', () => {
  it('reads CPU flags from /proc/cpuinfo', () => {
    const flags = parseCpuFlags(CPUINFO);
    expect(flags.has('vmx')).toBe(true);
    expect(flags.has('svm')).toBe(false);
    expect(flags.has('hypervisor')).toBe(true);
    expect(parseCpuFlags('processor : 0\n').size).toBe(0);
    expect(parseCpuFlags('flags\t\t: svm lm\n').has('svm')).toBe(true);
  });

  it('reads the QEMU version line', () => {
    expect(parseQemuVersion('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 Fabrice Bellard\n'))
      .toEqual({ version: '7.2.22', package: 'Debian 1:7.2+dfsg-7+deb12u18+b3' });
    expect(parseQemuVersion('QEMU emulator version 8.2.0\n')).toEqual({ version: '8.2.0', package: null });
    expect(parseQemuVersion('bash: qemu: command not found')).toBeNull();
  });

  it('finds late-boot markers on a serial console', () => {
    expect(findLateBootMarker('[    1.96] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n'))
      .toBe('VFS: Unable to mount root fs on unknown-block(0,0)');
    expect(findLateBootMarker('[    0.80] Run /init as init process\n')).toBe('Run /init as init process');
    expect(findLateBootMarker('[    0.00] Linux version 6.1.0\n[    0.01] Command line: console=ttyS0\n')).toBeNull();
  });
});

const result = (overrides: Partial<KvmProbeResult> = {}): KvmProbeResult => ({
  usable: false, reason: 'KVM probe: hangs', marker: null, durationMs: 8000,
  kernel: '/boot/vmlinuz', qemuPath: '/usr/bin/qemu-system-x86_64', qemuVersion: 'QEMU emulator version 7.2.22', at: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

describe('probe cache', () => {
  let dir = '';
  const key: ProbeCacheKey = { bootId: 'boot-1', kernel: '/boot/vmlinuz', qemuPath: '/usr/bin/qemu-system-x86_64', qemuVersion: 'QEMU emulator version 7.2.22' };
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'vessel-cache-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is keyed by boot ID, kernel, QEMU path and version', () => {
    writeProbeCache(dir, key, result());
    expect(readProbeCache(dir, key)).toEqual(result());
    expect(readProbeCache(dir, { ...key, bootId: 'boot-2' })).toBeNull();
    expect(readProbeCache(dir, { ...key, kernel: '/other/vmlinuz' })).toBeNull();
    expect(readProbeCache(dir, { ...key, qemuVersion: 'QEMU emulator version 8.0.0' })).toBeNull();
    expect(probeCacheKeyString(key)).toBe(probeCacheKeyString({ qemuVersion: key.qemuVersion, qemuPath: key.qemuPath, kernel: key.kernel, bootId: key.bootId }));
  });

  it('keeps other kernels of this boot and drops earlier boots', () => {
    writeProbeCache(dir, key, result());
    writeProbeCache(dir, { ...key, kernel: '/k2' }, result({ kernel: '/k2' }));
    writeProbeCache(dir, { ...key, bootId: 'boot-2' }, result({ usable: true }));
    expect(readProbeCache(dir, key)).toBeNull();
    expect(readProbeCache(dir, { ...key, bootId: 'boot-2' })?.usable).toBe(true);
    writeProbeCache(dir, { ...key, bootId: 'boot-2', kernel: '/k2' }, result());
    writeProbeCache(dir, { ...key, bootId: 'boot-2', kernel: '/k2' }, result({ reason: 'again' }));
    const file = JSON.parse(readFileSync(join(dir, PROBE_CACHE_FILE), 'utf8')) as { entries: unknown[] };
    expect(file.entries).toHaveLength(2);
  });

  it('treats a corrupt or foreign cache file as a miss', () => {
    writeFileSync(join(dir, PROBE_CACHE_FILE), '{"schemaVersion": 1, "entries": [{"key": 42}]}');
    expect(readProbeCache(dir, key)).toBeNull();
    writeFileSync(join(dir, PROBE_CACHE_FILE), 'not json');
    expect(readProbeCache(dir, key)).toBeNull();
    writeProbeCache(dir, key, result()); // and is replaced on the next write
    expect(readProbeCache(dir, key)).toEqual(result());
  });
});

// Fake QEMU binaries (shell scripts) stand in for a host whose KVM works,
// hangs, or fails: this host's KVM cannot show the first case.
function fakeQemu(dir: string, name: string, probeBehaviour: string): string {
  const path = join(dir, name);
  writeFileSync(path, [
    '#!/bin/sh',
    'if [ "$1" = "--version" ]; then echo "QEMU emulator version 9.1.0 (fake)"; exit 0; fi',
    probeBehaviour,
    '',
  ].join('\n'));
  chmodSync(path, 0o755);
  return path;
}

const BOOTS = 'echo "[    0.40] Linux version 6.1.0"; echo "[    0.90] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"; exec sleep 30';
const HANGS = 'echo "[    0.00] Linux version 6.1.0"; exec sleep 30';
const FAILS = 'echo "qemu-system-x86_64: warning: host doesn\'t support requested feature" >&2; echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69" >&2; exit 1';

describe('runKvmProbe (fake QEMU binaries)', () => {
  let dir = '';
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'vessel-probe-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const probe = (behaviour: string, timeoutMs = 1_500): Promise<KvmProbeResult> =>
    runKvmProbe({ qemuPath: fakeQemu(dir, 'qemu', behaviour), qemuVersion: 'fake', kernelPath: '/boot/vmlinuz', timeoutMs });

  it('a guest that reaches late boot proves KVM', async () => {
    const r = await probe(BOOTS);
    expect(r.usable).toBe(true);
    expect(r.marker).toBe('VFS: Unable to mount root fs on unknown-block(0,0)');
    expect(r.reason).toMatch(/^KVM probe: guest kernel booted under KVM in \d+\.\d s/);
  });

  it('a guest that hangs is killed at the timeout and KVM is not usable', async () => {
    const t0 = Date.now();
    const r = await probe(HANGS, 700);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(r.usable).toBe(false);
    expect(r.reason).toBe('KVM probe: guest kernel did not reach init within 0.7 s under KVM (hangs after starting to boot)');
  });

  it('QEMU failing under KVM reports its error, not its warnings', async () => {
    const r = await probe(FAILS);
    expect(r.usable).toBe(false);
    expect(r.reason).toBe('KVM probe: QEMU failed under KVM (exit 1): qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69');
  });
});

describe('checkHost / resolveAccel on a fixture host (fake /proc, /sys, /dev; fake QEMU)', () => {
  let root = '';
  let cacheDir = '';
  let guestDir = '';
  let kernel = '';
  const put = (path: string, content = ''): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'vessel-hostfix-'));
    cacheDir = join(root, 'cache');
    guestDir = join(root, 'guest');
    put('proc/cpuinfo', CPUINFO);
    put('proc/sys/kernel/random/boot_id', 'b0b0-1\n');
    for (const m of ['kvm', 'kvm_intel', 'vhost', 'vhost_net']) mkdirSync(join(root, 'sys/module', m), { recursive: true });
    mkdirSync(join(root, 'sys/kernel/iommu_groups/0'), { recursive: true });
    put('dev/kvm');
    kernel = join(root, 'boot/vmlinuz-test');
    put('boot/vmlinuz-test', 'kernel');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function writeGuest(): void {
    mkdirSync(guestDir, { recursive: true });
    writeFileSync(join(guestDir, 'vmlinuz'), 'k');
    writeFileSync(join(guestDir, 'initrd.img'), 'i');
    writeFileSync(join(guestDir, 'manifest.json'), JSON.stringify({
      schemaVersion: 1, kernelRelease: '6.1.0-test', kernel: 'vmlinuz', initrd: 'initrd.img', initrdCompression: 'none',
      kernelParams: ['console=ttyS0'], agentPortName: 'vessel.agent', agentVersion: '0.1.0', inputsHash: 'a'.repeat(64),
      builtAt: '2026-01-01T00:00:00Z', sizeBytes: 2,
    }));
  }

  it('a host whose KVM boots guests: KVM, every check ok or warn, cached afterwards', async () => {
    writeGuest();
    const qemuPath = fakeQemu(root, 'qemu-system-x86_64', BOOTS);
    const report = await checkHost({ root, cacheDir, guestDir, qemuPath });
    expect(HostReport.parse(report)).toEqual(report);
    expect(report.qemu).toMatchObject({ found: true, version: '9.1.0', package: 'fake' });
    expect(report.guest).toMatchObject({ found: true, kernelRelease: '6.1.0-test', kernel: join(guestDir, 'vmlinuz'), kernelParams: ['console=ttyS0'] });
    expect(report.kvm).toEqual({
      device: { present: true, readWrite: true, error: null },
      cpu: { vmx: true, svm: false, nested: true },
      modules: { kvm: true, kvm_intel: true, kvm_amd: false },
    });
    expect(report.vsock.devicePresent).toBe(false);
    expect(report.iommu.groups).toBe(1);
    expect(report.accel).toMatchObject({ accel: 'kvm', kvmUsable: true, probe: { ran: true, cached: false } });
    expect(report.accel.probe.result?.kernel).toBe(join(guestDir, 'vmlinuz')); // probes the guest's own kernel
    expect(report.ok).toBe(true);
    expect(Object.fromEntries(report.checks.map((c) => [c.name, c.status]))).toEqual({
      qemu: 'ok', 'guest image': 'ok', '/dev/kvm': 'ok', 'CPU virtualization': 'ok', 'KVM modules': 'ok',
      'vhost modules': 'warn', vsock: 'warn', IOMMU: 'ok', acceleration: 'ok', 'VM templates': 'ok',
      // The fixture has no CNI plugins: as root the default network is unavailable; otherwise user-mode.
      network: process.getuid?.() === 0 ? 'warn' : 'ok', 'user-mode network': 'ok',
      // Image tools are looked up on the real host (core/host/image-tools.ts), not in the fixture root.
      umoci: existsSync('/usr/bin/umoci') ? 'ok' : 'warn', skopeo: existsSync('/usr/bin/skopeo') ? 'ok' : 'warn', 'rootfs transport': 'ok',
    });
    // No passt in the fixture root: user mode says it falls back to slirp, and why.
    expect(report.checks.find((c) => c.name === 'user-mode network')?.detail).toMatch(/uses QEMU slirp: passt is not installed/);
    const again = await checkHost({ root, cacheDir, guestDir, qemuPath });
    expect(again.accel.probe.cached).toBe(true);
    expect(await resolveAccel('kvm', { root, cacheDir, kernelPath: join(guestDir, 'vmlinuz'), qemuPath })).toMatchObject({ accel: 'kvm' });
  });

  it('no guest image: the check fails and says to build it', async () => {
    const report = await checkHost({ root, cacheDir, guestDir, qemuPath: fakeQemu(root, 'qemu', HANGS), probeTimeoutMs: 300, probeKernel: kernel });
    expect(report.guest.found).toBe(false);
    expect(report.guest.error).toBe(`no guest image at ${guestDir}: run npm run build:guest`);
    expect(report.checks.find((c) => c.name === 'guest image')?.status).toBe('fail');
    expect(report.ok).toBe(false);
  });

  it('a malformed manifest is reported, not thrown', async () => {
    mkdirSync(guestDir, { recursive: true });
    writeFileSync(join(guestDir, 'manifest.json'), '{"schemaVersion": 1}');
    const report = await checkHost({ root, cacheDir, guestDir, qemuPath: fakeQemu(root, 'qemu', HANGS), probeTimeoutMs: 300, probeKernel: kernel });
    expect(report.guest.error).toMatch(/manifest\.json is malformed .*: run npm run build:guest/);
  });

  it('no QEMU: fails with the package to install, and TCG without probing', async () => {
    const report = await checkHost({ root, cacheDir, guestDir, env: { PATH: join(root, 'nothing') }, probeKernel: kernel });
    expect(report.qemu).toMatchObject({ found: false, error: 'qemu-system-x86_64 not found: apt-get install qemu-system-x86' });
    expect(report.accel).toMatchObject({ accel: 'tcg', probe: { ran: false } });
    expect(report.ok).toBe(false);
  });

  it('a hanging KVM: auto → TCG with the reason; kvm → E_UNSUPPORTED; the result is cached', async () => {
    const qemuPath = fakeQemu(root, 'qemu', HANGS);
    const options = { root, cacheDir, kernelPath: kernel, qemuPath, probeTimeoutMs: 500 };
    const auto = await resolveAccel('auto', options);
    expect(auto).toEqual({ accel: 'tcg', reason: 'KVM probe: guest kernel did not reach init within 0.5 s under KVM (hangs after starting to boot); using TCG' });
    const t0 = Date.now();
    await expect(resolveAccel('kvm', options)).rejects.toMatchObject({
      code: 'E_UNSUPPORTED',
      message: 'KVM was requested but cannot boot guests on this host: KVM probe: guest kernel did not reach init within 0.5 s under KVM (hangs after starting to boot). Use --accel tcg or auto.',
    });
    expect(Date.now() - t0).toBeLessThan(400); // cached: no second probe
  });

  it('no /dev/kvm, or one that cannot be opened: TCG without booting anything', async () => {
    rmSync(join(root, 'dev/kvm'));
    const qemuPath = fakeQemu(root, 'qemu', BOOTS);
    expect(await decideAccel({ root, cacheDir, kernelPath: kernel, qemuPath })).toMatchObject({
      accel: 'tcg', reason: expect.stringMatching(/^\/dev\/kvm is not present/) as string, probe: { ran: false },
    });
  });

  it('concurrent decisions share one probe', async () => {
    const counter = join(root, 'runs');
    const qemuPath = fakeQemu(root, 'qemu', `echo run >> ${counter}; ${BOOTS}`);
    const options = { root, kernelPath: kernel, qemuPath };
    const [a, b] = await Promise.all([decideAccel(options), decideAccel(options)]);
    expect(a.accel).toBe('kvm');
    expect(b.accel).toBe('kvm');
    expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
