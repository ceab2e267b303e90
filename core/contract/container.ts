import { z } from 'zod';
import { NicStats } from './network.js';

/** Container states, as CRI-O keeps them (and OCI state reports them). */
export const ContainerState = z.enum(['created', 'running', 'paused', 'stopped']);
export type ContainerState = z.infer<typeof ContainerState>;

/** How the container's root filesystem reached the sandbox's shared directory. */
export const RootfsMode = z.enum(['bind', 'bind-ro', 'copy', 'overlay', 'block']);
export type RootfsMode = z.infer<typeof RootfsMode>;

/** A container as the API reports it. Times are ISO 8601; null until they happen. */
export const ContainerStatus = z.object({
  id: z.string(),
  name: z.string(),
  sandboxId: z.string(),
  state: ContainerState,
  args: z.array(z.string()),
  tty: z.boolean(),
  /** Where the root filesystem came from: a directory, an OCI bundle, an image (path: its name; digest: its manifest), or the built-in busybox. */
  source: z.object({ kind: z.enum(['busybox', 'rootfs', 'bundle', 'image']), path: z.string(), digest: z.string().optional() }),
  rootfsMode: RootfsMode,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Shell convention: the exit status, or 128 + signal. null while not stopped. */
  exitCode: z.number().int().nullable(),
  /** The signal that ended the container's init, 0 when it exited by itself; null while not stopped. */
  signal: z.number().int().nullable(),
  oomKilled: z.boolean(),
  /** Why the container failed or was lost (e.g. its sandbox stopped). */
  error: z.string().nullable(),
});
export type ContainerStatus = z.infer<typeof ContainerStatus>;

/** What the user asks for when creating a container. */
export const CreateContainerRequest = z.object({
  name: z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
    message: 'a container name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  }).optional(),
  /** A root filesystem directory on the host. */
  rootfs: z.string().min(1).optional(),
  /** An OCI bundle directory (config.json + its root). */
  bundle: z.string().min(1).optional(),
  /** An image in the local store (vessel image pull); its config gives the defaults. */
  image: z.string().min(1).max(4096).optional(),
  /** Overrides the image's entrypoint ([] clears it). */
  entrypoint: z.array(z.string()).optional(),
  /** user[:group], names or numbers; overrides the image's. */
  user: z.string().min(1).optional(),
  /** Overrides the process args (not allowed to be empty when given). */
  args: z.array(z.string()).min(1).optional(),
  env: z.array(z.string()).optional(),
  cwd: z.string().startsWith('/').optional(),
  tty: z.boolean().optional(),
  readonlyRootfs: z.boolean().optional(),
  /** Host device nodes passed in, "HOSTPATH[:CONTAINERPATH]" (Kata's generic device). */
  devices: z.array(z.string().min(1).max(4096)).max(64).optional(),
});
export type CreateContainerRequest = z.input<typeof CreateContainerRequest>;

export const ContainerStats = z.object({
  id: z.string(),
  name: z.string(),
  cpu: z.object({ usageNs: z.number(), userNs: z.number(), systemNs: z.number(), throttledPeriods: z.number(), throttledNs: z.number() }),
  /** Bytes; limit 0 = unlimited. */
  memory: z.object({ usage: z.number(), limit: z.number(), cache: z.number(), rss: z.number(), oomKills: z.number() }),
  pids: z.object({ current: z.number(), limit: z.number() }),
  blkio: z.array(z.object({ major: z.number(), minor: z.number(), readBytes: z.number(), writeBytes: z.number(), readIos: z.number(), writeIos: z.number() })),
});
export type ContainerStats = z.infer<typeof ContainerStats>;

export const SandboxHostMemory = z.object({
  pssBytes: z.number(),
  /** Private to this sandbox: guest RAM the guest touched, QEMU's heap, the TCG translation cache. */
  pssAnonBytes: z.number(),
  /** File-backed pages (the shared guest root image in the host page cache, QEMU's binary and libraries): split between the VMs mapping them. */
  pssFileBytes: z.number(),
  /** Shared-memory backends (memfd/shm), split likewise. */
  pssShmemBytes: z.number(),
  /** Resident pages also mapped by other processes (other sandboxes), counted in full. */
  sharedBytes: z.number(),
  /** How many host processes the figures cover (QEMU + helpers). */
  processes: z.number(),
});
export type SandboxHostMemory = z.infer<typeof SandboxHostMemory>;

export const SandboxStats = z.object({
  sandboxId: z.string(),
  at: z.string(),
  guest: z.object({ memoryKiB: z.number(), cpus: z.number() }),
  /** The hypervisor process on the host. */
  host: z.object({
    pid: z.number(), cpuNs: z.number(), rssBytes: z.number(),
    /**
     * Host memory of the sandbox as PSS (smaps_rollup of QEMU and every helper
     * process of the sandbox): a page shared by N processes counts 1/N. RSS
     * above counts shared pages in full for every VM.
     */
    memory: SandboxHostMemory.optional(),
  }).nullable(),
  containers: z.array(ContainerStats),
  /** Per NIC: host side (the tap) and guest side (/proc/net/dev). Absent without networking. */
  networks: z.array(NicStats).optional(),
});
export type SandboxStats = z.infer<typeof SandboxStats>;

/** What an exec'd process (or execSync) ended with. */
export const ProcessExit = z.object({ exitCode: z.number().int(), signal: z.number().int(), oomKilled: z.boolean(), error: z.string().optional() });
export type ProcessExit = z.infer<typeof ProcessExit>;

export const ExecSyncResult = z.object({
  stdout: z.string(),
  stderr: z.string(),
  exitCode: z.number().int(),
  timedOut: z.boolean(),
});
export type ExecSyncResult = z.infer<typeof ExecSyncResult>;
