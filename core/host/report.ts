import { z } from 'zod';
import { Accel } from '../contract/index.js';

/** One line of `vessel host check`: fail = sandboxes cannot run; warn = a feature is unavailable. */
export const CheckStatus = z.enum(['ok', 'warn', 'fail']);
export type CheckStatus = z.infer<typeof CheckStatus>;

export const HostCheck = z.object({
  name: z.string(),
  status: CheckStatus,
  detail: z.string(),
});
export type HostCheck = z.infer<typeof HostCheck>;

/** Outcome of booting a guest kernel under KVM for a few seconds. */
export const KvmProbeResult = z.object({
  usable: z.boolean(),
  /** Why, in words a user can act on. */
  reason: z.string(),
  /** The late-boot line seen on the serial console, when the guest got that far. */
  marker: z.string().nullable(),
  durationMs: z.number().nonnegative(),
  kernel: z.string(),
  qemuPath: z.string(),
  qemuVersion: z.string(),
  /** When the probe ran (ISO 8601). */
  at: z.string(),
});
export type KvmProbeResult = z.infer<typeof KvmProbeResult>;

/** What identifies a probe result: valid until the host reboots or QEMU or the kernel changes. */
export const ProbeCacheKey = z.object({
  bootId: z.string(),
  kernel: z.string(),
  qemuPath: z.string(),
  qemuVersion: z.string(),
});
export type ProbeCacheKey = z.infer<typeof ProbeCacheKey>;

export const ProbeCacheFile = z.object({
  schemaVersion: z.literal(1),
  entries: z.array(z.object({ key: ProbeCacheKey, result: KvmProbeResult })).max(64),
});
export type ProbeCacheFile = z.infer<typeof ProbeCacheFile>;

export const AccelDecision = z.object({
  accel: Accel,
  kvmUsable: z.boolean(),
  reason: z.string(),
  probe: z.object({
    ran: z.boolean(),
    cached: z.boolean(),
    result: KvmProbeResult.nullable(),
  }),
});
export type AccelDecision = z.infer<typeof AccelDecision>;

export const KVM_MODULES = ['kvm', 'kvm_intel', 'kvm_amd'] as const;
export const VHOST_MODULES = ['vhost', 'vhost_net', 'vhost_vsock'] as const;

/** `vessel host check --json`: what this host can run, and why. */
export const HostReport = z.object({
  generatedAt: z.string(),
  host: z.object({ kernelRelease: z.string(), arch: z.string(), cpus: z.number().int() }),
  qemu: z.object({
    found: z.boolean(),
    path: z.string().nullable(),
    /** e.g. "7.2.22" */
    version: z.string().nullable(),
    /** e.g. "Debian 1:7.2+dfsg-7+deb12u18+b3" */
    package: z.string().nullable(),
    error: z.string().nullable(),
  }),
  guest: z.object({
    found: z.boolean(),
    dir: z.string(),
    manifest: z.string(),
    kernel: z.string().nullable(),
    initrd: z.string().nullable(),
    kernelRelease: z.string().nullable(),
    kernelParams: z.array(z.string()),
    error: z.string().nullable(),
  }),
  kvm: z.object({
    device: z.object({ present: z.boolean(), readWrite: z.boolean(), error: z.string().nullable() }),
    cpu: z.object({
      vmx: z.boolean(),
      svm: z.boolean(),
      /** The 'hypervisor' CPUID flag: this host is itself a VM (KVM here is nested). */
      nested: z.boolean(),
    }),
    modules: z.record(z.string(), z.boolean()),
  }),
  vsock: z.object({ devicePresent: z.boolean(), modules: z.record(z.string(), z.boolean()) }),
  iommu: z.object({ groups: z.number().int().nonnegative() }),
  accel: AccelDecision,
  checks: z.array(HostCheck),
  /** No check failed: this host can run sandboxes (perhaps slowly, under TCG). */
  ok: z.boolean(),
});
export type HostReport = z.infer<typeof HostReport>;
