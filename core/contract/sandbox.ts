import { z } from 'zod';
import { PortMapping, SandboxNetworkStatus } from './network.js';

/** Sandbox states, as virtcontainers' types.StateString. */
export const SandboxState = z.enum(['ready', 'running', 'paused', 'stopped']);
export type SandboxState = z.infer<typeof SandboxState>;

export const HypervisorType = z.enum(['qemu', 'firecracker', 'cloud-hypervisor', 'mock']);
export type HypervisorType = z.infer<typeof HypervisorType>;

export const MachineType = z.enum(['q35', 'pc', 'microvm']);
export type MachineType = z.infer<typeof MachineType>;

export const Accel = z.enum(['kvm', 'tcg']);
export type Accel = z.infer<typeof Accel>;

export const AgentTransport = z.enum(['virtio-serial', 'vsock']);
export type AgentTransport = z.infer<typeof AgentTransport>;

/**
 * Sandbox IDs end up in paths and in QEMU's -name: letters, digits, '_' and
 * '-' only, so no ID can climb out of the store root.
 */
export const SANDBOX_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const SandboxId = z.string().regex(SANDBOX_ID_PATTERN, {
  message: 'a sandbox ID is 1-64 letters, digits, "_" or "-", starting with a letter or digit',
});

export const SandboxName = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
  message: 'a name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
});

export const MAX_VCPUS = 64;
export const MIN_MEMORY_MIB = 64;
export const MAX_MEMORY_MIB = 262_144;

/** How container root filesystems reach the guest (Kata's shared_fs choices, plus a block device per image). */
export const RootfsTransport = z.enum(['9p', 'virtio-fs', 'block'], { message: 'rootfs transport must be 9p, virtio-fs or block' });
export type RootfsTransport = z.infer<typeof RootfsTransport>;

/** What a user asks for. Everything optional has a sensible default in core. */
export const CreateSandboxRequest = z.object({
  name: SandboxName.optional(),
  hypervisor: HypervisorType.default('qemu'),
  vcpus: z.number().int().min(1, 'vCPUs must be at least 1').max(MAX_VCPUS, `vCPUs must be at most ${MAX_VCPUS}`).default(1),
  memoryMiB: z.number().int().min(MIN_MEMORY_MIB, `memory must be at least ${MIN_MEMORY_MIB} MiB`).max(MAX_MEMORY_MIB, `memory must be at most ${MAX_MEMORY_MIB} MiB`).default(512),
  machineType: MachineType.default('q35'),
  kernel: z.string().min(1).optional(),
  initrd: z.string().min(1).optional(),
  kernelParams: z.array(z.string()).default([]),
  accel: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
  /** A network name, 'none', 'user' or 'ns:PATH'; default: 'vessel' as root, 'user' otherwise. */
  network: z.string().min(1).optional(),
  /** Port forwards (-p), served on hostIp (default 127.0.0.1). */
  ports: z.array(PortMapping).optional(),
  /** q35 only: PCIe root ports for hot/cold plugged devices (default 8, at most 16). */
  pcieRootPorts: z.number().int().min(0, 'PCIe root ports must be 0 or more').max(16, 'PCIe root ports must be at most 16').optional(),
  /** Guest RAM in a shared memfd, needed by vhost-user devices (vhost-user-blk). */
  sharedMemory: z.boolean().default(false),
  /** Room to hot add vCPUs and memory later (vessel sandbox update); q35/pc. */
  maxVcpus: z.number().int().min(1).max(MAX_VCPUS, `max vCPUs must be at most ${MAX_VCPUS}`).optional(),
  maxMemoryMiB: z.number().int().min(MIN_MEMORY_MIB).max(MAX_MEMORY_MIB, `max memory must be at most ${MAX_MEMORY_MIB} MiB`).optional(),
  /** q35: a virtual IOMMU, so devices in vfio mode reach containers as /dev/vfio/N (also turned on by a vfio-mode device at the next start). */
  viommu: z.boolean().default(false),
  /** Container roots over 9p, virtio-fs or a block device; default: the host's (`vessel rootfs default`). */
  rootfsTransport: RootfsTransport.optional(),
});
export type CreateSandboxRequest = z.input<typeof CreateSandboxRequest>;
export type CreateSandboxOptions = z.output<typeof CreateSandboxRequest>;

/** What the guest agent reports about the guest (GetGuestDetails). */
export const GuestDetails = z.object({
  kernelRelease: z.string(),
  memoryKiB: z.number().int().nonnegative(),
  cpus: z.number().int().nonnegative(),
  agentVersion: z.string(),
});
export type GuestDetails = z.infer<typeof GuestDetails>;

/** Where a sandbox's VM came from (the VM factory): a cold boot, a template clone, the cache, a checkpoint. */
export const VmSource = z.enum(['direct', 'template', 'cache', 'checkpoint']);
export type VmSource = z.infer<typeof VmSource>;
export const VmOrigin = z.object({
  source: VmSource,
  /** The template's content hash (template and cache-from-template clones). */
  templateHash: z.string().optional(),
  /** Why the factory did not use a faster source (a stale or missing template…). */
  fallbackReason: z.string().optional(),
  /** From asking for the VM to the guest agent answering, in ms. */
  bootMs: z.number().nonnegative(),
});
export type VmOrigin = z.infer<typeof VmOrigin>;

/** The view of a sandbox that crosses the API: CLI --json, IPC, WebSocket. */
export const SandboxStatus = z.object({
  id: SandboxId,
  name: z.string(),
  state: SandboxState,
  hypervisor: HypervisorType,
  pid: z.number().int().nullable(),
  vcpus: z.number().int(),
  memoryMiB: z.number().int(),
  machineType: MachineType,
  accel: Accel.nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  stoppedAt: z.string().nullable(),
  /** Why the sandbox stopped when nobody asked it to (VM died, killed…). */
  stopReason: z.string().nullable(),
  guest: GuestDetails.nullable(),
  /** Where the VM came from; absent for sandboxes created before the factory. */
  vmOrigin: VmOrigin.optional(),
  /** The last checkpoint taken of it (vessel sandbox checkpoint). */
  checkpoint: z.object({ id: z.string(), dir: z.string(), at: z.string() }).optional(),
  /** Its networking (absent on records from before networking, and for the mock hypervisor). */
  network: SandboxNetworkStatus.nullable().optional(),
});
export type SandboxStatus = z.infer<typeof SandboxStatus>;

export const ProgressPhase = z.enum(['prepare', 'hypervisor', 'boot', 'agent', 'guest', 'done']);
export type ProgressPhase = z.infer<typeof ProgressPhase>;

/** Which process made a change (events cross processes through the store's event feed). */
export const EventOrigin = z.object({ pid: z.number().int().positive(), command: z.string().max(200) });
export type EventOrigin = z.infer<typeof EventOrigin>;

/** Events the UI subscribes to. `origin`: the process that made the change, when known. */
export const SandboxEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), id: SandboxId, from: SandboxState.nullable(), to: SandboxState, at: z.string(), reason: z.string().optional(), origin: EventOrigin.optional() }),
  z.object({ type: z.literal('created'), id: SandboxId, at: z.string(), origin: EventOrigin.optional() }),
  z.object({ type: z.literal('deleted'), id: SandboxId, at: z.string(), origin: EventOrigin.optional() }),
  z.object({ type: z.literal('progress'), id: SandboxId, phase: ProgressPhase, message: z.string(), at: z.string(), origin: EventOrigin.optional() }),
  /** A container changed (created, started, stopped, removed…): listeners reload it. */
  z.object({ type: z.literal('container'), id: SandboxId, container: z.string().max(128), state: z.string().max(32), at: z.string(), origin: EventOrigin.optional() }),
]);
export type SandboxEvent = z.infer<typeof SandboxEvent>;
