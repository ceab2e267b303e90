import { z } from 'zod';
import { SerializedError } from './errors.js';
import { CreateSandboxRequest, ProgressPhase, SandboxEvent, SandboxId, SandboxStatus } from './sandbox.js';
import { ContainerStatus, CreateContainerRequest, ProcessExit, SandboxStats } from './container.js';
import { FactoryHint, FactoryStatus } from './factory.js';
import { NetworkMethods } from './network-api.js';
import { ImageInspect, ImageSummary, PruneResult, PullProgress, PullRequest } from './image.js';
import { AttachBlockRequest, AttachPciRequest, DeviceInventory, DeviceProgress, IommuGroupView, PciAddress, SandboxDevice, SysfsWrite } from './device.js';

/**
 * The one API the UI speaks, whatever carries it (Electron IPC or the
 * `vessel serve` WebSocket). Two kinds of operation:
 *
 * - calls: a request, one reply (a value or a SerializedError);
 * - streams: opened with parameters, then items flow server → client until
 *   either side closes. Console streams also carry input and resizes client
 *   → server. Back-pressure is credit-based: the server stops reading the
 *   source when more than STREAM_WINDOW_BYTES (console) or
 *   STREAM_WINDOW_ITEMS (other streams) are unacknowledged; the client acks
 *   what it has consumed (for a console: what xterm has drawn).
 *
 * Every message is validated with these schemas on both ends.
 */

export const STREAM_WINDOW_BYTES = 256 * 1024;
export const STREAM_WINDOW_ITEMS = 16;

const ContainerRef = z.string().min(1).max(128);

/** A sandbox in the list: its status plus the number of containers it holds. */
export const SandboxSummary = SandboxStatus.extend({ containerCount: z.number().int().nonnegative() });
export type SandboxSummary = z.infer<typeof SandboxSummary>;

/** What the create dialog sends: the sandbox and, optionally, a first container started in it. */
export const CreateSandboxWithContainer = z.object({
  sandbox: CreateSandboxRequest,
  container: CreateContainerRequest.optional(),
});
export type CreateSandboxWithContainer = z.input<typeof CreateSandboxWithContainer>;

export const HostSummary = z.object({
  ok: z.boolean(),
  accel: z.string().nullable(),
  reason: z.string(),
  defaultKernel: z.string().nullable(),
  hypervisors: z.array(z.string()),
});
export type HostSummary = z.infer<typeof HostSummary>;

const Id = z.object({ id: SandboxId });
const ContainerArgs = z.object({ sandboxId: SandboxId, container: ContainerRef });

/** Every call: its parameters and its result. */
export const Methods = {
  'host.check': { params: z.object({}), result: HostSummary },
  'sandbox.list': { params: z.object({}), result: z.array(SandboxSummary) },
  'sandbox.get': { params: Id, result: SandboxStatus },
  'sandbox.create': { params: CreateSandboxWithContainer, result: SandboxStatus },
  'sandbox.start': { params: Id, result: SandboxStatus },
  'sandbox.stop': { params: Id.extend({ force: z.boolean().optional() }), result: SandboxStatus },
  'sandbox.pause': { params: Id, result: SandboxStatus },
  'sandbox.resume': { params: Id, result: SandboxStatus },
  'sandbox.delete': { params: Id.extend({ force: z.boolean().optional() }), result: z.object({ id: SandboxId, deleted: z.literal(true) }) },
  /** Save the VM to STORE/checkpoints/… (stopped afterwards unless leaveRunning); progress comes as the sandbox's progress events. */
  'sandbox.checkpoint': { params: Id.extend({ leaveRunning: z.boolean().optional() }), result: z.object({ id: SandboxId, dir: z.string(), checkpointId: z.string(), stateBytes: z.number(), pausedMs: z.number(), leftRunning: z.boolean() }) },
  /** Bring a checkpoint back (the same sandbox, or a fork when its ID is taken). */
  'sandbox.restore': { params: z.object({ dir: z.string().min(1).max(4096), name: z.string().min(1).max(64).optional() }), result: SandboxStatus },
  /** Checkpoint with the sandbox left running, then restore that checkpoint as a new sandbox. */
  'sandbox.fork': { params: Id.extend({ name: z.string().min(1).max(64).optional() }), result: SandboxStatus },
  'sandbox.consoleLog': { params: Id.extend({ maxBytes: z.number().int().positive().max(1 << 20).optional() }), result: z.object({ text: z.string() }) },
  'container.list': { params: z.object({ sandboxId: SandboxId }), result: z.array(ContainerStatus) },
  'container.run': { params: z.object({ sandboxId: SandboxId, request: CreateContainerRequest }), result: ContainerStatus },
  'container.start': { params: ContainerArgs, result: ContainerStatus },
  'container.stop': { params: ContainerArgs.extend({ timeoutMs: z.number().int().positive().max(600_000).optional() }), result: ContainerStatus },
  'container.kill': { params: ContainerArgs.extend({ signal: z.union([z.string().max(16), z.number().int()]) }), result: ContainerStatus },
  'container.delete': { params: ContainerArgs.extend({ force: z.boolean().optional() }), result: z.object({ deleted: z.literal(true) }) },
  'factory.status': { params: z.object({}), result: FactoryStatus },
  'factory.setTemplates': { params: z.object({ enabled: z.boolean(), build: z.boolean().optional() }), result: FactoryStatus },
  /** The VM cache (warm pool) size: 0 stops the cache server, N starts it or resizes it (the VMs it holds stay). */
  'factory.setCache': { params: z.object({ size: z.number().int().min(0).max(64) }), result: FactoryStatus },
  'factory.hint': { params: z.object({ sandbox: CreateSandboxRequest }), result: FactoryHint },
  ...NetworkMethods,
  'image.list': { params: z.object({}), result: z.array(ImageSummary) },
  'image.inspect': { params: z.object({ image: z.string().min(1).max(4096) }), result: ImageInspect },
  /** Refused (E_INVALID_STATE, naming the containers) while a container uses the image. */
  'image.remove': { params: z.object({ image: z.string().min(1).max(4096) }), result: z.object({ removed: z.string(), freed: PruneResult }) },
  /** An oci-archive or docker-archive on the host running Vessel. */
  'image.import': { params: z.object({ file: z.string().min(1).max(4096), name: z.string().min(1).max(4096).optional() }), result: ImageSummary },
  'device.inventory': { params: z.object({}), result: DeviceInventory },
  /** The exact sysfs writes binding (or restoring) the device's group would make: shown before confirming. */
  'device.plan': { params: z.object({ address: PciAddress, action: z.enum(['bind', 'restore']) }), result: z.object({ group: IommuGroupView, writes: z.array(SysfsWrite) }) },
  /** Give a group back to its host drivers. */
  'device.restore': { params: z.object({ address: PciAddress }), result: IommuGroupView },
  'device.sandboxDevices': { params: z.object({ sandboxId: SandboxId }), result: z.array(SandboxDevice) },
} as const;
export type MethodName = keyof typeof Methods;
export const MethodName = z.enum(Object.keys(Methods) as [MethodName, ...MethodName[]]);
export type MethodParams<M extends MethodName> = z.input<(typeof Methods)[M]['params']>;
export type MethodResult<M extends MethodName> = z.output<(typeof Methods)[M]['result']>;

/** A host-side usage sample for every live sandbox (cheap: /proc only, no agent). */
export const HostUsageTick = z.object({
  at: z.string(),
  sandboxes: z.array(z.object({ id: SandboxId, cpuNs: z.number(), rssBytes: z.number(), pssBytes: z.number().optional(), netBytes: z.number().optional() })),
});
export type HostUsageTick = z.infer<typeof HostUsageTick>;

/** What a console connects to. */
export const ConsoleTarget = z.discriminatedUnion('kind', [
  /** A new shell in a container (exec with a TTY): bash when present, else sh; or a given command. */
  z.object({ kind: z.literal('exec'), sandboxId: SandboxId, container: ContainerRef, args: z.array(z.string()).min(1).optional() }),
  /** The container's main process (its init). */
  z.object({ kind: z.literal('attach'), sandboxId: SandboxId, container: ContainerRef }),
  /** The VM's serial console. */
  z.object({ kind: z.literal('serial'), sandboxId: SandboxId }),
]);
export type ConsoleTarget = z.infer<typeof ConsoleTarget>;

const TermSize = z.object({ rows: z.number().int().min(1).max(1000), cols: z.number().int().min(1).max(1000) });

/** What a create stream carries: boot progress, then the running sandbox. */
export const CreateProgress = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('progress'), phase: ProgressPhase, message: z.string(), at: z.string() }),
  z.object({ kind: z.literal('container'), message: z.string(), at: z.string() }),
  z.object({ kind: z.literal('done'), sandbox: SandboxStatus }),
]);
export type CreateProgress = z.infer<typeof CreateProgress>;

/** What a pull stream carries: progress snapshots, then the image. Closing the stream cancels the pull. */
export const PullItem = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('progress'), progress: PullProgress }),
  z.object({ kind: z.literal('done'), image: ImageSummary }),
]);
export type PullItem = z.infer<typeof PullItem>;

/** Streams: their open parameters and the items they carry. */
export const Streams = {
  /** Create and start a sandbox (and its first container), reporting progress while the VM boots. */
  create: { params: CreateSandboxWithContainer, item: CreateProgress },
  /** Sandbox events (state changes, progress, created/deleted). */
  events: { params: z.object({}), item: SandboxEvent },
  /** Full stats of one sandbox (guest, host process, containers) at the given period. */
  stats: { params: z.object({ sandboxId: SandboxId, periodMs: z.number().int().min(200).max(60_000).default(1000) }), item: SandboxStats },
  /** Host CPU/RSS of every live sandbox's hypervisor process, for list sparklines. */
  usage: { params: z.object({ periodMs: z.number().int().min(200).max(60_000).default(1000) }), item: HostUsageTick },
  /** Assign a host PCI device (its group) to a sandbox, reporting each step. */
  deviceAttach: { params: AttachPciRequest, item: DeviceProgress },
  /** Detach a PCI device (its group) from a sandbox and give it back to the host driver. */
  deviceDetach: { params: z.object({ sandboxId: SandboxId, address: PciAddress, keepVfio: z.boolean().optional() }), item: DeviceProgress },
  /** Hot plug a disk image and mount it into a container. */
  blockAttach: { params: AttachBlockRequest, item: DeviceProgress },
  blockDetach: { params: z.object({ sandboxId: SandboxId, device: z.string().min(1).max(4096) }), item: DeviceProgress },
  /** Console bytes (base64 on the wire). */
  console: { params: z.object({ target: ConsoleTarget, size: TermSize }), item: z.string() },
  /** Pull an image with per-layer progress. */
  pull: { params: PullRequest, item: PullItem },
} as const;
export type StreamName = keyof typeof Streams;
export const StreamName = z.enum(Object.keys(Streams) as [StreamName, ...StreamName[]]);
export type StreamParams<S extends StreamName> = z.input<(typeof Streams)[S]['params']>;
export type StreamItem<S extends StreamName> = z.output<(typeof Streams)[S]['item']>;

/** How a console stream ended: the process exit when there is one. */
export const StreamEnd = z.object({ exit: ProcessExit.optional(), reason: z.string().optional() });
export type StreamEnd = z.infer<typeof StreamEnd>;

const RequestId = z.number().int().nonnegative();

/** Client → server. */
export const ClientMessage = z.discriminatedUnion('t', [
  z.object({ t: z.literal('call'), id: RequestId, method: MethodName, params: z.unknown() }),
  z.object({ t: z.literal('open'), id: RequestId, stream: StreamName, params: z.unknown() }),
  /** Console input: base64 bytes. */
  z.object({ t: z.literal('input'), id: RequestId, data: z.string().max(1 << 20) }),
  z.object({ t: z.literal('resize'), id: RequestId, rows: TermSize.shape.rows, cols: TermSize.shape.cols }),
  /** Consumed: bytes (console) or items (other streams). */
  z.object({ t: z.literal('ack'), id: RequestId, n: z.number().int().positive() }),
  /** Cancel a stream (or abandon a call's reply). */
  z.object({ t: z.literal('close'), id: RequestId }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** Server → client. */
export const ServerMessage = z.discriminatedUnion('t', [
  z.object({ t: z.literal('result'), id: RequestId, value: z.unknown() }),
  z.object({ t: z.literal('error'), id: RequestId, error: SerializedError }),
  /** A stream is open (console: the process is running). */
  z.object({ t: z.literal('opened'), id: RequestId, info: z.record(z.string(), z.string()).optional() }),
  z.object({ t: z.literal('item'), id: RequestId, item: z.unknown() }),
  z.object({ t: z.literal('end'), id: RequestId, end: StreamEnd }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

export { IPC_CHANNEL_TO_MAIN, IPC_CHANNEL_TO_RENDERER } from './channels.js';

/** What the preload script exposes on window.vessel (and nothing else). */
export interface VesselBridge {
  send(message: ClientMessage): void;
  onMessage(listener: (message: ServerMessage) => void): () => void;
}
