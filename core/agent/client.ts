// Host side of the agent protocol: a gRPC client to the guest agent.
//
// With virtio-serial, QEMU exposes the guest's `vessel.agent` port as a unix
// socket (chardev socket, server=on). Connecting succeeds as soon as QEMU
// runs; bytes sent before the agent opens its port wait in QEMU, so the
// client simply retries Health.Check until it answers or the timeout passes.
// Everything the guest replies is untrusted: sizes are bounded and shapes validated.
import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import { GuestDetails, VesselError, type GuestPciBinding } from '../contract/index.js';
import { AgentTunnel } from './tunnel.js';
import { IoClient, readIoStream } from './channel/io-client.js';
import { trace } from '../util/trace.js';
import type { IoStream } from './proto/io-mux.js';
import {
  interfaceMessage, InterfaceReply, InterfacesReply, NetworkStatsReply, routeMessage, RoutesReply,
  type AgentInterface, type AgentNetworkStats, type AgentRoute, type InterfaceSpec, type RouteSpec,
} from './network-rpc.js';
import { loadAgentProto, type AgentServiceClient, type HealthClient } from './proto/index.js';

/** Where the agent listens, from the host's point of view. */
export type AgentAddress =
  /** A unix socket carrying the agent's byte stream: QEMU's virtio-serial chardev. */
  | { kind: 'unix'; path: string }
  /** The sandbox's agent channel owner (channel/owner.ts): plain HTTP/2 on a unix socket, shared by any number of clients. */
  | { kind: 'channel'; path: string; /** The owner's data-plane socket (framed stdio), when it has one. */ ioPath?: string }
  /** AF_VSOCK (needs /dev/vhost-vsock on the host). */
  | { kind: 'vsock'; cid: number; port: number }
  /** Hybrid vsock (Firecracker, Cloud Hypervisor): a unix socket plus a `CONNECT <port>` handshake. */
  | { kind: 'hvsock'; path: string; port: number };

export interface AgentConnectOptions {
  /** How long to wait for the agent to answer Health.Check (it may still be booting). */
  timeoutMs: number;
  /** Default deadline of each RPC after connecting. */
  rpcTimeoutMs?: number;
  signal?: AbortSignal;
}

/** GetGuestDetails as the host sees it: the contract's GuestDetails plus the guest's monotonic uptime. */
export type AgentGuestDetails = GuestDetails & { uptimeMs: number };

export type AgentHealth = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN';

/** Replies are tiny; anything bigger is a misbehaving guest. */
export const MAX_REPLY_BYTES = 1024 * 1024;
const DEFAULT_RPC_TIMEOUT_MS = 30_000;
const CONNECT_ATTEMPT_MS = 2_000;
/** How long the first connection gets to answer before a fresh one is tried (then twice that, and so on). */
const ROUND_MS = 5_000;

const HealthReply = z.object({ status: z.enum(['SERVING', 'NOT_SERVING', 'UNKNOWN']) });
const VersionReply = z.object({ grpcVersion: z.string().max(64), agentVersion: z.string().max(128) });
const GuestDetailsReply = z.object({
  kernelRelease: z.string().min(1).max(256),
  memTotalKib: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  cpus: z.number().int().min(1).max(4096),
  agentVersion: z.string().max(128),
  uptimeMs: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});
const EmptyReply = z.object({}).loose();
const PciDeviceReply = z.object({ address: z.string().max(32), vendorId: z.string().max(8), deviceId: z.string().max(8), driver: z.string().max(64), blockDevice: z.string().max(32) });
const PciBindingReply = PciDeviceReply.extend({ hasVfioGroup: z.boolean().optional(), vfioGroup: z.number().int().nonnegative().optional(), vfioMajor: z.number().int().nonnegative().optional(), vfioMinor: z.number().int().nonnegative().optional() });
const MountReply = z.object({ blockDevice: z.string().max(32) });

// ---- container RPC bounds and reply shapes ----

/** IDs that name containers and processes in the guest (the guest enforces the same alphabet). */
export const AGENT_CONTAINER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const MAX_OCI_SPEC_BYTES = 1024 * 1024 - 64 * 1024;
export const MAX_PROCESS_JSON_BYTES = 256 * 1024;
export const MAX_RESOURCES_JSON_BYTES = 64 * 1024;
export const MAX_STDIN_WRITE_BYTES = 512 * 1024;
/** Largest read a caller may ask for: the reply must fit MAX_REPLY_BYTES. */
export const MAX_READ_BYTES = 768 * 1024;
export const DEFAULT_READ_BYTES = 256 * 1024;
/** How long one long-poll read waits in the guest before answering empty. */
export const DEFAULT_READ_WAIT_MS = 10_000;

const u64 = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const u32 = z.number().int().nonnegative().max(0xffffffff);
const WaitReply = z.object({ exitStatus: z.number().int().min(-1).max(255 + 128), signal: z.number().int().min(0).max(64), oomKilled: z.boolean(), error: z.string().max(4096) });
const WriteReply = z.object({ len: u32 });
const ReadReply = z.object({ offset: u64, data: z.instanceof(Buffer).refine((b) => b.length <= MAX_READ_BYTES, 'data too large'), eof: z.boolean() });
const StatsReply = z.object({
  cpu: z.object({ usageNs: u64, userNs: u64, systemNs: u64, throttledPeriods: u64, throttledNs: u64 }),
  memory: z.object({ usage: u64, limit: u64, cache: u64, rss: u64, oomKills: u64 }),
  pids: z.object({ current: u64, limit: u64 }),
  blkio: z.array(z.object({ major: u32, minor: u32, readBytes: u64, writeBytes: u64, readIos: u64, writeIos: u64 })).max(256),
});
const GuestIdentityReply = z.object({ hostname: z.string().max(256), machineId: z.string().max(64), bootId: z.string().max(64), urandomSample: z.instanceof(Buffer).refine((b) => b.length <= 64, 'sample too large') });
/** What tells two clones of one template apart (GetGuestIdentity). */
export type AgentGuestIdentity = z.infer<typeof GuestIdentityReply>;
const ProcessesReply = z.object({ processes: z.array(z.object({ pid: z.number().int().min(1).max(0x3fffffff), cmdline: z.string().max(4096) })).max(4096) });

/** How a process ended, as the guest reports it. */
export type AgentExit = z.infer<typeof WaitReply>;
/** A container's resource use from its cgroup v2 files in the guest (limits: 0 = unlimited). */
export type AgentContainerStats = z.infer<typeof StatsReply>;
export interface AgentProcessInfo { pid: number; cmdline: string }
export interface AgentRead { offset: number; data: Buffer; eof: boolean }
export type AgentStreamName = 'stdout' | 'stderr';

export interface CreateContainerParams {
  containerId: string;
  /** Names the container's first process for the process RPCs. */
  execId: string;
  /** The OCI runtime spec (config.json), already converted for the guest; process.terminal asks for a TTY. */
  spec: Record<string, unknown>;
  /** The rootfs directory relative to the sandbox's shared directory, e.g. `<containerId>/rootfs`. */
  rootfs: string;
  /** A block device root instead (block rootfs transport): its guest PCI path and filesystem. */
  rootfsStorage?: { pciPath: string; fsType: 'erofs' | 'ext4' };
}

function checkId(what: string, id: string, allowEmpty = false): void {
  if (allowEmpty && id === '') return;
  if (!AGENT_CONTAINER_ID_PATTERN.test(id)) throw new VesselError('E_INVALID_ID', `invalid ${what} "${id}": 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit`);
}

function jsonBytes(what: string, value: unknown, max: number): Buffer {
  const bytes = Buffer.from(JSON.stringify(value) ?? 'null');
  if (bytes.length > max) throw new VesselError('E_INVALID_ARGUMENT', `${what} is too large (${bytes.length} bytes, limit ${max})`);
  return bytes;
}

type Invoke<T> = (options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, value?: T) => void) => void;

function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How long a process's data-plane output stream may take to end after the process exited before the RPCs finish it. */
const STREAM_END_AFTER_EXIT_MS = 10_000;

export class AgentClient {
  private closed = false;
  /** The data plane (process stdio outside the RPC path), connected on first use; null when there is none. */
  private io: Promise<IoClient | null> | null = null;
  private readonly stdinStreams = new Map<string, IoStream>();

  private constructor(
    private readonly address: AgentAddress,
    private readonly tunnel: AgentTunnel | null,
    private readonly health: HealthClient,
    private readonly agent: AgentServiceClient,
    private readonly rpcTimeoutMs: number,
  ) {}

  /**
   * Connect and wait until the agent answers Health.Check. Throws E_TIMEOUT, E_UNSUPPORTED or E_AGENT.
   *
   * Each round opens a fresh connection: a connection whose first bytes the
   * guest never saw (they were lost, or bytes meant for a previous host
   * reached this one first) would otherwise stay silent until the deadline.
   * Rounds grow longer, so a guest that is merely slow still gets to answer.
   */
  static async connect(address: AgentAddress, options: AgentConnectOptions): Promise<AgentClient> {
    const agentPath = address.kind === 'channel' ? checkAbsolute(address.path) : agentSocketPath(address);
    const deadline = Date.now() + options.timeoutMs;
    let last = 'no answer yet';
    for (let round = 1; ; round++) {
      const remaining = deadline - Date.now();
      if (options.signal?.aborted) throw new VesselError('E_AGENT', `gave up waiting for the guest agent at ${describe(address)}: cancelled`);
      if (remaining <= 0) {
        throw new VesselError('E_TIMEOUT', `the guest agent at ${describe(address)} did not answer within ${Math.round(options.timeoutMs / 1000)} s (${last}); check the guest console log for a boot failure`, { address });
      }
      const client = await AgentClient.open(address, agentPath, options.rpcTimeoutMs ?? DEFAULT_RPC_TIMEOUT_MS);
      try {
        // Through the channel owner a connection is never stale: one long round (the owner queues calls until the guest answers).
        const roundMs = address.kind === 'channel' ? remaining : Math.min(remaining, ROUND_MS * round);
        const answered = await client.waitUntilServing(Date.now() + roundMs, options.signal, address.kind === 'channel' ? roundMs : CONNECT_ATTEMPT_MS);
        if (answered === true) return client;
        last = answered;
      } catch (err) {
        client.close();
        throw err;
      }
      client.close();
    }
  }

  private static async open(address: AgentAddress, agentPath: string, rpcTimeoutMs: number): Promise<AgentClient> {
    // The channel owner speaks HTTP/2 directly; QEMU's raw socket needs the hello tunnel.
    const tunnel = address.kind === 'channel' ? null : await AgentTunnel.open(agentPath);
    const target = `unix://${tunnel ? tunnel.localPath : agentPath}`;
    const proto = loadAgentProto().vessel.agent.v1;
    const channelOptions: grpc.ChannelOptions = {
      'grpc.max_receive_message_length': MAX_REPLY_BYTES,
      'grpc.max_send_message_length': MAX_REPLY_BYTES,
      // The socket appears when QEMU starts: notice it quickly.
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 500,
      'grpc.enable_retries': 0,
      // A channel of its own: never share a subchannel (and its connection) with another client.
      'grpc.use_local_subchannel_pool': 1,
      // The agent link is slow to round-trip under TCG: with HTTP/2's default
      // 64 KiB window, a large output read waits on WINDOW_UPDATEs. Let the
      // guest send a whole read reply (and a few in flight) at once.
      'grpc-node.flow_control_window': 4 * 1024 * 1024,
    };
    const health = new proto.Health(target, grpc.credentials.createInsecure(), channelOptions);
    const agent = new proto.AgentService(target, grpc.credentials.createInsecure(), { ...channelOptions, channelOverride: health.getChannel() });
    return new AgentClient(address, tunnel, health, agent, rpcTimeoutMs);
  }

  /** True once the agent answers SERVING before `deadline`; otherwise what was last seen. */
  private async waitUntilServing(deadline: number, signal?: AbortSignal, attemptMs = CONNECT_ATTEMPT_MS): Promise<true | string> {
    let last = 'no answer yet';
    for (;;) {
      if (signal?.aborted) throw new VesselError('E_AGENT', `gave up waiting for the guest agent at ${this.where()}: cancelled`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) return last;
      try {
        // waitForReady: while the socket is missing (QEMU starting), wait inside the attempt instead of failing at once.
        const status = await this.callRaw('Check', HealthReply, (o, cb) => this.health.Check({ service: '' }, new grpc.Metadata({ waitForReady: true }), o, cb), Math.min(remaining, attemptMs));
        if (status.status === 'SERVING') return true;
        last = `agent reports ${status.status}`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
        if (err instanceof VesselError && err.code === 'E_AGENT' && err.details?.grpcCode === undefined) throw err; // malformed reply
      }
      await sleep(Math.min(50, Math.max(0, deadline - Date.now())));
    }
  }

  async check(): Promise<AgentHealth> {
    return (await this.call('Check', HealthReply, (o, cb) => this.health.Check({ service: '' }, o, cb))).status;
  }

  async version(): Promise<{ agentVersion: string; grpcVersion: string }> {
    return this.call('Version', VersionReply, (o, cb) => this.health.Version({ service: '' }, o, cb));
  }

  async getGuestDetails(): Promise<AgentGuestDetails> {
    const d = await this.call('GetGuestDetails', GuestDetailsReply, (o, cb) => this.agent.GetGuestDetails({}, o, cb));
    return { kernelRelease: d.kernelRelease, memoryKiB: d.memTotalKib, cpus: d.cpus, agentVersion: d.agentVersion, uptimeMs: d.uptimeMs };
  }

  async createSandbox(sandboxId: string, hostname: string, dns: string[] = [], options: { shareOnDemand?: boolean; previousSandboxId?: string } = {}): Promise<void> {
    await this.call('CreateSandbox', EmptyReply, (o, cb) => this.agent.CreateSandbox({ sandboxId, hostname, dns, ...options }, o, cb));
  }

  // ---- network (Kata's RPC names; shapes in network-rpc.ts) ----

  async updateInterface(i: InterfaceSpec): Promise<AgentInterface> {
    return this.call('UpdateInterface', InterfaceReply, (o, cb) => this.agent.UpdateInterface({ interface: interfaceMessage(i) }, o, cb));
  }

  async updateRoutes(routes: RouteSpec[]): Promise<AgentRoute[]> {
    return (await this.call('UpdateRoutes', RoutesReply, (o, cb) => this.agent.UpdateRoutes({ routes: { Routes: routes.map(routeMessage) } }, o, cb))).Routes;
  }

  async listInterfaces(): Promise<AgentInterface[]> {
    return (await this.call('ListInterfaces', InterfacesReply, (o, cb) => this.agent.ListInterfaces({}, o, cb))).Interfaces;
  }

  async listRoutes(): Promise<AgentRoute[]> {
    return (await this.call('ListRoutes', RoutesReply, (o, cb) => this.agent.ListRoutes({}, o, cb))).Routes;
  }

  async addArpNeighbors(neighbors: { ip: string; mac: string; device: string }[]): Promise<void> {
    const ARPNeighbors = neighbors.map((n) => ({ toIPAddress: { family: 'v4' as const, address: n.ip, mask: '32' }, device: n.device, lladdr: n.mac, state: 0, flags: 0 }));
    await this.call('AddARPNeighbors', EmptyReply, (o, cb) => this.agent.AddARPNeighbors({ neighbors: { ARPNeighbors } }, o, cb));
  }

  async listNetworkStats(): Promise<AgentNetworkStats[]> {
    return (await this.call('ListNetworkStats', NetworkStatsReply, (o, cb) => this.agent.ListNetworkStats({}, o, cb))).stats;
  }

  async destroySandbox(sandboxId: string): Promise<void> {
    await this.call('DestroySandbox', EmptyReply, (o, cb) => this.agent.DestroySandbox({ sandboxId }, o, cb));
  }

  async setGuestDateTime(date: Date): Promise<void> {
    const ms = date.getTime();
    if (!Number.isFinite(ms) || ms < 0) throw new VesselError('E_INVALID_ARGUMENT', 'guest date must be a valid date after 1970');
    const sec = Math.floor(ms / 1000);
    const usec = (ms - sec * 1000) * 1000;
    await this.call('SetGuestDateTime', EmptyReply, (o, cb) => this.agent.SetGuestDateTime({ sec, usec }, o, cb));
  }

  // ---- devices ----

  /** Where the guest sees a hot-plugged PCI device (waits up to timeoutMs for it to appear). */
  async findPciDevice(pciPath: string, timeoutMs = 15_000): Promise<{ address: string; vendorId: string; deviceId: string; driver: string; blockDevice: string }> {
    return this.call('FindPciDevice', PciDeviceReply, (o, cb) => this.agent.FindPciDevice({ pciPath, timeoutMs }, o, cb), timeoutMs + 10_000);
  }

  /**
   * What the guest made of the PCI device at pciPath; bindVfio (Kata's vfio mode):
   * the agent binds it to the guest's vfio-pci first and reports its VFIO group.
   */
  async describePciDevice(pciPath: string, bindVfio: boolean, timeoutMs = 15_000): Promise<GuestPciBinding> {
    const r = await this.call('FindPciDevice', PciBindingReply, (o, cb) => this.agent.FindPciDevice({ pciPath, timeoutMs, bindVfio }, o, cb), timeoutMs + 20_000);
    const group = r.hasVfioGroup ? (r.vfioGroup ?? 0) : null;
    return { address: r.address, driver: r.driver, vfioGroup: group, vfioDevice: group === null ? null : { major: r.vfioMajor ?? 0, minor: r.vfioMinor ?? 0 } };
  }

  /** Mount the block device at pciPath into a running container at mountPoint. Returns the guest's name for it (vdb…). */
  async mountBlockDevice(p: { containerId: string; pciPath: string; mountPoint: string; readOnly: boolean; fsType?: string; timeoutMs?: number }): Promise<string> {
    checkId('container ID', p.containerId);
    const timeoutMs = p.timeoutMs ?? 20_000;
    const r = await this.call('MountBlockDevice', MountReply, (o, cb) => this.agent.MountBlockDevice({ containerId: p.containerId, pciPath: p.pciPath, mountPoint: p.mountPoint, readOnly: p.readOnly, fsType: p.fsType ?? 'ext4', timeoutMs }, o, cb), timeoutMs + 10_000);
    return r.blockDevice;
  }

  async unmountBlockDevice(containerId: string, mountPoint: string): Promise<void> {
    checkId('container ID', containerId);
    await this.call('UnmountBlockDevice', EmptyReply, (o, cb) => this.agent.UnmountBlockDevice({ containerId, mountPoint }, o, cb), 30_000);
  }

  // ---- VM factory: clone uniqueness ----

  async reseedRandomDev(data: Buffer): Promise<void> {
    if (data.length < 16 || data.length > 4096) throw new VesselError('E_INVALID_ARGUMENT', 'entropy for the guest must be 16-4096 bytes');
    await this.call('ReseedRandomDev', EmptyReply, (o, cb) => this.agent.ReseedRandomDev({ data }, o, cb));
  }

  async setGuestIdentity(machineId: string): Promise<void> {
    if (!/^[0-9a-f]{32}$/.test(machineId)) throw new VesselError('E_INVALID_ARGUMENT', 'a machine-id is 32 lowercase hex digits');
    await this.call('SetGuestIdentity', EmptyReply, (o, cb) => this.agent.SetGuestIdentity({ machineId }, o, cb));
  }

  async getGuestIdentity(): Promise<AgentGuestIdentity> {
    return this.call('GetGuestIdentity', GuestIdentityReply, (o, cb) => this.agent.GetGuestIdentity({}, o, cb));
  }

  async onlineCpuMem(nbCpus: number, options: { cpuOnly?: boolean } = {}): Promise<void> {
    await this.call('OnlineCPUMem', EmptyReply, (o, cb) => this.agent.OnlineCPUMem({ wait: true, nbCpus, cpuOnly: options.cpuOnly ?? false }, o, cb));
  }

  // ---- containers ----

  async createContainer(p: CreateContainerParams, timeoutMs = 120_000): Promise<void> {
    checkId('container ID', p.containerId);
    checkId('exec ID', p.execId);
    const ociSpecJson = jsonBytes('OCI spec', p.spec, MAX_OCI_SPEC_BYTES);
    await this.call('CreateContainer', EmptyReply, (o, cb) => this.agent.CreateContainer({ containerId: p.containerId, execId: p.execId, ociSpecJson, rootfs: p.rootfs, ...(p.rootfsStorage ? { rootfsStorage: { driver: 'blk', source: p.rootfsStorage.pciPath, fstype: p.rootfsStorage.fsType } } : {}) }, o, cb), timeoutMs);
  }

  async startContainer(containerId: string): Promise<void> {
    checkId('container ID', containerId);
    await this.call('StartContainer', EmptyReply, (o, cb) => this.agent.StartContainer({ containerId }, o, cb), 60_000);
  }

  /** Refused by the guest while the container runs unless force (then its processes are killed first). */
  async removeContainer(containerId: string, options: { force?: boolean } = {}): Promise<void> {
    checkId('container ID', containerId);
    await this.call('RemoveContainer', EmptyReply, (o, cb) => this.agent.RemoveContainer({ containerId, force: options.force ?? false }, o, cb), 60_000);
  }

  async pauseContainer(containerId: string): Promise<void> {
    checkId('container ID', containerId);
    await this.call('PauseContainer', EmptyReply, (o, cb) => this.agent.PauseContainer({ containerId }, o, cb));
  }

  async resumeContainer(containerId: string): Promise<void> {
    checkId('container ID', containerId);
    await this.call('ResumeContainer', EmptyReply, (o, cb) => this.agent.ResumeContainer({ containerId }, o, cb));
  }

  async statsContainer(containerId: string): Promise<AgentContainerStats> {
    checkId('container ID', containerId);
    return this.call('StatsContainer', StatsReply, (o, cb) => this.agent.StatsContainer({ containerId }, o, cb));
  }

  async listProcesses(containerId: string): Promise<AgentProcessInfo[]> {
    checkId('container ID', containerId);
    return (await this.call('ListProcesses', ProcessesReply, (o, cb) => this.agent.ListProcesses({ containerId }, o, cb))).processes;
  }

  /** resources: an OCI linux.resources object. */
  async updateContainer(containerId: string, resources: Record<string, unknown>): Promise<void> {
    checkId('container ID', containerId);
    const resourcesJson = jsonBytes('resources', resources, MAX_RESOURCES_JSON_BYTES);
    await this.call('UpdateContainer', EmptyReply, (o, cb) => this.agent.UpdateContainer({ containerId, resourcesJson }, o, cb));
  }

  /** process: an OCI process object (args, env, cwd, user, terminal, consoleSize, ...). */
  async execProcess(containerId: string, execId: string, process: Record<string, unknown>): Promise<void> {
    checkId('container ID', containerId);
    checkId('exec ID', execId);
    const processJson = jsonBytes('process', process, MAX_PROCESS_JSON_BYTES);
    await this.call('ExecProcess', EmptyReply, (o, cb) => this.agent.ExecProcess({ containerId, execId, processJson }, o, cb), 60_000);
  }

  /** execId '' = the container's init process; all: every process of the container (init only). */
  async signalProcess(containerId: string, execId: string, signal: number, options: { all?: boolean } = {}): Promise<void> {
    checkId('container ID', containerId);
    checkId('exec ID', execId, true);
    if (!Number.isInteger(signal) || signal < 1 || signal > 64) throw new VesselError('E_INVALID_ARGUMENT', `signal must be a number from 1 to 64, got ${String(signal)}`);
    await this.call('SignalProcess', EmptyReply, (o, cb) => this.agent.SignalProcess({ containerId, execId, signal, all: options.all ?? false }, o, cb));
  }

  /** Resolves when the process ends. No deadline unless timeoutMs is given. */
  async waitProcess(containerId: string, execId: string, options: { timeoutMs?: number } = {}): Promise<AgentExit> {
    checkId('container ID', containerId);
    checkId('exec ID', execId, true);
    return this.call('WaitProcess', WaitReply, (o, cb) => this.agent.WaitProcess({ containerId, execId }, o, cb), options.timeoutMs ?? Infinity);
  }

  async ttyWinResize(containerId: string, execId: string, rows: number, columns: number): Promise<void> {
    checkId('container ID', containerId);
    checkId('exec ID', execId, true);
    for (const [k, v] of [['rows', rows], ['columns', columns]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 65535) throw new VesselError('E_INVALID_ARGUMENT', `${k} must be a whole number from 1 to 65535, got ${String(v)}`);
    }
    await this.call('TtyWinResize', EmptyReply, (o, cb) => this.agent.TtyWinResize({ containerId, execId, rows, columns }, o, cb));
  }

  /**
   * Writes all of data; resolves with the bytes written. Through the data
   * plane when there is one (a stdin stream per process, bytes sent as they
   * come, in order), else in WriteStdin calls of MAX_STDIN_WRITE_BYTES.
   */
  async writeStdin(containerId: string, execId: string, data: Buffer): Promise<number> {
    checkId('container ID', containerId);
    checkId('exec ID', execId, true);
    if (data.length > 0) {
      const s = await this.stdinStream(containerId, execId);
      if (s) {
        try {
          await s.writeAll(data);
          return data.length;
        } catch {
          // The stream failed (the channel owner restarted, the process is gone): the RPC says which.
          this.stdinStreams.delete(`${containerId}/${execId}`);
        }
      }
    }
    let written = 0;
    for (let at = 0; at < data.length || (at === 0 && data.length === 0); at += MAX_STDIN_WRITE_BYTES) {
      const chunk = data.subarray(at, at + MAX_STDIN_WRITE_BYTES);
      const r = await this.call('WriteStdin', WriteReply, (o, cb) => this.agent.WriteStdin({ containerId, execId, data: chunk }, o, cb));
      if (r.len !== chunk.length) throw new VesselError('E_AGENT', `guest agent wrote ${r.len} of ${chunk.length} stdin bytes`);
      written += r.len;
      if (data.length === 0) break;
    }
    return written;
  }

  /** Ends the process's stdin (for a TTY: sends the EOF character). */
  async closeStdin(containerId: string, execId: string): Promise<void> {
    checkId('container ID', containerId);
    checkId('exec ID', execId, true);
    const key = `${containerId}/${execId}`;
    const s = this.stdinStreams.get(key);
    if (s && !s.done) {
      // After the bytes already sent on it: the guest closes stdin when the stream's CLOSE arrives.
      this.stdinStreams.delete(key);
      const closed = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), this.rpcTimeoutMs);
        s.once('end', () => { clearTimeout(timer); resolve(true); });
        s.once('error', () => { clearTimeout(timer); resolve(false); });
      });
      s.close();
      if (await closed) return;
    }
    await this.call('CloseStdin', EmptyReply, (o, cb) => this.agent.CloseStdin({ containerId, execId }, o, cb));
  }

  /**
   * One long-poll read of a process's output from `offset` (what the caller
   * has already received; the guest releases what lies before it). Returns
   * empty data when nothing arrived within waitMs; eof once the stream ended
   * and all of it was delivered. A TTY process has only stdout.
   */
  async readOutput(containerId: string, execId: string, stream: AgentStreamName, options: { offset?: number; maxBytes?: number; waitMs?: number } = {}): Promise<AgentRead> {
    checkId('container ID', containerId);
    checkId('exec ID', execId, true);
    const offset = options.offset ?? 0;
    const maxBytes = options.maxBytes ?? DEFAULT_READ_BYTES;
    const waitMs = options.waitMs ?? DEFAULT_READ_WAIT_MS;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new VesselError('E_INVALID_ARGUMENT', 'read offset must be a non-negative integer');
    if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_READ_BYTES) throw new VesselError('E_INVALID_ARGUMENT', `maxBytes must be 1..${MAX_READ_BYTES}`);
    if (!Number.isInteger(waitMs) || waitMs < 0 || waitMs > 60_000) throw new VesselError('E_INVALID_ARGUMENT', 'waitMs must be 0..60000');
    const req = { containerId, execId, offset, maxBytes, waitMs };
    const rpc = stream === 'stdout' ? 'ReadStdout' : 'ReadStderr';
    const invoke: Invoke<unknown> = stream === 'stdout' ? (o, cb) => this.agent.ReadStdout(req, o, cb) : (o, cb) => this.agent.ReadStderr(req, o, cb);
    const r = await this.call(rpc, ReadReply, invoke, waitMs + this.rpcTimeoutMs);
    if (r.offset < offset || r.data.length > maxBytes) throw new VesselError('E_AGENT', `the guest agent sent a malformed ${rpc} reply (offset ${r.offset} for a read from ${offset}, ${r.data.length} bytes for at most ${maxBytes})`);
    return r;
  }

  /**
   * A process's output as an async iterator of chunks, from `offset` (0 =
   * everything the guest still holds) until the stream ends. Stops early when
   * the signal aborts. Each chunk is acknowledged by the next read, so a
   * reply lost in transit is read again rather than lost.
   */
  async *readStream(containerId: string, execId: string, stream: AgentStreamName, options: { offset?: number; signal?: AbortSignal; exited?: Promise<unknown> } = {}): AsyncGenerator<Buffer, void, undefined> {
    let offset = options.offset ?? 0;
    // Output over the data plane unless VESSEL_DATA_PLANE_READS=0 (then every chunk is a ReadStdout/ReadStderr RPC).
    const io = process.env.VESSEL_DATA_PLANE_READS === '0' ? null : await this.ioClient();
    if (io) {
      // The data plane: the guest pushes output as far as our credit goes, no call per chunk.
      checkId('container ID', containerId);
      checkId('exec ID', execId, true);
      const s = io.open({ op: 'read', containerId, execId, stream, offset });
      trace(`${stream}: data plane stream ${s.id}`);
      // Once the process has exited its output ends within moments; a stream that does not is
      // finished through the RPCs, which read the guest's buffer directly (never a hang on the data plane).
      const giveUp = new AbortController();
      let timer: NodeJS.Timeout | null = null;
      void options.exited?.then(() => {
        // The stream may well have ended first: then no timer (one would keep a finished command alive 10 s).
        if (giveUp.signal.aborted) return;
        timer = setTimeout(() => giveUp.abort(), STREAM_END_AFTER_EXIT_MS);
        timer.unref();
      }, () => undefined);
      let r: { offset: number; done: boolean; error?: string };
      try {
        r = yield* readIoStream(s, offset, options.signal, giveUp.signal);
      } finally {
        if (timer) clearTimeout(timer);
        giveUp.abort();
      }
      if (r.done) return;
      // The stream failed: carry on from where it got to through the RPCs (which also report a guest's verdict as a typed error).
      trace(`${stream}: data plane failed at ${r.offset} (${r.error ?? ''}); RPC reads`);
      offset = r.offset;
    }
    for (;;) {
      if (options.signal?.aborted) return;
      // As much as a reply may carry: under TCG each RPC costs tens of ms in the guest, so fewer, fuller reads stream faster.
      const r = await this.readOutput(containerId, execId, stream, { offset, maxBytes: MAX_READ_BYTES });
      if (r.data.length > 0) {
        offset = r.offset + r.data.length;
        yield r.data;
      }
      if (r.eof) return;
    }
  }

  /**
   * The host's reader of a process's output is gone for good (`vessel exec … |
   * head`): the guest ends that output as a closed pipe here would end it
   * (the process's writes fail with EPIPE and raise SIGPIPE; guest/shutrd/
   * has the one difference); a terminal hangs up. Needs the data plane
   * (E_UNSUPPORTED without one); a guest agent older than this operation
   * refuses it (E_AGENT).
   */
  async closeOutput(containerId: string, execId: string, stream: AgentStreamName): Promise<void> {
    checkId('container ID', containerId);
    checkId('exec ID', execId, true);
    const io = await this.ioClient();
    if (!io) throw new VesselError('E_UNSUPPORTED', 'closing a process\'s output needs the data plane (the agent channel owner\'s io socket)');
    const s = io.open({ op: 'close-output', containerId, execId, stream }, 0);
    await new Promise<void>((resolve, reject) => {
      s.on('end', () => {
        s.close();
        resolve();
      });
      s.on('error', (err) => reject(new VesselError('E_AGENT', `closing ${stream} of process ${execId || containerId}: ${err.message}`)));
    });
  }

  /** The data plane, when the channel owner has one (connected once, on first use). */
  private ioClient(): Promise<IoClient | null> {
    if (this.address.kind !== 'channel' || !this.address.ioPath || this.closed) return Promise.resolve(null);
    const ioPath = this.address.ioPath;
    if (!this.io) this.io = IoClient.connect(ioPath).catch(() => null);
    return this.io.then((c) => (c?.usable ? c : null));
  }

  private async stdinStream(containerId: string, execId: string): Promise<IoStream | null> {
    const key = `${containerId}/${execId}`;
    const open = this.stdinStreams.get(key);
    if (open && !open.done) return open;
    const io = await this.ioClient();
    if (!io) return null;
    const s = io.open({ op: 'stdin', containerId, execId });
    s.on('error', () => {
      if (this.stdinStreams.get(key) === s) this.stdinStreams.delete(key);
    });
    this.stdinStreams.set(key, s);
    return s;
  }

  /** Close the connection. The guest agent keeps running and accepts the next host. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.io?.then((c) => c?.close());
    this.health.close();
    this.tunnel?.close();
  }

  private where(): string {
    return describe(this.address);
  }

  private call<T>(rpc: string, schema: z.ZodType<T>, invoke: Invoke<unknown>, timeoutMs = this.rpcTimeoutMs): Promise<T> {
    if (this.closed) return Promise.reject(new VesselError('E_INVALID_STATE', `agent client for ${this.where()} is closed`));
    return this.callRaw(rpc, schema, invoke, timeoutMs);
  }

  private callRaw<T>(rpc: string, schema: z.ZodType<T>, invoke: Invoke<unknown>, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      invoke({ deadline: Date.now() + timeoutMs }, (err, value) => {
        if (err) {
          reject(agentError(rpc, err, timeoutMs));
          return;
        }
        const parsed = schema.safeParse(value);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          reject(new VesselError('E_AGENT', `the guest agent sent a malformed ${rpc} reply (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}); the guest image may not match this Vessel version (run npm run build:guest)`));
          return;
        }
        resolve(parsed.data);
      });
    });
  }
}

function agentError(rpc: string, err: unknown, timeoutMs: number): VesselError {
  if (!isServiceError(err)) return new VesselError('E_AGENT', `guest agent ${rpc} failed: ${String(err)}`, { grpcCode: -1 });
  const details = { rpc, grpcCode: err.code };
  const text = (err.details || err.message).slice(0, 500);
  switch (err.code) {
    case grpc.status.DEADLINE_EXCEEDED:
      return new VesselError('E_TIMEOUT', `guest agent ${rpc} did not answer within ${Math.round(timeoutMs / 1000)} s`, details);
    case grpc.status.UNAVAILABLE:
      return new VesselError('E_AGENT', `guest agent unreachable during ${rpc}: ${text} (is the VM running?)`, details);
    case grpc.status.UNIMPLEMENTED:
      return new VesselError('E_AGENT', `the guest agent does not implement ${rpc}; rebuild the guest image (npm run build:guest)`, details);
    case grpc.status.RESOURCE_EXHAUSTED:
      return new VesselError('E_AGENT', `guest agent ${rpc} reply was too large (limit ${MAX_REPLY_BYTES} bytes)`, details);
    // The guest's verdicts on a request, with its message (unknown container, wrong state, bad input).
    case grpc.status.NOT_FOUND:
      return new VesselError('E_NOT_FOUND', text, details);
    case grpc.status.FAILED_PRECONDITION:
      return new VesselError('E_INVALID_STATE', text, details);
    case grpc.status.INVALID_ARGUMENT:
      return new VesselError('E_INVALID_ARGUMENT', text, details);
    case grpc.status.ALREADY_EXISTS:
      return new VesselError('E_ALREADY_EXISTS', text, details);
    default:
      return new VesselError('E_AGENT', `guest agent ${rpc} failed: ${text}`, details);
  }
}

function describe(address: AgentAddress): string {
  return address.kind === 'unix' || address.kind === 'channel' ? address.path : `${address.kind}:${address.port}`;
}

function checkAbsolute(p: string): string {
  if (!p.startsWith('/')) throw new VesselError('E_INVALID_ARGUMENT', `agent socket path must be absolute: ${p}`);
  return p;
}

/** The unix socket that carries the agent's byte stream (the only transport so far). */
function agentSocketPath(address: Exclude<AgentAddress, { kind: 'channel' }>): string {
  switch (address.kind) {
    case 'unix':
      return checkAbsolute(address.path);
    case 'vsock':
      throw new VesselError('E_UNSUPPORTED', 'vsock agent transport is not implemented: Node has no AF_VSOCK sockets (needs a native addon or a helper process), and this host has no /dev/vhost-vsock; use virtio-serial');
    case 'hvsock':
      throw new VesselError('E_UNSUPPORTED', 'hybrid vsock agent transport (Firecracker/Cloud Hypervisor CONNECT handshake) is not implemented yet; use virtio-serial with QEMU');
  }
}
