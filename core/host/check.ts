import { spawn } from 'node:child_process';
import { networkChecks } from './network-check.js';
import { userBackend } from '../network/passt.js';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { arch, availableParallelism, release } from 'node:os';
import { join, resolve } from 'node:path';
import { VesselError, toVesselError, type Accel } from '../contract/index.js';
import { GuestManifest } from '../agent/proto/manifest.js';
import { guestImageDir } from '../agent/manifest.js';
import { resolveQemuBinary } from '../hypervisor/index.js';
import { parseCpuFlags, parseQemuVersion, probeCacheKeyString } from './parse.js';
import { imageToolChecks } from './image-tools.js';
import { KVM_PROBE_TIMEOUT_MS, readProbeCache, runKvmProbe, writeProbeCache } from './probe.js';
import { templateSharingCheck } from '../factory/host-check.js';
import { rootfsTransportChecks } from './rootfs-check.js';
import { KVM_MODULES, VHOST_MODULES, type AccelDecision, type HostCheck, type HostReport, type KvmProbeResult, type ProbeCacheKey } from './report.js';

export interface HostOptions {
  /** Where the KVM probe result is cached (e.g. the store root). Without it the probe runs every time. */
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Root of /proc, /sys and /dev; tests point it at a fixture tree. Default '/'. */
  root?: string;
  /** KVM probe timeout. Default 8 s. */
  probeTimeoutMs?: number;
}

export interface CheckHostOptions extends HostOptions {
  /** Guest image directory. Default $VESSEL_GUEST_DIR, else build/guest in the package root. */
  guestDir?: string;
  /** QEMU binary. Default: resolveQemuBinary(env). */
  qemuPath?: string;
  /** Kernel to probe KVM with. Default: the guest image's kernel, else the host's /boot/vmlinuz-*. */
  probeKernel?: string;
}

export interface ResolveAccelOptions extends HostOptions {
  kernelPath: string;
  qemuPath: string;
}

const GUEST_BUILD_HINT = 'npm run build:guest';

/** Where the guest image lives: one definition, the agent's (it owns the manifest contract). */
export function defaultGuestDir(env: NodeJS.ProcessEnv = process.env): string {
  return guestImageDir(env);
}

function at(root: string, path: string): string {
  return join(root, path);
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The current boot's ID: a probe result is only valid until the host reboots. */
export function readBootId(root = '/'): string {
  return readText(at(root, 'proc/sys/kernel/random/boot_id'))?.trim() || 'unknown-boot';
}

/** Run `qemu --version`. */
export function qemuVersion(qemuPath: string): Promise<{ version: string; package: string | null; line: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(qemuPath, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new VesselError('E_MISSING_DEPENDENCY', `cannot run ${qemuPath}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const parsed = parseQemuVersion(out);
      if (code !== 0 || !parsed) {
        reject(new VesselError('E_HYPERVISOR', `${qemuPath} --version failed (exit ${code ?? '?'}): ${out.trim().slice(0, 300)}`));
        return;
      }
      resolvePromise({ ...parsed, line: out.split('\n')[0]?.trim() ?? '' });
    });
  });
}

export function kvmDeviceStatus(root = '/'): { present: boolean; readWrite: boolean; error: string | null } {
  const device = at(root, 'dev/kvm');
  if (!existsSync(device)) return { present: false, readWrite: false, error: null };
  try {
    closeSync(openSync(device, 'r+'));
    return { present: true, readWrite: true, error: null };
  } catch (err) {
    return { present: true, readWrite: false, error: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
}

function modulesLoaded(root: string, names: readonly string[]): Record<string, boolean> {
  return Object.fromEntries(names.map((name) => [name, existsSync(at(root, `sys/module/${name}`))]));
}

/** Other kvm_* modules (e.g. kvm_pvm, a paravirtual nested hypervisor): they explain odd KVM behaviour. */
function otherKvmModules(root: string): string[] {
  try {
    return readdirSync(at(root, 'sys/module')).filter((m) => m.startsWith('kvm_') && !(KVM_MODULES as readonly string[]).includes(m)).sort();
  } catch {
    return [];
  }
}

function iommuGroups(root: string): number {
  try {
    return readdirSync(at(root, 'sys/kernel/iommu_groups')).length;
  } catch {
    return 0;
  }
}

function hostKernelImage(root: string): string | null {
  const own = at(root, `boot/vmlinuz-${release()}`);
  if (existsSync(own)) return own;
  try {
    const last = readdirSync(at(root, 'boot')).filter((f) => f.startsWith('vmlinuz-')).sort().at(-1);
    return last === undefined ? null : at(root, `boot/${last}`);
  } catch {
    return null;
  }
}

function readGuest(dir: string): HostReport['guest'] {
  const manifest = join(dir, 'manifest.json');
  const missing = { found: false, dir, manifest, kernel: null, initrd: null, kernelRelease: null, kernelParams: [] };
  const text = readText(manifest);
  if (text === null) return { ...missing, error: `no guest image at ${dir}: run ${GUEST_BUILD_HINT}` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ...missing, error: `${manifest} is not valid JSON: run ${GUEST_BUILD_HINT}` };
  }
  const parsed = GuestManifest.safeParse(raw);
  if (!parsed.success) {
    return { ...missing, error: `${manifest} is malformed (${parsed.error.issues[0]?.message ?? 'invalid'}): run ${GUEST_BUILD_HINT}` };
  }
  const kernel = resolve(dir, parsed.data.kernel);
  const initrd = resolve(dir, parsed.data.initrd);
  const absent = [kernel, initrd].filter((f) => !existsSync(f));
  return {
    found: absent.length === 0,
    dir, manifest, kernel, initrd,
    kernelRelease: parsed.data.kernelRelease,
    kernelParams: parsed.data.kernelParams,
    error: absent.length === 0 ? null : `guest image incomplete (missing ${absent.join(', ')}): run ${GUEST_BUILD_HINT}`,
  };
}

// One probe per key per process, even when several sandboxes start at once:
// the key holds the host's boot id, so a result stays true for the process's life.
const inFlight = new Map<string, Promise<KvmProbeResult>>();

/**
 * Decide KVM or TCG. KVM only when a timed boot of a guest kernel under KVM
 * reached late boot; the result is cached per host boot, kernel and QEMU.
 * Never concludes "KVM" from /dev/kvm existing: a nested hypervisor can
 * expose it and still not boot ordinary guests.
 */
export async function decideAccel(options: ResolveAccelOptions & { qemuVersion?: string }): Promise<AccelDecision> {
  const root = options.root ?? '/';
  const tcg = (reason: string, probe: AccelDecision['probe'] = { ran: false, cached: false, result: null }): AccelDecision =>
    ({ accel: 'tcg', kvmUsable: false, reason: `${reason}; using TCG`, probe });
  const device = kvmDeviceStatus(root);
  if (!device.present) return tcg('/dev/kvm is not present (no KVM: virtualization disabled, or the kvm modules are not loaded)');
  if (!device.readWrite) return tcg(`/dev/kvm cannot be opened read-write (${device.error ?? 'error'}): add your user to the kvm group`);
  if (!existsSync(options.kernelPath)) return tcg(`KVM not probed: kernel ${options.kernelPath} not found`);
  let version = options.qemuVersion;
  if (version === undefined) {
    try {
      version = (await qemuVersion(options.qemuPath)).line;
    } catch (err) {
      return tcg(`KVM not probed: ${toVesselError(err).message}`);
    }
  }
  const key: ProbeCacheKey = { bootId: readBootId(root), kernel: options.kernelPath, qemuPath: options.qemuPath, qemuVersion: version };
  const cached = options.cacheDir ? readProbeCache(options.cacheDir, key) : null;
  let result: KvmProbeResult;
  if (cached) {
    result = cached;
  } else {
    const keyString = probeCacheKeyString(key);
    let pending = inFlight.get(keyString);
    if (!pending) {
      pending = runKvmProbe({ qemuPath: options.qemuPath, qemuVersion: version, kernelPath: options.kernelPath, timeoutMs: options.probeTimeoutMs ?? KVM_PROBE_TIMEOUT_MS });
      inFlight.set(keyString, pending);
      pending.catch(() => inFlight.delete(keyString)); // a probe that failed to run may be retried
    }
    result = await pending;
    if (options.cacheDir) {
      try {
        writeProbeCache(options.cacheDir, key, result);
      } catch {
        // An unwritable cache only costs a probe next time.
      }
    }
  }
  const probe = { ran: true, cached: cached !== null, result };
  if (result.usable) return { accel: 'kvm', kvmUsable: true, reason: result.reason, probe };
  return tcg(result.reason, probe);
}

/**
 * The accelerator for a new sandbox. 'tcg' is taken as asked; 'auto' probes
 * and falls back to TCG with the reason; 'kvm' probes and fails with
 * E_UNSUPPORTED (and the reason) when KVM cannot boot guests here.
 */
export async function resolveAccel(requested: 'auto' | Accel, options: ResolveAccelOptions): Promise<{ accel: Accel; reason: string }> {
  if (requested === 'tcg') return { accel: 'tcg', reason: 'TCG requested' };
  const decision = await decideAccel(options);
  if (requested === 'kvm' && decision.accel !== 'kvm') {
    throw new VesselError('E_UNSUPPORTED', `KVM was requested but cannot boot guests on this host: ${decision.reason.replace(/; using TCG$/, '')}. Use --accel tcg or auto.`, {
      reason: decision.reason,
    });
  }
  return { accel: decision.accel, reason: decision.reason };
}

/** What this host can run, like `kata-runtime check`: tools, guest image, KVM (proven by a probe), vsock, IOMMU. */
export async function checkHost(options: CheckHostOptions = {}): Promise<HostReport> {
  const env = options.env ?? process.env;
  const root = options.root ?? '/';
  const checks: HostCheck[] = [];

  let qemu: HostReport['qemu'];
  let qemuLine: string | null = null;
  try {
    const path = options.qemuPath ?? resolveQemuBinary(env);
    const v = await qemuVersion(path);
    qemuLine = v.line;
    qemu = { found: true, path, version: v.version, package: v.package, error: null };
    checks.push({ name: 'qemu', status: 'ok', detail: `${path}: QEMU ${v.version}${v.package ? ` (${v.package})` : ''}` });
  } catch (err) {
    const message = toVesselError(err).message;
    qemu = { found: false, path: options.qemuPath ?? null, version: null, package: null, error: message };
    checks.push({ name: 'qemu', status: 'fail', detail: message });
  }

  const guest = readGuest(options.guestDir ?? defaultGuestDir(env));
  checks.push(guest.found
    ? { name: 'guest image', status: 'ok', detail: `${guest.dir}: kernel ${guest.kernelRelease ?? '?'}` }
    : { name: 'guest image', status: 'fail', detail: guest.error ?? `no guest image: run ${GUEST_BUILD_HINT}` });

  const device = kvmDeviceStatus(root);
  checks.push(!device.present
    ? { name: '/dev/kvm', status: 'warn', detail: 'absent: VMs run under TCG (slow)' }
    : device.readWrite
      ? { name: '/dev/kvm', status: 'ok', detail: 'present, opens read-write' }
      : { name: '/dev/kvm', status: 'warn', detail: `present but cannot be opened read-write (${device.error ?? 'error'}): add your user to the kvm group` });

  const flags = parseCpuFlags(readText(at(root, 'proc/cpuinfo')) ?? '');
  const cpu = { vmx: flags.has('vmx'), svm: flags.has('svm'), nested: flags.has('hypervisor') };
  checks.push(cpu.vmx || cpu.svm
    ? { name: 'CPU virtualization', status: 'ok', detail: cpu.vmx ? 'vmx (Intel VT-x)' : 'svm (AMD-V)' }
    : { name: 'CPU virtualization', status: 'warn', detail: `no vmx/svm flag${cpu.nested ? ' (this host is itself a VM; its hypervisor hides them)' : ''}` });

  const kvmModules = modulesLoaded(root, KVM_MODULES);
  for (const other of otherKvmModules(root)) kvmModules[other] = true;
  const loadedKvm = Object.keys(kvmModules).filter((m) => kvmModules[m]);
  checks.push({
    name: 'KVM modules',
    status: kvmModules.kvm && (kvmModules.kvm_intel || kvmModules.kvm_amd) ? 'ok' : 'warn',
    detail: loadedKvm.length ? `loaded: ${loadedKvm.join(', ')}${kvmModules.kvm_intel || kvmModules.kvm_amd ? '' : ' (no kvm_intel/kvm_amd)'}` : 'none loaded',
  });

  const vhostModules = modulesLoaded(root, VHOST_MODULES);
  const missingVhost = VHOST_MODULES.filter((m) => !vhostModules[m]);
  checks.push({ name: 'vhost modules', status: missingVhost.length ? 'warn' : 'ok', detail: missingVhost.length ? `not loaded: ${missingVhost.join(', ')}` : 'loaded: vhost, vhost_net, vhost_vsock' });

  const vsockPresent = existsSync(at(root, 'dev/vhost-vsock'));
  checks.push(vsockPresent
    ? { name: 'vsock', status: 'ok', detail: '/dev/vhost-vsock present' }
    : { name: 'vsock', status: 'warn', detail: '/dev/vhost-vsock absent: the agent talks over virtio-serial' });

  const groups = iommuGroups(root);
  checks.push(groups > 0
    ? { name: 'IOMMU', status: 'ok', detail: `${groups} IOMMU group(s)` }
    : { name: 'IOMMU', status: 'warn', detail: 'no IOMMU groups: VFIO device passthrough unavailable' });

  checks.push(...networkChecks(root, process.getuid?.() ?? -1, await userBackend({ ...process.env, VESSEL_PASST: process.env.VESSEL_PASST ?? join(root, 'usr/bin/passt') })));

  const probeKernel = options.probeKernel ?? guest.kernel ?? hostKernelImage(root);
  let accel: AccelDecision;
  if (!qemu.found || !qemu.path || qemuLine === null) {
    accel = { accel: 'tcg', kvmUsable: false, reason: 'KVM not probed: QEMU not found; using TCG', probe: { ran: false, cached: false, result: null } };
  } else if (!probeKernel) {
    accel = { accel: 'tcg', kvmUsable: false, reason: `KVM not probed: no kernel to boot (${GUEST_BUILD_HINT}); using TCG`, probe: { ran: false, cached: false, result: null } };
  } else {
    accel = await decideAccel({ ...options, root, kernelPath: probeKernel, qemuPath: qemu.path, qemuVersion: qemuLine });
  }
  checks.push(...imageToolChecks(env));
  checks.push({ name: 'acceleration', status: accel.accel === 'kvm' ? 'ok' : 'warn', detail: `${accel.accel.toUpperCase()}: ${accel.reason}` });
  checks.push(templateSharingCheck(options.cacheDir));
  checks.push(...rootfsTransportChecks(options.cacheDir, env));

  return {
    generatedAt: new Date().toISOString(),
    host: { kernelRelease: release(), arch: arch(), cpus: availableParallelism() },
    qemu,
    guest,
    kvm: { device, cpu, modules: kvmModules },
    vsock: { devicePresent: vsockPresent, modules: { vhost_vsock: vhostModules.vhost_vsock ?? false } },
    iommu: { groups },
    accel,
    checks,
    ok: checks.every((c) => c.status !== 'fail'),
  };
}
