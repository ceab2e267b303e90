import path from 'node:path';
import { z } from 'zod';
import { SANDBOX_ID_PATTERN, VesselError } from '../contract/index.js';
import { EnvVar, LinuxCapabilities, parseCmd, parseEnvVar } from '../types/index.js';
import type { Cmd } from '../types/index.js';
import { ContainerType, containerType, sandboxIdOf } from './annotations.js';
import { DEVICE_TYPES, OciSpec, resolveRootfs } from './spec.js';
import type { OciMount } from './spec.js';

/**
 * OCI spec → Vessel's sandbox and container configs, as virtcontainers'
 * oci.SandboxConfig / oci.ContainerConfig. The configs are plain data (they
 * go to the store and across the API); the normalised spec rides along in
 * ContainerConfig.spec because crun in the guest consumes it.
 */

/**
 * Container IDs end up in paths like sandbox IDs, so they follow the same
 * rule (CRI's 64-hex IDs fit). Candidate for core/contract.
 */
export const CONTAINER_ID_PATTERN = SANDBOX_ID_PATTERN;
export const ContainerId = z.string().regex(CONTAINER_ID_PATTERN, {
  message: 'a container ID is 1-64 letters, digits, "_" or "-", starting with a letter or digit',
});

const uint32 = z.number().int().min(0).max(0xffff_ffff);
const wholeNumber = z.number().refine(Number.isInteger, 'must be a whole number');

export const ContainerUser = z.object({
  uid: uint32,
  gid: uint32,
  additionalGids: z.array(uint32),
  umask: uint32.nullable(),
});
export type ContainerUser = z.infer<typeof ContainerUser>;

export const Rlimit = z.object({
  type: z.string().regex(/^RLIMIT_[A-Z]+$/),
  hard: wholeNumber,
  soft: wholeNumber,
});
export type Rlimit = z.infer<typeof Rlimit>;

/** The container's main process. */
export const ContainerCmd = z.object({
  args: z.array(z.string()).min(1),
  env: z.array(EnvVar),
  cwd: z.string().startsWith('/'),
  user: ContainerUser,
  terminal: z.boolean(),
  consoleSize: z.object({ height: uint32, width: uint32 }).nullable(),
  /** null: the spec says nothing, the runtime's defaults apply. */
  capabilities: LinuxCapabilities.nullable(),
  noNewPrivileges: z.boolean(),
  rlimits: z.array(Rlimit),
});
export type ContainerCmd = z.infer<typeof ContainerCmd>;

export const ContainerMount = z.object({
  destination: z.string(),
  type: z.string().nullable(),
  source: z.string().nullable(),
  options: z.array(z.string()),
});
export type ContainerMount = z.infer<typeof ContainerMount>;

export const ContainerDevice = z.object({
  path: z.string().startsWith('/'),
  type: z.enum(DEVICE_TYPES),
  major: wholeNumber,
  minor: wholeNumber,
  fileMode: uint32.nullable(),
  uid: uint32.nullable(),
  gid: uint32.nullable(),
});
export type ContainerDevice = z.infer<typeof ContainerDevice>;

/**
 * Container resources. `vcpus` is a hint for sizing the VM: ceil(quota /
 * period) when a CPU quota is set, else the size of the cpuset, else null.
 * CPU shares are a relative weight and do not size the VM (as virtcontainers);
 * they are kept for the guest's cgroup. Unlimited (≤ 0) values become null.
 */
export const ContainerResources = z.object({
  vcpus: z.number().int().positive().nullable(),
  cpuShares: wholeNumber.nullable(),
  cpuQuota: wholeNumber.nullable(),
  cpuPeriod: wholeNumber.nullable(),
  cpusetCpus: z.string().nullable(),
  memoryLimitBytes: wholeNumber.nullable(),
  pidsLimit: wholeNumber.nullable(),
});
export type ContainerResources = z.infer<typeof ContainerResources>;

export const ContainerConfig = z.object({
  id: ContainerId,
  containerType: ContainerType,
  /** The sandbox this container belongs to, from CRI annotations; null for a single container. */
  sandboxId: z.string().nullable(),
  bundlePath: z.string(),
  rootfs: z.object({ path: z.string(), readonly: z.boolean() }),
  cmd: ContainerCmd,
  hostname: z.string().nullable(),
  mounts: z.array(ContainerMount),
  devices: z.array(ContainerDevice),
  resources: ContainerResources,
  networkNamespacePath: z.string().nullable(),
  shmSizeBytes: z.number().int().positive().nullable(),
  readonlyRootfs: z.boolean(),
  annotations: z.record(z.string(), z.string()),
  /** The normalised OCI spec, for the guest's OCI runtime. */
  spec: OciSpec,
});
export type ContainerConfig = z.output<typeof ContainerConfig>;

export const SandboxConfig = z.object({
  /** From options.sandboxId or the CRI sandbox-ID annotation; null when neither (the caller picks one). */
  id: z.string().nullable(),
  containerType: ContainerType,
  bundlePath: z.string(),
  hostname: z.string().nullable(),
  networkNamespacePath: z.string().nullable(),
  shmSizeBytes: z.number().int().positive().nullable(),
  /** Sizing hints from the spec's resources; null where it sets no limit. */
  resources: z.object({
    vcpus: z.number().int().positive().nullable(),
    memoryMiB: z.number().int().positive().nullable(),
  }),
  annotations: z.record(z.string(), z.string()),
});
export type SandboxConfig = z.infer<typeof SandboxConfig>;

function invalid(bundlePath: string, message: string, details?: Record<string, unknown>): VesselError {
  return new VesselError('E_INVALID_ARGUMENT', `invalid OCI config in bundle ${bundlePath}: ${message}`, { bundlePath, ...details });
}

/** The network namespace to join: linux.namespaces[type=network].path; null means a new one (or none given). */
export function networkNamespacePath(spec: OciSpec): string | null {
  const ns = spec.linux?.namespaces?.find((n) => n.type === 'network' && n.path !== undefined && n.path !== '');
  return ns?.path ?? null;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Size of /dev/shm from its mount's `size=` option (tmpfs syntax: bytes, or
 * k/m/g binary suffixes). null when there is no such mount or option, or the
 * size is a percentage of RAM (unknowable on the host).
 */
export function shmSizeBytes(spec: OciSpec, bundlePath = '(bundle)'): number | null {
  const shm = (spec.mounts ?? []).find((m) => path.posix.normalize(m.destination).replace(/\/+$/, '') === '/dev/shm');
  if (shm === undefined) return null;
  const sizes = (shm.options ?? []).filter((o) => o.startsWith('size='));
  const option = sizes[sizes.length - 1]; // mount(8): the last one wins
  if (option === undefined) return null;
  const value = option.slice('size='.length);
  if (value.endsWith('%')) return null;
  const match = /^(\d+)([kmg]?)$/i.exec(value);
  const unit = SIZE_UNITS[(match?.[2] ?? '').toLowerCase()];
  const bytes = match?.[1] !== undefined && unit !== undefined ? Number(match[1]) * unit : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw invalid(bundlePath, `the /dev/shm mount has option ${JSON.stringify(option)}: expected a size like "size=65536k", "size=64m" or "size=67108864"`, {
      option,
    });
  }
  return bytes;
}

/** Number of CPUs in a cpuset list like "0-3,6". */
function cpusetSize(cpus: string, bundlePath: string): number {
  const set = new Set<number>();
  for (const part of cpus.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    const lo = m?.[1] === undefined ? NaN : Number(m[1]);
    const hi = m?.[2] === undefined ? lo : Number(m[2]);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo || hi - lo > 4096) {
      throw invalid(bundlePath, `linux.resources.cpu.cpus ${JSON.stringify(cpus)} is not a CPU list like "0-3,6"`, { cpus });
    }
    for (let c = lo; c <= hi; c++) set.add(c);
  }
  return set.size;
}

function positiveOrNull(n: number | undefined): number | null {
  return n !== undefined && n > 0 ? n : null;
}

export function containerResources(spec: OciSpec, bundlePath = '(bundle)'): ContainerResources {
  const res = spec.linux?.resources;
  const cpuQuota = positiveOrNull(res?.cpu?.quota);
  const cpuPeriod = positiveOrNull(res?.cpu?.period);
  const cpusetCpus = res?.cpu?.cpus !== undefined && res.cpu.cpus.trim() !== '' ? res.cpu.cpus : null;
  let vcpus: number | null = null;
  if (cpuQuota !== null && cpuPeriod !== null) vcpus = Math.ceil(cpuQuota / cpuPeriod);
  else if (cpusetCpus !== null) vcpus = cpusetSize(cpusetCpus, bundlePath);
  return {
    vcpus,
    cpuShares: positiveOrNull(res?.cpu?.shares),
    cpuQuota,
    cpuPeriod,
    cpusetCpus,
    memoryLimitBytes: positiveOrNull(res?.memory?.limit),
    pidsLimit: positiveOrNull(res?.pids?.limit),
  };
}

function convertMount(m: OciMount): ContainerMount {
  return { destination: m.destination, type: m.type ?? null, source: m.source ?? null, options: [...(m.options ?? [])] };
}

export interface ContainerConversionOptions {
  bundlePath: string;
  containerId: string;
}

/** OCI spec → ContainerConfig. Errors are E_INVALID_ARGUMENT naming the bundle and the offending field. */
export function ociToContainerConfig(spec: OciSpec, options: ContainerConversionOptions): ContainerConfig {
  const bundlePath = path.resolve(options.bundlePath);
  if (!CONTAINER_ID_PATTERN.test(options.containerId)) {
    throw new VesselError(
      'E_INVALID_ID',
      `invalid container ID ${JSON.stringify(options.containerId)}: a container ID is 1-64 letters, digits, "_" or "-", starting with a letter or digit`,
      { containerId: options.containerId },
    );
  }
  const proc = spec.process;
  if (proc === undefined) throw invalid(bundlePath, 'there is no "process": a container needs a process to run', { path: 'process' });
  const args = proc.args ?? [];
  if (args.length === 0 || args[0] === '') {
    throw invalid(bundlePath, 'process.args is empty: it must name at least the program to run', { path: 'process.args' });
  }
  if (spec.root === undefined) throw invalid(bundlePath, 'there is no "root": a container needs a root filesystem', { path: 'root' });

  const env: EnvVar[] = (proc.env ?? []).map((entry, index) => {
    try {
      return parseEnvVar(entry);
    } catch (err) {
      const where = `process.env[${index}]`;
      throw invalid(bundlePath, `${where}: ${err instanceof Error ? err.message : String(err)}`, { path: where, entry });
    }
  });

  const type = containerType(spec);
  const sandboxId = sandboxIdOf(spec);
  if (type === 'pod_container' && sandboxId === null) {
    throw invalid(bundlePath, 'a container of a pod needs a sandbox ID annotation (io.kubernetes.cri.sandbox-id, io.kubernetes.cri-o.SandboxID or io.kubernetes.sandbox.id)');
  }

  const readonlyRootfs = spec.root.readonly ?? false;
  const cmd: ContainerCmd = {
    args: [...args],
    env,
    cwd: proc.cwd,
    user: {
      uid: proc.user.uid,
      gid: proc.user.gid,
      additionalGids: [...(proc.user.additionalGids ?? [])],
      umask: proc.user.umask ?? null,
    },
    terminal: proc.terminal ?? false,
    consoleSize: proc.consoleSize ? { height: proc.consoleSize.height, width: proc.consoleSize.width } : null,
    capabilities: proc.capabilities
      ? {
          bounding: [...proc.capabilities.bounding],
          effective: [...proc.capabilities.effective],
          inheritable: [...proc.capabilities.inheritable],
          permitted: [...proc.capabilities.permitted],
          ambient: [...proc.capabilities.ambient],
        }
      : null,
    noNewPrivileges: proc.noNewPrivileges ?? false,
    rlimits: (proc.rlimits ?? []).map((r) => ({ type: r.type, hard: r.hard, soft: r.soft })),
  };

  return {
    id: options.containerId,
    containerType: type,
    sandboxId,
    bundlePath,
    rootfs: { path: resolveRootfs(bundlePath, spec.root.path), readonly: readonlyRootfs },
    cmd,
    hostname: spec.hostname ?? null,
    mounts: (spec.mounts ?? []).map(convertMount),
    devices: (spec.linux?.devices ?? []).map((d) => ({
      path: d.path,
      type: d.type,
      major: d.major ?? 0,
      minor: d.minor ?? 0,
      fileMode: d.fileMode ?? null,
      uid: d.uid ?? null,
      gid: d.gid ?? null,
    })),
    resources: containerResources(spec, bundlePath),
    networkNamespacePath: networkNamespacePath(spec),
    shmSizeBytes: shmSizeBytes(spec, bundlePath),
    readonlyRootfs,
    annotations: { ...(spec.annotations ?? {}) },
    spec,
  };
}

export interface SandboxConversionOptions {
  bundlePath: string;
  /** Overrides the CRI sandbox-ID annotation (e.g. a single container's own ID). */
  sandboxId?: string;
}

/** OCI spec → SandboxConfig: the VM-level settings a container's spec implies. */
export function ociToSandboxConfig(spec: OciSpec, options: SandboxConversionOptions): SandboxConfig {
  const bundlePath = path.resolve(options.bundlePath);
  if (options.sandboxId !== undefined && !SANDBOX_ID_PATTERN.test(options.sandboxId)) {
    throw new VesselError(
      'E_INVALID_ID',
      `invalid sandbox ID ${JSON.stringify(options.sandboxId)}: a sandbox ID is 1-64 letters, digits, "_" or "-", starting with a letter or digit`,
      { sandboxId: options.sandboxId },
    );
  }
  const type = containerType(spec);
  const fromAnnotations = sandboxIdOf(spec);
  const resources = containerResources(spec, bundlePath);
  return {
    id: options.sandboxId ?? fromAnnotations,
    containerType: type,
    bundlePath,
    hostname: spec.hostname ?? null,
    networkNamespacePath: networkNamespacePath(spec),
    shmSizeBytes: shmSizeBytes(spec, bundlePath),
    resources: {
      vcpus: resources.vcpus,
      memoryMiB: resources.memoryLimitBytes === null ? null : Math.ceil(resources.memoryLimitBytes / (1024 * 1024)),
    },
    annotations: { ...(spec.annotations ?? {}) },
  };
}

/**
 * A container's process as core/types' Cmd (what the agent client takes):
 * numeric user and groups, validated by parseCmd.
 */
export function containerCmdToCmd(cmd: ContainerCmd): Cmd {
  return parseCmd({
    args: cmd.args,
    env: cmd.env,
    workdir: cmd.cwd,
    user: String(cmd.user.uid),
    primaryGroup: String(cmd.user.gid),
    supplementaryGroups: cmd.user.additionalGids.map(String),
    interactive: cmd.terminal,
    noNewPrivileges: cmd.noNewPrivileges,
    ...(cmd.capabilities ? { capabilities: cmd.capabilities } : {}),
  });
}
