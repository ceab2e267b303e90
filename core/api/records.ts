import { z } from 'zod';
import { Accel, AgentTransport, ContainerStatus, GuestDetails, HypervisorType, MachineType, RootfsTransport, SandboxId, SandboxState, VmOrigin } from '../contract/index.js';

/**
 * What the store keeps per sandbox. Configuration (written once, at create)
 * and runtime state (rewritten on every transition) live in separate files,
 * as in virtcontainers' persist layout.
 */
export const SCHEMA_VERSION = 1;

export const SandboxConfigRecord = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  id: SandboxId,
  name: z.string(),
  hypervisor: HypervisorType,
  createdAt: z.string(),
  hypervisorConfig: z.object({
    hypervisorPath: z.string(),
    machineType: MachineType,
    vcpus: z.number().int().positive(),
    memoryMiB: z.number().int().positive(),
    kernelPath: z.string(),
    initrdPath: z.string().optional(),
    imagePath: z.string().optional(),
    imageDevice: z.enum(['virtio-blk', 'virtio-pmem', 'nvdimm']).optional(),
    balloon: z.object({ freePageReporting: z.boolean() }).optional(),
    tcgTbSizeMiB: z.number().int().positive().optional(),
    kernelParams: z.array(z.string()),
    accel: z.enum(['auto', 'kvm', 'tcg']),
    /** q35's PCIe root-port pool for hot and cold plugged devices (records from before it have none). */
    pcieRootPorts: z.number().int().min(0).max(16).optional(),
    /** Guest RAM in a shared memfd (vhost-user devices need it). */
    sharedMemory: z.boolean().optional(),
    /** Hot-add room (maxcpus, maxmem). */
    maxVcpus: z.number().int().positive().optional(),
    maxMemoryMiB: z.number().int().positive().optional(),
    /** q35: a virtual IOMMU, for devices in vfio mode (the container gets /dev/vfio/N). */
    viommu: z.boolean().optional(),
    /** How container roots reach the guest; records from before it are 9p. */
    rootfsTransport: RootfsTransport.optional(),
  }),
  agent: z.object({ transport: AgentTransport }),
});
export type SandboxConfigRecord = z.infer<typeof SandboxConfigRecord>;

export const VmPathsRecord = z.object({
  runDir: z.string(),
  qmpSocket: z.string(),
  consoleSocket: z.string(),
  agentSocket: z.string(),
  /** Absent in records of VMs booted before the data-plane port existed. */
  ioSocket: z.string().optional(),
  pidFile: z.string(),
  logFile: z.string(),
});

export const HypervisorStateRecord = z.object({
  type: HypervisorType,
  pid: z.number().int().positive(),
  pidStartTime: z.number().int().nonnegative(),
  accel: Accel,
  paths: VmPathsRecord,
  viommu: z.boolean().optional(),
});

/** A container as the sandbox's state record keeps it (CRI-O style), rewritten under the sandbox lock. */
export const ContainerRecord = ContainerStatus.omit({ sandboxId: true }).extend({
  /** Absolute path of the rootfs inside the sandbox's shared directory (a bind mount or a copy). */
  sharedRootfs: z.string(),
  /** What stop sends first (an image's StopSignal); SIGTERM when absent. */
  stopSignal: z.number().int().positive().optional(),
  /** Block rootfs transport: the hot-plugged disk holding the root (unplugged on delete). */
  rootfsDevice: z.string().optional(),
});
export type ContainerRecord = z.infer<typeof ContainerRecord>;

/** The sandbox's agent channel owner (core/agent/channel), found again by pid + start time. */
export const AgentChannelRecord = z.object({
  pid: z.number().int().positive(),
  pidStartTime: z.number().int().nonnegative(),
  socket: z.string(),
});

export const SandboxStateRecord = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  state: SandboxState,
  hypervisorState: HypervisorStateRecord.nullable(),
  startedAt: z.string().nullable(),
  stoppedAt: z.string().nullable(),
  stopReason: z.string().nullable(),
  guest: GuestDetails.nullable(),
  /** Records written before containers existed have none. */
  containers: z.array(ContainerRecord).default([]),
  /** Records written before the channel owner existed have none. */
  agentChannel: AgentChannelRecord.optional(),
  updatedAt: z.string(),
  /** Where the current VM came from (VM factory); absent in older records. */
  vmOrigin: VmOrigin.optional(),
  /** The last checkpoint taken of it (vessel sandbox checkpoint): a restore of that one into this stopped sandbox is the same sandbox, not a fork. */
  checkpoint: z.object({ id: z.string(), dir: z.string(), at: z.string() }).optional(),
});
export type SandboxStateRecord = z.infer<typeof SandboxStateRecord>;
