import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import {
  CreateSandboxRequest,
  SandboxId,
  VesselError,
  type Accel,
  type CreateSandboxOptions,
  type GuestDetails,
  type HypervisorType,
  type ProgressPhase,
  type SandboxEvent,
  type SandboxState,
  type SandboxStatus,
} from '../contract/index.js';
import { assertTransition } from '../types/index.js';
import { SandboxStore } from '../store/index.js';
import type { Hypervisor, HypervisorConfig, HypervisorState, VmPaths } from '../hypervisor/hypervisor.js';
import { createHypervisor, resolveQemuBinary, vmPathsIn } from '../hypervisor/index.js';
import { footprintSettings } from '../hypervisor/footprint.js';
import { AgentClient, guestImageDir, readGuestManifest } from '../agent/index.js';
import { channelPaths, readClaim, setChannelPaused, startChannelOwner, stopChannelOwner } from '../agent/channel/launch.js';
import { appendEvent, feedPath, FeedFollower, selfOrigin } from '../events/feed.js';
import { JsonLogger } from '../util/log.js';
import { SandboxConfigRecord, SandboxStateRecord, SCHEMA_VERSION, type ContainerRecord } from './records.js';
import { releaseSharedDir } from './container-rootfs.js';
import type { RootfsTransportHooks } from '../image/rootfs-transport.js';
import type { Factory } from '../factory/factory.js';
import type { NetworkManager } from '../network/index.js';
import { configureGuestNetwork, networkStatusOf } from './sandbox-network.js';
import { connectNetwork, disconnectNetwork, networkStats, updatePorts, type NetworkOpsContext } from './network-ops.js';
import type { NicStats, PortMapping } from '../contract/index.js';
import type { SandboxDeviceHooks } from './device-hooks.js';
import { DEFAULT_PCIE_ROOT_PORTS } from '../hypervisor/qemu/root-ports.js';
import type { SnapshotDriver } from '../hypervisor/snapshot.js';
import { checkpointSandbox, restoreSandbox, restoredGuest, type BootRestore, type CheckpointContext, type CheckpointOptions, type CheckpointResult, type RestoreOptions } from './sandbox-checkpoint.js';

export type ProgressListener = (phase: ProgressPhase, message: string) => void;

/** Decides KVM or TCG for a requested accel ('auto' probes). Injected so tests and the CLI share one probe cache. */
export type AccelResolver = (requested: 'auto' | 'kvm' | 'tcg', kernelPath: string, qemuPath: string) => Promise<{ accel: Accel; reason: string }>;

export interface SandboxServiceOptions {
  store: SandboxStore;
  resolveAccel: AccelResolver;
  /** How long to wait for the guest agent after the VM starts. TCG boots take seconds. */
  agentTimeoutMs?: number;
  /** Overrides driver construction (tests use the mock hypervisor). */
  hypervisorFor?: (type: HypervisorType) => Hypervisor;
  env?: NodeJS.ProcessEnv;
  /** The mock hypervisor is for tests only; requests for it are refused unless this is set. */
  allowMockHypervisor?: boolean;
  /** The device manager's sandbox hooks (cold plug at boot, records on stop/delete). */
  devices?: SandboxDeviceHooks;
  /** The VM factory (templates, cache); without one every VM boots directly. QEMU sandboxes only. */
  factory?: Factory;
  /** Share events with other processes through the store's event feed (default true). */
  eventFeed?: boolean;
  /** Sandbox networking (core/network). Without one, sandboxes have loopback only. */
  network?: NetworkManager;
  /** Root filesystem transports (core/image/rootfs-transport.ts); without it, container roots go over 9p. */
  rootfs?: RootfsTransportHooks;
  /** Saving and loading VM state (checkpoint/restore, sandbox-checkpoint.ts); without it both are refused. */
  snapshot?: SnapshotDriver;
}

const LOG_FILE = 'vessel.log';
/** The directory shared with the guest over virtio-9p (tag vessel-shared): container root filesystems live here. */
export const SHARED_DIR = 'shared';
/** How long an unused cached agent connection stays open. */
const AGENT_IDLE_MS = 1_000;

interface CachedAgent {
  key: string;
  client: Promise<AgentClient>;
  users: number;
  idle: NodeJS.Timeout | null;
}

/** A reference to the sandbox's shared agent connection; release() when done with it. */
export interface AgentLease {
  client: AgentClient;
  release(): void;
}

/**
 * The virtcontainers-style sandbox API: create/start/run/stop/pause/resume/
 * delete/status/list/fetch, over a persistent store so any process can pick up
 * sandboxes another one started. Every mutation runs under the sandbox's
 * exclusive lock; QEMU outlives the process that started it.
 */
export class SandboxService {
  private readonly store: SandboxStore;
  private readonly events = new EventEmitter();
  private readonly watchers = new Map<string, () => void>();
  private readonly agentTimeoutMs: number;
  private readonly env: NodeJS.ProcessEnv;
  /**
   * One agent connection per sandbox, shared by every concurrent operation of
   * this process: the virtio-serial port takes one host connection at a time.
   */
  private readonly agents = new Map<string, CachedAgent>();
  private follower: FeedFollower | null = null;

  constructor(private readonly options: SandboxServiceOptions) {
    this.store = options.store;
    this.agentTimeoutMs = options.agentTimeoutMs ?? 120_000;
    this.env = options.env ?? process.env;
    this.events.setMaxListeners(100);
  }

  // ---- events -------------------------------------------------------------

  /** Subscribe to state changes, creations, deletions and progress. Returns an unsubscribe function. */
  subscribe(listener: (event: SandboxEvent) => void): () => void {
    this.events.on('event', listener);
    // Events other processes append to the store's feed reach this process's listeners too.
    if (this.options.eventFeed !== false && !this.follower) this.follower = new FeedFollower(feedPath(this.store.root), (e) => this.events.emit('event', e));
    return () => {
      this.events.off('event', listener);
      if (this.events.listenerCount('event') === 0) {
        this.follower?.close();
        this.follower = null;
      }
    };
  }

  /** Tell listeners here and, through the feed, in every other process. */
  private emit(event: SandboxEvent): void {
    const withOrigin = { ...event, origin: event.origin ?? selfOrigin() };
    this.events.emit('event', withOrigin);
    if (this.options.eventFeed !== false) appendEvent(feedPath(this.store.root), withOrigin);
  }

  /** A container was added, changed state or was removed: listeners (any process) reload it. */
  private announceContainerChanges(id: string, before: ContainerRecord[], after: ContainerRecord[]): void {
    const was = new Map(before.map((c) => [c.id, c.state]));
    for (const c of after) {
      if (was.get(c.id) !== c.state) this.emit({ type: 'container', id, container: c.id, state: c.state, at: now() });
      was.delete(c.id);
    }
    for (const gone of was.keys()) this.emit({ type: 'container', id, container: gone, state: 'deleted', at: now() });
  }

  private progress(id: string, onProgress: ProgressListener | undefined, phase: ProgressPhase, message: string): void {
    this.logger(id).info('runtime', message, { phase });
    onProgress?.(phase, message);
    this.emit({ type: 'progress', id, phase, message, at: now() });
  }

  // ---- lifecycle ----------------------------------------------------------

  /** Create a sandbox: persist its config, boot the VM, wait for the agent, prepare the guest. State: ready. */
  async createSandbox(request: CreateSandboxRequest, onProgress?: ProgressListener): Promise<SandboxStatus> {
    const opts = parseRequest(request);
    const config = await this.buildConfig(opts);
    const id = config.id;
    // One lock for the whole creation, so nobody sees a half-made sandbox as ready.
    await this.store.withLock(id, 'exclusive', async () => {
      await this.store.create(id, config, { ...initialState(), state: 'stopped', stopReason: 'creating' } satisfies SandboxStateRecord);
      this.emit({ type: 'created', id, at: now() });
      this.progress(id, onProgress, 'prepare', `sandbox ${config.name} (${id}) prepared`);
      try {
        if (this.options.network && config.hypervisor !== 'mock') {
          const net = await this.options.network.setupSandbox(id, { ...(opts.network !== undefined ? { network: opts.network } : {}), ...(opts.ports ? { ports: opts.ports } : {}) });
          this.progress(id, onProgress, 'prepare', `network ${net.mode}: ${net.nics.map((n) => `${n.id} ${n.ips.join(',')}`).join('; ') || 'loopback only'}`);
        }
        await this.store.writeState(id, await this.bootVm(config, onProgress));
      } catch (err) {
        // A sandbox that never became ready leaves nothing behind.
        await this.options.network?.teardownSandbox(id).catch(() => undefined);
        await this.store.delete(id).catch(() => undefined);
        this.emit({ type: 'deleted', id, at: now() });
        throw err;
      }
    }, { timeoutMs: 5_000 });
    this.emit({ type: 'state', id, from: null, to: 'ready', at: now() });
    this.progress(id, onProgress, 'done', 'sandbox ready');
    this.watchVm(id);
    return this.statusSandbox(id);
  }

  /** ready→running, or stopped→running (boots the VM again). */
  async startSandbox(id: string, onProgress?: ProgressListener): Promise<SandboxStatus> {
    const from = await this.mutate(id, async (config, state) => {
      assertTransition(state.state, 'running');
      if (state.state === 'stopped') {
        // A boot interrupted earlier may have left its VM behind: never run two.
        if (state.hypervisorState) await this.hypervisor(config).stopVM(state.hypervisorState, { force: true });
        if (this.options.network && config.hypervisor !== 'mock') {
          const skipped = await this.options.network.checkSandbox(id);
          this.progress(id, onProgress, 'prepare', `network checked (CNI CHECK)${skipped.length ? `; ${skipped.join('; ')}` : ''}`);
        }
        const booted = await this.bootVm(config, onProgress);
        // Containers did not survive the VM: they stay listed, stopped.
        return { ...booted, state: 'running', containers: state.containers.map((c) => lostContainer(c, 'the sandbox VM was stopped')) };
      }
      return { ...state, state: 'running', startedAt: state.startedAt ?? now() };
    });
    this.emit({ type: 'state', id, from, to: 'running', at: now() });
    this.watchVm(id);
    return this.statusSandbox(id);
  }

  /** Create and start in one call. */
  async runSandbox(request: CreateSandboxRequest, onProgress?: ProgressListener): Promise<SandboxStatus> {
    const created = await this.createSandbox(request, onProgress);
    return this.startSandbox(created.id, onProgress);
  }

  /** Stop the VM. Graceful by default (agent DestroySandbox, then QMP quit); force kills it. */
  async stopSandbox(id: string, options: { force?: boolean } = {}): Promise<SandboxStatus> {
    const force = options.force ?? false;
    const from = await this.mutate(id, async (config, state) => {
      assertTransition(state.state, 'stopped');
      await this.shutdownVm(config, state, force);
      const containers = state.containers.map((c) => lostContainer(c, 'the sandbox was stopped'));
      await this.options.devices?.vmStopped(id);
      const { agentChannel: _gone, ...rest } = state;
      return { ...rest, state: 'stopped', hypervisorState: null, containers, stoppedAt: now(), stopReason: force ? 'stopped by user (forced)' : 'stopped by user' };
    });
    this.unwatchVm(id);
    this.emit({ type: 'state', id, from, to: 'stopped', at: now() });
    return this.statusSandbox(id);
  }

  async pauseSandbox(id: string): Promise<SandboxStatus> {
    const from = await this.mutate(id, async (config, state) => {
      assertTransition(state.state, 'paused');
      const vm = requireVm(id, state);
      setChannelPaused(vm.paths.runDir, true);
      try {
        await this.hypervisor(config).pauseVM(vm);
      } catch (err) {
        setChannelPaused(vm.paths.runDir, false);
        throw err;
      }
      return { ...state, state: 'paused' };
    });
    this.emit({ type: 'state', id, from, to: 'paused', at: now() });
    return this.statusSandbox(id);
  }

  async resumeSandbox(id: string): Promise<SandboxStatus> {
    const from = await this.mutate(id, async (config, state) => {
      if (state.state !== 'paused') {
        throw new VesselError('E_INVALID_STATE', `cannot resume sandbox ${id}: it is ${state.state}, not paused`, { from: state.state, to: 'running' });
      }
      assertTransition(state.state, 'running');
      const vm = requireVm(id, state);
      await this.hypervisor(config).resumeVM(vm);
      setChannelPaused(vm.paths.runDir, false);
      if (config.hypervisor !== 'mock') await this.syncGuestClock(id, vm);
      return { ...state, state: 'running' };
    });
    this.emit({ type: 'state', id, from, to: 'running', at: now() });
    return this.statusSandbox(id);
  }

  /** Delete a sandbox: refused while running or paused unless forced. Leaves no process, socket or state directory. */
  async deleteSandbox(id: string, options: { force?: boolean } = {}): Promise<void> {
    const force = options.force ?? false;
    this.validateId(id);
    await this.recoverNetwork();
    await this.store.withLock(id, 'exclusive', async () => {
      const config = await this.store.readConfig(id, SandboxConfigRecord);
      let state: SandboxStateRecord | null = null;
      try {
        state = await this.refreshedState(id, config, await this.store.readState(id, SandboxStateRecord));
      } catch (err) {
        // A corrupt state file must not make a sandbox undeletable when forced,
        // nor leave its VM running unseen.
        if (!force) throw err;
        killOrphanQemu(this.store.sandboxDir(id), id);
      }
      if (state && (state.state === 'running' || state.state === 'paused') && !force) {
        throw new VesselError('E_INVALID_STATE', `sandbox ${id} is ${state.state}: stop it first, or delete with --force`, { state: state.state });
      }
      this.dropAgent(id);
      if (state?.hypervisorState) {
        await this.hypervisor(config).stopVM(state.hypervisorState, { force: true });
      }
      await stopChannelOwner(this.store.sandboxDir(id));
      await this.options.rootfs?.vmGone(this.store.sandboxDir(id));
      await this.options.network?.vmGone?.(this.store.sandboxDir(id));
      // Bind-mounted root filesystems must be unmounted first, or deleting the
      // directory would delete the user's files through the mount.
      await releaseSharedDir(path.join(this.store.sandboxDir(id), SHARED_DIR));
      // CNI DEL, links and namespace: after the VM is gone, before the record is (the network record is the journal).
      await this.options.network?.teardownSandbox(id);
      await this.options.devices?.sandboxDeleted(id);
      await this.store.delete(id);
    });
    this.unwatchVm(id);
    this.emit({ type: 'deleted', id, at: now() });
  }

  /**
   * Current status. Reads need no lock (every write is an atomic rename); the
   * lock is taken only to record a VM found dead, or with live=true to ask the
   * guest agent for fresh guest details (the agent channel takes one client).
   */
  async statusSandbox(id: string, options: { live?: boolean } = {}): Promise<SandboxStatus> {
    this.validateId(id);
    const config = await this.store.readConfig(id, SandboxConfigRecord);
    let state = await this.store.readState(id, SandboxStateRecord);
    const vm = state.hypervisorState;
    const dead = vm !== null && state.state !== 'stopped' && !this.hypervisor(config).isAlive(vm);
    const wantLive = Boolean(options.live) && vm !== null && state.state !== 'paused' && config.hypervisor !== 'mock';
    if (dead || wantLive) {
      state = await this.store.withLock(id, 'exclusive', async () => {
        let st = await this.refreshedState(id, config, await this.store.readState(id, SandboxStateRecord));
        if (wantLive && st.hypervisorState && st.state !== 'paused' && st.state !== 'stopped') {
          const guest = await this.queryGuest(id, st.hypervisorState).catch(() => null);
          if (guest) {
            st = { ...st, guest, updatedAt: now() };
            await this.store.writeState(id, st);
          }
        }
        return st;
      }, { purpose: 'status' });
    }
    return { ...toStatus(config, state), network: networkStatusOf(this.options.network, id) };
  }

  async listSandbox(): Promise<SandboxStatus[]> {
    await this.recoverNetwork();
    const ids = await this.store.list();
    const out: SandboxStatus[] = [];
    for (const id of ids) {
      try {
        out.push(await this.statusSandbox(id));
      } catch (err) {
        // One broken sandbox must not hide the others; it is reported by status.
        if (err instanceof VesselError && (err.code === 'E_NOT_FOUND' || err.code === 'E_CORRUPT_STATE' || err.code === 'E_BUSY')) continue;
        throw err;
      }
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Find a sandbox by ID, unique ID prefix or name (as a user types it). */
  async fetchSandbox(ref: string): Promise<SandboxStatus> {
    if (SandboxId.safeParse(ref).success && (await this.store.exists(ref))) return this.statusSandbox(ref);
    const all = await this.listSandbox();
    const byName = all.filter((s) => s.name === ref);
    if (byName.length === 1 && byName[0]) return byName[0];
    const byPrefix = all.filter((s) => s.id.startsWith(ref));
    if (byPrefix.length === 1 && byPrefix[0]) return byPrefix[0];
    if (byPrefix.length > 1) {
      throw new VesselError('E_INVALID_ARGUMENT', `"${ref}" matches ${byPrefix.length} sandboxes: give more of the ID`);
    }
    if (!SandboxId.safeParse(ref).success) {
      throw new VesselError('E_INVALID_ID', `"${ref}" is not a valid sandbox ID or name`);
    }
    throw new VesselError('E_NOT_FOUND', `no sandbox with ID or name "${ref}": 'vessel sandbox list' shows them`);
  }

  // ---- checkpoint and restore (sandbox-checkpoint.ts does the work) --------

  private checkpointOps(): CheckpointContext {
    return {
      store: this.store,
      snapshot: this.options.snapshot,
      network: this.options.network,
      hypervisor: (c) => this.hypervisor(c),
      progress: (id, onProgress, phase, message) => this.progress(id, onProgress, phase, message),
      emit: (e) => this.emit(e),
      watch: (id) => this.watchVm(id),
      unwatch: (id) => this.unwatchVm(id),
      mutate: (id, fn) => this.mutate(id, fn),
      bootVm: (config, onProgress, restore) => this.bootVm(config, onProgress, restore),
      stopVm: async (config, state) => {
        this.dropAgent(config.id);
        await this.shutdownVm(config, state, true);
        await this.options.devices?.vmStopped(config.id);
      },
      syncClock: (id, vm) => this.syncGuestClock(id, vm),
      existingNames: async () => (await this.listSandbox()).map((s) => s.name),
      sharedDir: (id) => path.join(this.store.sandboxDir(id), SHARED_DIR),
      status: (id) => this.statusSandbox(id),
      teardownNetwork: async (id) => {
        await this.options.network?.teardownSandbox(id);
      },
    };
  }

  /** Save the sandbox's VM (memory and devices) to a directory; stopped afterwards unless leaveRunning. */
  checkpointSandbox(id: string, options: CheckpointOptions = {}, onProgress?: ProgressListener): Promise<CheckpointResult> {
    this.validateId(id);
    return checkpointSandbox(this.checkpointOps(), id, options, onProgress);
  }

  /** Bring a checkpoint back: the same sandbox when its ID is free (or it is the one checkpointed and stopped), else a fork. */
  restoreSandbox(dir: string, options: RestoreOptions = {}, onProgress?: ProgressListener): Promise<SandboxStatus> {
    return restoreSandbox(this.checkpointOps(), dir, options, onProgress);
  }

  // ---- networking (network-ops.ts does the work) ---------------------------

  private netOps(): NetworkOpsContext {
    return { service: this, network: this.options.network, hypervisor: (c) => this.hypervisor(c) };
  }

  /** Hot plug a NIC on `network` (or, while stopped, add it for the next boot). */
  connectNetwork(id: string, network: string, onProgress?: ProgressListener): Promise<SandboxStatus> {
    this.validateId(id);
    return connectNetwork(this.netOps(), id, network, onProgress);
  }

  disconnectNetwork(id: string, network: string): Promise<SandboxStatus> {
    this.validateId(id);
    return disconnectNetwork(this.netOps(), id, network);
  }

  updatePorts(id: string, verb: 'add' | 'remove', port: PortMapping): Promise<SandboxStatus> {
    this.validateId(id);
    return updatePorts(this.netOps(), id, verb, port);
  }

  networkStats(id: string): Promise<NicStats[]> {
    this.validateId(id);
    return networkStats(this.netOps(), id);
  }

  // ---- monitoring ---------------------------------------------------------

  /** Watch every sandbox whose VM is alive, so a VM that dies is marked stopped within ~2 s. */
  async startMonitoring(): Promise<void> {
    for (const id of await this.store.list()) this.watchVm(id);
  }

  /** Stop all watchers (the VMs keep running). */
  close(): void {
    for (const stop of this.watchers.values()) stop();
    this.watchers.clear();
    for (const id of [...this.agents.keys()]) this.dropAgent(id);
    this.follower?.close();
    this.follower = null;
  }

  // ---- for the container API (same process) -------------------------------

  /** The host directory shared with the sandbox's guest. */
  sharedDir(id: string): string {
    this.validateId(id);
    return path.join(this.store.sandboxDir(id), SHARED_DIR);
  }

  /**
   * Run fn under the sandbox's exclusive lock with its config and reconciled
   * state; the state fn returns (if any) is saved. Keep fn short: never stream under it.
   */
  async withSandbox<T>(
    id: string,
    fn: (config: SandboxConfigRecord, state: SandboxStateRecord) => Promise<{ state?: SandboxStateRecord; result: T }>,
  ): Promise<T> {
    this.validateId(id);
    return this.store.withLock(id, 'exclusive', async () => {
      const config = await this.store.readConfig(id, SandboxConfigRecord);
      const state = await this.refreshedState(id, config, await this.store.readState(id, SandboxStateRecord));
      const out = await fn(config, state);
      if (out.state) {
        await this.store.writeState(id, { ...out.state, updatedAt: now() });
        this.announceContainerChanges(id, state.containers, out.state.containers);
      }
      return out.result;
    }, { purpose: 'container operation' });
  }

  /** The hypervisor driver of a sandbox (its DeviceDriver plugs devices). */
  hypervisorOf(config: SandboxConfigRecord): Hypervisor {
    return this.hypervisor(config);
  }

  /** The sandbox's run directory (sockets, pidfiles of its helper processes). */
  /** Device nodes a container created in the sandbox now gets from its devices (vfio mode: /dev/vfio/*). */
  containerDeviceNodes(id: string): { containerPath: string; major: number; minor: number; fileMode: number }[] {
    return this.options.devices?.vfioDevicesFor(id) ?? [];
  }

  runDirOf(id: string): string {
    return this.vmPaths(id).runDir;
  }

  /** Config and state without a lock (reads are atomic). */
  async readSandbox(id: string): Promise<{ config: SandboxConfigRecord; state: SandboxStateRecord }> {
    this.validateId(id);
    const config = await this.store.readConfig(id, SandboxConfigRecord);
    const state = await this.store.readState(id, SandboxStateRecord);
    return { config, state };
  }

  /** Borrow the sandbox's shared agent connection (connecting if needed). */
  async leaseAgent(id: string, vm: HypervisorState, connectTimeoutMs = 60_000): Promise<AgentLease> {
    const key = `${vm.paths.agentSocket}:${vm.pid}:${vm.pidStartTime}`;
    let entry = this.agents.get(id);
    if (entry && entry.key !== key) {
      this.dropAgent(id);
      entry = undefined;
    }
    if (!entry) {
      const created: CachedAgent = {
        key,
        client: this.ensureChannel(id, vm).then((socket) => connectAgent(socket, connectTimeoutMs, connectTimeoutMs >= this.agentTimeoutMs)),
        users: 0,
        idle: null,
      };
      entry = created;
      this.agents.set(id, created);
      created.client.catch(() => {
        if (this.agents.get(id) === created) this.agents.delete(id);
      });
    }
    const cached = entry;
    cached.users++;
    if (cached.idle) {
      clearTimeout(cached.idle);
      cached.idle = null;
    }
    let client: AgentClient;
    try {
      client = await cached.client;
    } catch (err) {
      cached.users--;
      throw err;
    }
    let released = false;
    return {
      client,
      release: () => {
        if (released) return;
        released = true;
        cached.users--;
        if (cached.users === 0 && this.agents.get(id) === cached) {
          cached.idle = setTimeout(() => {
            if (this.agents.get(id) === cached && cached.users === 0) this.dropAgent(id);
          }, AGENT_IDLE_MS);
          cached.idle.unref();
        }
      },
    };
  }

  /**
   * The socket of the sandbox's agent channel owner, starting one if none
   * answers (an owner that crashed, or a VM booted by an older Vessel).
   */
  private async ensureChannel(id: string, vm: HypervisorState): Promise<string> {
    const claim = await startChannelOwner({
      sandboxId: id,
      runDir: vm.paths.runDir,
      agentSocket: vm.paths.agentSocket,
      ...(vm.paths.ioSocket ? { ioSocket: vm.paths.ioSocket } : {}),
      qemuPid: vm.pid,
      qemuStartTime: vm.pidStartTime,
      ...(this.options.eventFeed !== false ? { eventFeed: feedPath(this.store.root) } : {}),
    });
    return claim.socket;
  }

  /** fn with the sandbox's shared agent connection. */
  async withAgent<T>(id: string, vm: HypervisorState, fn: (client: AgentClient) => Promise<T>, connectTimeoutMs?: number): Promise<T> {
    const lease = await this.leaseAgent(id, vm, connectTimeoutMs);
    try {
      return await fn(lease.client);
    } finally {
      lease.release();
    }
  }

  /** Close the sandbox's cached agent connection (its VM stopped, or this process is done). */
  dropAgent(id: string): void {
    const entry = this.agents.get(id);
    if (!entry) return;
    this.agents.delete(id);
    if (entry.idle) clearTimeout(entry.idle);
    entry.client.then((c) => c.close(), () => undefined);
  }

  private watchVm(id: string): void {
    if (this.watchers.has(id)) return;
    void (async () => {
      try {
        const config = await this.store.readConfig(id, SandboxConfigRecord);
        const state = await this.store.readState(id, SandboxStateRecord);
        if (!state.hypervisorState || state.state === 'stopped' || this.watchers.has(id)) return;
        const vm = state.hypervisorState;
        const stop = this.hypervisor(config).watch(vm, (reason) => {
          this.watchers.delete(id);
          void this.markDead(id, vm, reason);
        });
        this.watchers.set(id, stop);
      } catch {
        // gone or unreadable: status reports it
      }
    })();
  }

  private unwatchVm(id: string): void {
    this.watchers.get(id)?.();
    this.watchers.delete(id);
  }

  private async markDead(id: string, vm: HypervisorState, reason: string): Promise<void> {
    try {
      let from: SandboxState | null = null;
      await this.store.withLock(id, 'exclusive', async () => {
        const state = await this.store.readState(id, SandboxStateRecord);
        // Only if the record still points at the VM that died (not a newer boot).
        if (state.state === 'stopped' || state.hypervisorState?.pid !== vm.pid || state.hypervisorState.pidStartTime !== vm.pidStartTime) return;
        from = state.state;
        await this.store.writeState(id, deadState(state, reason));
        // passt leaves by itself when QEMU's connection closes (--one-off); this makes sure.
        await this.options.network?.vmGone?.(vm.paths.runDir).catch(() => undefined);
      });
      if (from) {
        this.logger(id).warn('hypervisor', 'VM exited unexpectedly', { reason });
        this.emit({ type: 'state', id, from, to: 'stopped', at: now(), reason });
      }
    } catch {
      // deleted meanwhile
    }
  }

  // ---- internals ----------------------------------------------------------

  private networkRecovery: Promise<void> | null = null;

  /** Once per process: finish or undo network set-ups and tear-downs a killed vessel process left (their journal). */
  private recoverNetwork(): Promise<void> {
    const net = this.options.network;
    if (!net) return Promise.resolve();
    this.networkRecovery ??= (async () => {
      const ids = new Set(await this.store.list());
      const cleaned = await net.recover((id) => ids.has(id)).catch(() => []);
      for (const what of cleaned) this.logger(what.split('/')[0] ?? what).warn('runtime', 'network left half-made by a killed process was cleaned up', { what });
    })();
    return this.networkRecovery;
  }

  private validateId(id: string): void {
    if (!SandboxId.safeParse(id).success) {
      throw new VesselError('E_INVALID_ID', `"${id}" is not a valid sandbox ID (letters, digits, "_" and "-", at most 64)`);
    }
  }

  private logger(id: string): JsonLogger {
    let dir: string | null = null;
    try {
      dir = this.store.sandboxDir(id);
    } catch {
      dir = null;
    }
    return new JsonLogger(dir && existsSync(dir) ? path.join(dir, LOG_FILE) : null, { sandbox: id });
  }

  private hypervisor(config: SandboxConfigRecord): Hypervisor {
    return this.options.hypervisorFor ? this.options.hypervisorFor(config.hypervisor) : createHypervisor(config.hypervisor);
  }

  /** Load config+state, reconcile with the real VM, apply fn under the exclusive lock; returns the state before. */
  private async mutate(
    id: string,
    fn: (config: SandboxConfigRecord, state: SandboxStateRecord) => Promise<SandboxStateRecord>,
  ): Promise<SandboxState> {
    this.validateId(id);
    return this.store.withLock(id, 'exclusive', async () => {
      const config = await this.store.readConfig(id, SandboxConfigRecord);
      const state = await this.refreshedState(id, config, await this.store.readState(id, SandboxStateRecord));
      const next = await fn(config, state);
      await this.store.writeState(id, { ...next, updatedAt: now() });
      return state.state;
    });
  }

  /** If the record says the VM is up but the process is gone (or the pid was reused), it is stopped. Caller holds the lock. */
  private async refreshedState(id: string, config: SandboxConfigRecord, state: SandboxStateRecord): Promise<SandboxStateRecord> {
    if (state.state === 'stopped' || !state.hypervisorState) return state;
    if (this.hypervisor(config).isAlive(state.hypervisorState)) return state;
    const reason = 'the VM process is gone (it exited or was killed)';
    const next = deadState(state, reason);
    await this.store.writeState(id, next);
    this.logger(id).warn('hypervisor', 'VM found dead on status read', { pid: state.hypervisorState.pid });
    this.emit({ type: 'state', id, from: state.state, to: 'stopped', at: now(), reason });
    return next;
  }

  private async buildConfig(opts: CreateSandboxOptions): Promise<SandboxConfigRecord> {
    if (opts.hypervisor === 'mock' && !this.options.allowMockHypervisor) {
      throw new VesselError('E_INVALID_ARGUMENT', 'the mock hypervisor is for tests only: use --hypervisor qemu');
    }
    if (opts.hypervisor !== 'qemu' && opts.hypervisor !== 'mock') {
      // Validates the type early with the driver's own message.
      createHypervisor(opts.hypervisor);
    }
    const id = randomBytes(16).toString('hex');
    const name = opts.name ?? `sandbox-${id.slice(0, 8)}`;
    const existing = await this.listSandbox();
    if (existing.some((s) => s.name === name)) {
      throw new VesselError('E_ALREADY_EXISTS', `a sandbox named "${name}" already exists: pick another --name`);
    }
    const useGuestImage = opts.hypervisor !== 'mock';
    const manifest = useGuestImage ? readGuestManifest(guestImageDir(this.env)) : null;
    const kernelPath = opts.kernel ? path.resolve(opts.kernel) : manifest?.kernelPath ?? '/dev/null';
    const initrdPath = opts.initrd ? path.resolve(opts.initrd) : manifest?.initrdPath;
    for (const [what, file] of [['kernel', kernelPath], ['initrd', initrdPath]] as const) {
      if (file === undefined || !useGuestImage) continue;
      if (!existsSync(file) || !statSync(file).isFile()) {
        throw new VesselError('E_NOT_FOUND', `${what} not found: ${file}`, { [what]: file });
      }
    }
    const hypervisorPath = opts.hypervisor === 'qemu' ? resolveQemuBinary(this.env) : 'mock';
    return {
      schemaVersion: SCHEMA_VERSION,
      id,
      name,
      hypervisor: opts.hypervisor,
      createdAt: now(),
      hypervisorConfig: {
        hypervisorPath,
        machineType: opts.machineType,
        vcpus: opts.vcpus,
        memoryMiB: opts.memoryMiB,
        kernelPath,
        ...(initrdPath ? { initrdPath } : {}),
        // The shared read-only root image (unless the caller brought its own initrd) and the footprint settings.
        ...(manifest?.rootImagePath && !opts.initrd ? { imagePath: manifest.rootImagePath } : {}),
        ...(useGuestImage ? footprintSettings(this.env) : {}),
        kernelParams: [...(manifest?.kernelParams ?? []), ...opts.kernelParams],
        accel: opts.accel,
        ...(opts.machineType === 'q35' ? { pcieRootPorts: opts.pcieRootPorts ?? DEFAULT_PCIE_ROOT_PORTS } : {}),
        ...(opts.sharedMemory ? { sharedMemory: true } : {}),
        ...(opts.maxVcpus !== undefined ? { maxVcpus: opts.maxVcpus } : {}),
        ...(opts.maxMemoryMiB !== undefined ? { maxMemoryMiB: opts.maxMemoryMiB } : {}),
        ...(opts.viommu ? { viommu: true } : {}),
        ...(this.options.rootfs && useGuestImage ? { rootfsTransport: this.options.rootfs.resolve(opts.rootfsTransport, { memoryHotAdd: opts.maxMemoryMiB !== undefined && opts.maxMemoryMiB > opts.memoryMiB }) } : {}),
      },
      agent: { transport: 'virtio-serial' },
    };
  }

  private vmPaths(id: string): VmPaths {
    return vmPathsIn(this.store.sandboxDir(id));
  }

  /** Boot the VM, wait for the agent, prepare the guest. Caller holds the lock. Returns a ready state record. */
  private async bootVm(config: SandboxConfigRecord, onProgress?: ProgressListener, restore?: BootRestore): Promise<SandboxStateRecord> {
    const id = config.id;
    const hc = config.hypervisorConfig;
    const driver = this.hypervisor(config);
    const { accel, reason } = config.hypervisor === 'mock'
      ? { accel: 'tcg' as const, reason: 'mock hypervisor' }
      : await this.options.resolveAccel(hc.accel, hc.kernelPath, hc.hypervisorPath);
    this.progress(id, onProgress, 'hypervisor', `starting ${config.hypervisor} (${accel}: ${reason})`);
    const sharedDir = path.join(this.store.sandboxDir(id), SHARED_DIR);
    mkdirSync(sharedDir, { recursive: true, mode: 0o700 });
    // Devices of an earlier boot (hot plugged ones included) come back by cold plug; block devices do not.
    if (config.hypervisor !== 'mock' && !restore) await this.options.devices?.vmStopped(id);
    // QEMU exports it over virtio-9p (tag vessel-shared); the guest mounts it at CreateSandbox.
    const vmConfig: HypervisorConfig = {
        sharedDir,
        sandboxId: id,
        hypervisorPath: hc.hypervisorPath,
        machineType: hc.machineType,
        vcpus: hc.vcpus,
        memoryMiB: hc.memoryMiB,
        kernelPath: hc.kernelPath,
        ...(hc.initrdPath ? { initrdPath: hc.initrdPath } : {}),
        ...(hc.imagePath ? { imagePath: hc.imagePath } : {}),
        ...(hc.imageDevice ? { imageDevice: hc.imageDevice } : {}),
        ...(hc.balloon ? { balloon: hc.balloon } : {}),
        ...(hc.tcgTbSizeMiB !== undefined ? { tcgTbSizeMiB: hc.tcgTbSizeMiB } : {}),
        kernelParams: hc.kernelParams,
        accel,
        ...(hc.pcieRootPorts !== undefined ? { pcieRootPorts: hc.pcieRootPorts } : {}),
        ...(hc.sharedMemory ? { memoryBackend: { kind: 'memfd' as const, shared: true } } : {}),
        ...(hc.maxVcpus !== undefined ? { maxVcpus: hc.maxVcpus } : {}),
        ...(hc.maxMemoryMiB !== undefined ? { maxMemoryMiB: hc.maxMemoryMiB } : {}),
        ...(this.options.devices && config.hypervisor !== 'mock' && !restore ? { coldPlugDevices: this.options.devices.coldPlugFor(id) } : {}),
        // A restore: every device where it was at the checkpoint, RAM named as it was, waiting for the state stream.
        ...(restore ? restore.vmConfig(hc) : {}),
        ...(hc.viommu || (this.options.devices && config.hypervisor !== 'mock' && this.options.devices.needsViommu(id)) ? { viommu: true } : {}),
    };
    // virtio-fs: virtiofsd serves the shared dir before QEMU connects to it.
    if (this.options.rootfs && hc.rootfsTransport) Object.assign(vmConfig, await this.options.rootfs.beforeBoot(hc.rootfsTransport, this.store.sandboxDir(id), sharedDir));
    const netRec = this.options.network?.read(id) ?? null;
    const net = this.options.network;
    // beforeBoot starts what the NICs need first (passt for user mode); vmGone stops it.
    const vmNetwork = netRec && net ? await (net.beforeBoot ? net.beforeBoot(netRec, this.store.sandboxDir(id)) : net.vmNetwork(netRec)) : undefined;
    // A restore puts each hot-plugged NIC back on the root port it sat on.
    if (vmNetwork) vmConfig.network = restore ? restore.pinNics(vmNetwork) : vmNetwork;
    this.dropAgent(id);
    const bootStarted = Date.now();
    const factory = config.hypervisor === 'qemu' ? this.options.factory : undefined;
    const got = await (restore
      ? restore.start(driver, vmConfig, this.vmPaths(id), (message) => this.progress(id, onProgress, 'hypervisor', message))
      : factory
      ? factory.getVM({
        config: vmConfig,
        paths: this.vmPaths(id),
        driver,
        agent: (vm, fn, timeoutMs) => this.withAgent(id, vm, fn, timeoutMs),
        onProgress: (message) => this.progress(id, onProgress, 'hypervisor', message),
      })
      : driver.startVM(vmConfig, this.vmPaths(id), (phase, message) => this.progress(id, onProgress, phase, message)).then((v) => ({ vm: v, origin: null })))
      .catch(async (err: unknown) => {
        await this.options.rootfs?.vmGone(this.store.sandboxDir(id)).catch(() => undefined);
        await this.options.network?.vmGone?.(this.store.sandboxDir(id)).catch(() => undefined);
        throw err;
      });
    const vm: HypervisorState = got.vm;
    // Record the VM at once: if this process dies while the guest boots, a
    // later delete still finds (and kills) it instead of leaving it orphaned.
    await this.store.writeState(id, {
      ...initialState(), state: 'stopped', stopReason: 'booting (interrupted if this persists)', hypervisorState: vm,
    });
    let guest: GuestDetails | null = null;
    let agentChannel: SandboxStateRecord['agentChannel'];
    try {
      if (config.hypervisor !== 'mock') {
        // The channel owner starts with the VM and lives as long as it: every host client talks through it.
        this.progress(id, onProgress, 'boot', 'starting the agent channel owner');
        const socket = await this.ensureChannel(id, vm);
        const claim = readChannelClaim(vm.paths.runDir);
        if (claim) agentChannel = { pid: claim.pid, pidStartTime: claim.startTime, socket };
        this.progress(id, onProgress, 'boot', 'waiting for the guest agent (the guest kernel is booting)');
        guest = restore
          ? await this.withAgent(id, vm, (client) => restoredGuest(client, restore, { id, name: config.name, dns: netRec?.dns ?? [], shareOnDemand: hc.rootfsTransport === 'block' }), this.agentTimeoutMs)
          : await this.prepareGuest(id, config.name, vm, () => this.progress(id, onProgress, 'agent', 'guest agent answered'), hc.rootfsTransport === 'block');
        if (netRec && netRec.nics.length && !restore) {
          const net = this.options.network;
          await this.withAgent(id, vm, (client) => configureGuestNetwork(client, net ? net.guestConfig(netRec) : { interfaces: [], routes: [], dns: [] }), this.agentTimeoutMs);
          this.progress(id, onProgress, 'guest', `guest network configured (${netRec.nics.map((n) => n.ips.join(',')).join('; ')})`);
        }
        this.progress(id, onProgress, 'guest', `guest ${guest.kernelRelease} up: ${guest.cpus} CPU(s), agent ${guest.agentVersion}`);
        if (this.options.devices && driver.devices && (vmConfig.coldPlugDevices ?? []).length > 0 && !restore) {
          await this.options.devices.vmBooted(id, vm, driver.devices, (pciPath, bindVfio) => this.withAgent(id, vm, (a) => a.describePciDevice(pciPath, bindVfio), this.agentTimeoutMs));
          this.progress(id, onProgress, 'guest', `${vmConfig.coldPlugDevices?.length ?? 0} cold-plugged device(s) in place`);
        }
      }
    } catch (err) {
      this.dropAgent(id);
      await driver.stopVM(vm, { force: true }).catch(() => undefined);
      await stopChannelOwner(vm.paths.runDir).catch(() => undefined);
      await this.options.rootfs?.vmGone(vm.paths.runDir).catch(() => undefined);
      await this.options.network?.vmGone?.(vm.paths.runDir).catch(() => undefined);
      throw err;
    }
    return {
      schemaVersion: SCHEMA_VERSION,
      state: 'ready',
      hypervisorState: vm,
      startedAt: now(),
      stoppedAt: null,
      stopReason: null,
      guest,
      containers: [],
      ...(agentChannel ? { agentChannel } : {}),
      updatedAt: now(),
      vmOrigin: got.origin ? { ...got.origin, bootMs: Date.now() - bootStarted } : { source: 'direct', bootMs: Date.now() - bootStarted },
    };
  }

  private async prepareGuest(id: string, name: string, vm: HypervisorState, onAgentReady: () => void, shareOnDemand = false): Promise<GuestDetails> {
    return this.withAgent(id, vm, async (client) => {
      onAgentReady();
      // Independent requests: HTTP/2 carries them side by side, saving round trips on a slow (TCG) guest.
      // No SetGuestDateTime here: a fresh guest reads the host's time from its RTC; it is needed after a pause.
      const dns = this.options.network?.read(id)?.dns ?? [];
      // Block rootfs: the 9p share is mounted only when a container needs it, so the VM stays checkpointable.
      const [, details] = await Promise.all([client.createSandbox(id, name, dns, shareOnDemand ? { shareOnDemand } : {}), client.getGuestDetails()]);
      return pickGuestDetails(details);
    }, this.agentTimeoutMs);
  }

  /** A paused guest's wall clock fell behind by the pause: set it again. A guest that does not answer only costs a warning. */
  private async syncGuestClock(id: string, vm: HypervisorState): Promise<void> {
    try {
      await this.withAgent(id, vm, (client) => client.setGuestDateTime(new Date()), 5_000);
    } catch (err) {
      this.logger(id).warn('agent', 'could not set the guest clock after resume', { error: String(err) });
    }
  }

  private async queryGuest(id: string, vm: HypervisorState): Promise<GuestDetails> {
    return this.withAgent(id, vm, async (client) => pickGuestDetails(await client.getGuestDetails()), 5_000);
  }

  private async shutdownVm(config: SandboxConfigRecord, state: SandboxStateRecord, force: boolean): Promise<void> {
    const vm = state.hypervisorState;
    if (!vm) return;
    const driver = this.hypervisor(config);
    if (!force && config.hypervisor !== 'mock' && state.state !== 'paused') {
      // Let the guest clean up first; a guest that does not answer is stopped anyway.
      try {
        await this.withAgent(config.id, vm, (client) => client.destroySandbox(config.id), 5_000);
      } catch (err) {
        this.logger(config.id).warn('agent', 'DestroySandbox failed; stopping the VM anyway', { error: String(err) });
      }
    }
    this.dropAgent(config.id);
    await driver.stopVM(vm, { force });
    // The owner leaves by itself when QEMU exits; this makes sure before the state says stopped.
    if (config.hypervisor !== 'mock') await stopChannelOwner(vm.paths.runDir);
    await this.options.rootfs?.vmGone(vm.paths.runDir);
    await this.options.network?.vmGone?.(vm.paths.runDir);
  }
}

/** How long one connection attempt waits for Health.Check before a fresh connection is tried. */
const AGENT_ATTEMPT_MS = 5_000;

/**
 * Connect to the agent. When the previous host process went away mid-frame
 * (QEMU drops what the guest had not read yet), the guest's stream splitter
 * can miss this connection's HTTP/2 preface and stay silent on it; a fresh
 * connection sends a new preface and is heard. So, except while the guest
 * is still booting (one long attempt), attempts are short and repeated.
 */
async function connectAgent(socket: string, timeoutMs: number, booting: boolean): Promise<AgentClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const remaining = deadline - Date.now();
    // Through the channel owner there is no stale connection to escape: one attempt for the whole time.
    const attempt = booting || socket.endsWith('chan.sock') ? remaining : Math.min(remaining, AGENT_ATTEMPT_MS);
    try {
      const ioPath = channelPaths(path.dirname(socket)).ioSocket;
      return await AgentClient.connect({ kind: 'channel', path: socket, ...(existsSync(ioPath) ? { ioPath } : {}) }, { timeoutMs: Math.max(attempt, 1) });
    } catch (err) {
      const retry = err instanceof VesselError && err.code === 'E_TIMEOUT' && deadline - Date.now() > 500;
      if (!retry) {
        if (err instanceof VesselError && err.code === 'E_TIMEOUT') {
          throw new VesselError('E_TIMEOUT', `the guest agent behind ${socket} did not answer within ${Math.round(timeoutMs / 1000)} s: check the guest console log and the sandbox's vessel.log (component "channel")`, err.details);
        }
        throw err;
      }
    }
  }
}

/** A container whose VM went away: stopped, with the reason. */
export function lostContainer(c: ContainerRecord, reason: string): ContainerRecord {
  if (c.state === 'stopped') return c;
  return { ...c, state: 'stopped', finishedAt: now(), exitCode: c.exitCode ?? 255, signal: c.signal ?? 0, error: c.error ?? reason };
}

/**
 * With the state file unreadable, find the VM through the pidfile, and kill
 * it only if that process's command line names this sandbox (-name guest=ID).
 */
function killOrphanQemu(runDir: string, id: string): void {
  try {
    const pid = Number(readFileSync(vmPathsIn(runDir).pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (cmdline.some((arg) => arg.startsWith(`guest=${id},`) || arg === `guest=${id}`)) process.kill(pid, 'SIGKILL');
  } catch {
    // no pidfile or no such process: nothing to kill
  }
}

function readChannelClaim(runDir: string): { pid: number; startTime: number } | null {
  return readClaim(channelPaths(runDir).pidFile);
}

function now(): string {
  return new Date().toISOString();
}

function parseRequest(request: CreateSandboxRequest): CreateSandboxOptions {
  const parsed = CreateSandboxRequest.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.path[0] === 'hypervisor') {
      throw new VesselError('E_INVALID_ARGUMENT', `unknown hypervisor "${String((request as { hypervisor?: unknown }).hypervisor)}": use qemu (firecracker and cloud-hypervisor are planned)`);
    }
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new VesselError('E_INVALID_ARGUMENT', `invalid sandbox request: ${where}${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function initialState(): SandboxStateRecord {
  return {
    schemaVersion: SCHEMA_VERSION,
    state: 'ready',
    hypervisorState: null,
    startedAt: null,
    stoppedAt: null,
    stopReason: null,
    guest: null,
    containers: [],
    updatedAt: now(),
  };
}

function deadState(state: SandboxStateRecord, reason: string): SandboxStateRecord {
  const containers = state.containers.map((c) => lostContainer(c, `the sandbox VM stopped: ${reason}`));
  const { agentChannel: _gone, ...rest } = state;
  return { ...rest, state: 'stopped', hypervisorState: null, containers, stoppedAt: now(), stopReason: reason, updatedAt: now() };
}

function requireVm(id: string, state: SandboxStateRecord): HypervisorState {
  if (!state.hypervisorState) throw new VesselError('E_INVALID_STATE', `sandbox ${id} has no running VM`);
  return state.hypervisorState;
}

function pickGuestDetails(d: GuestDetails): GuestDetails {
  return { kernelRelease: d.kernelRelease, memoryKiB: d.memoryKiB, cpus: d.cpus, agentVersion: d.agentVersion };
}

function toStatus(config: SandboxConfigRecord, state: SandboxStateRecord): SandboxStatus {
  return {
    id: config.id,
    name: config.name,
    state: state.state,
    hypervisor: config.hypervisor,
    pid: state.hypervisorState?.pid ?? null,
    vcpus: config.hypervisorConfig.vcpus,
    memoryMiB: config.hypervisorConfig.memoryMiB,
    machineType: config.hypervisorConfig.machineType,
    accel: state.hypervisorState?.accel ?? null,
    createdAt: config.createdAt,
    startedAt: state.startedAt,
    stoppedAt: state.stoppedAt,
    stopReason: state.stopReason,
    guest: state.guest,
    ...(state.vmOrigin ? { vmOrigin: state.vmOrigin } : {}),
    ...(state.checkpoint ? { checkpoint: state.checkpoint } : {}),
  };
}
