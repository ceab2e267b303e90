import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  CreateContainerRequest,
  VesselError,
  type ContainerStats,
  type ContainerStatus,
  type ExecSyncResult,
  type ProcessExit,
  type RootfsMode,
  type SandboxStats,
} from '../contract/index.js';
import type { AgentClient, AgentContainerStats, AgentExit, AgentProcessInfo } from '../agent/client.js';
import type { HypervisorState } from '../hypervisor/hypervisor.js';
import { CONTAINER_ID_PATTERN } from '../oci/index.js';
import { readProcUsage } from '../util/proc.js';
import { hostMemoryOf } from '../util/pss.js';
import { placeRootfs, removeContainerDir } from './container-rootfs.js';
import { plugBlockRoot, unplugBlockRoot, usesBlockRoot, type BlockRoot } from './container-block-rootfs.js';
import { resolveSource, mergeEnv, DEFAULT_PATH, type ResolvedSource } from './container-spec.js';
import { ensureMountPoints, resolveImageSource } from './container-image.js';
import { placeImageRootfs, type ImageProvider } from '../image/index.js';
import { parseDeviceSpec, withDevices } from '../device/generic-device.js';
import { assertContainerTransition, exitFields } from './container-state.js';
import type { ContainerRecord, SandboxStateRecord } from './records.js';
import type { SandboxService } from './sandbox-service.js';
import { parseSignal } from './signals.js';

/** Linux USER_HZ: /proc/PID/stat counts CPU time in these. */
const CLOCK_TICKS_PER_SECOND = 100;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;

export interface ExecOptions {
  args: string[];
  env?: string[];
  cwd?: string;
  tty?: boolean;
  /** Initial terminal size for a TTY. */
  rows?: number;
  columns?: number;
}

/**
 * A process's I/O, over the sandbox's shared agent connection. Output
 * iterators end at EOF; release() when done (the connection is shared).
 */
export interface ProcessIo {
  stdout: AsyncIterable<Buffer>;
  /** Empty for a TTY process (one stream). */
  stderr: AsyncIterable<Buffer>;
  write(data: Buffer): Promise<void>;
  closeStdin(): Promise<void>;
  /** Nobody will read this output any more: the process gets EPIPE/SIGPIPE on its next write to it (a TTY hangs up). */
  closeOutput(stream: 'stdout' | 'stderr'): Promise<void>;
  resize(rows: number, columns: number): Promise<void>;
  wait(): Promise<ProcessExit>;
  release(): void;
}

function now(): string {
  return new Date().toISOString();
}

function newId(): string {
  return randomBytes(16).toString('hex');
}

function toExit(e: AgentExit): ProcessExit {
  return { exitCode: e.exitStatus, signal: e.signal, oomKilled: e.oomKilled, ...(e.error ? { error: e.error } : {}) };
}

export function toContainerStatus(sandboxId: string, c: ContainerRecord): ContainerStatus {
  return {
    id: c.id,
    name: c.name,
    sandboxId,
    state: c.state,
    args: c.args,
    tty: c.tty,
    source: c.source,
    rootfsMode: c.rootfsMode,
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    exitCode: c.exitCode,
    signal: c.signal,
    oomKilled: c.oomKilled,
    error: c.error,
  };
}

function validateContainerId(id: string): void {
  if (!CONTAINER_ID_PATTERN.test(id)) {
    throw new VesselError('E_INVALID_ID', `"${id}" is not a valid container ID or name (letters, digits, "_" and "-", at most 64)`);
  }
}

/** The sandbox must have a live, unpaused VM for anything that talks to its guest. */
function requireLiveVm(id: string, state: SandboxStateRecord): HypervisorState {
  if (state.state === 'paused') throw new VesselError('E_INVALID_STATE', `sandbox ${id} is paused: resume it first`);
  if (state.state === 'stopped' || !state.hypervisorState) throw new VesselError('E_INVALID_STATE', `sandbox ${id} is stopped: start it first`);
  return state.hypervisorState;
}

/** Find a container by ID, unique ID prefix or name. */
export function findContainer(sandboxId: string, containers: ContainerRecord[], ref: string): ContainerRecord {
  const exact = containers.find((c) => c.id === ref) ?? containers.find((c) => c.name === ref);
  if (exact) return exact;
  const byPrefix = ref.length > 0 ? containers.filter((c) => c.id.startsWith(ref)) : [];
  if (byPrefix.length === 1 && byPrefix[0]) return byPrefix[0];
  if (byPrefix.length > 1) throw new VesselError('E_INVALID_ARGUMENT', `"${ref}" matches ${byPrefix.length} containers: give more of the ID`);
  validateContainerId(ref);
  throw new VesselError('E_NOT_FOUND', `no container with ID or name "${ref}" in sandbox ${sandboxId}: 'vessel container list ${sandboxId}' shows them`);
}

function replace(state: SandboxStateRecord, next: ContainerRecord): SandboxStateRecord {
  return { ...state, containers: state.containers.map((c) => (c.id === next.id ? next : c)) };
}

/**
 * The virtcontainers-style container API. Container records live in the
 * sandbox's state record and change under the sandbox lock; the lock is
 * never held while a process's output streams or while waiting for it.
 */
export class ContainerService {
  constructor(
    private readonly sandboxes: SandboxService,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly images?: ImageProvider,
  ) {}

  // ---- containers -----------------------------------------------------------

  async createContainer(sandboxId: string, request: CreateContainerRequest): Promise<ContainerStatus> {
    const parsed = CreateContainerRequest.safeParse(request);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      throw new VesselError('E_INVALID_ARGUMENT', `invalid container request: ${where}${issue?.message ?? 'invalid'}`);
    }
    const req = parsed.data;
    const devices = (req.devices ?? []).map(parseDeviceSpec);
    const id = newId();
    const name = req.name ?? `c-${id.slice(0, 8)}`;
    // Reading the bundle and validating the spec needs no lock.
    if (req.image !== undefined && (req.rootfs !== undefined || req.bundle !== undefined)) {
      throw new VesselError('E_INVALID_ARGUMENT', 'give one of an image, --rootfs or --bundle');
    }
    if (req.image === undefined && (req.entrypoint !== undefined || req.user !== undefined)) {
      throw new VesselError('E_INVALID_ARGUMENT', '--entrypoint and --user apply to images only');
    }
    const source = req.image !== undefined ? await resolveImageSource(this.images, { ...req, image: req.image, hostname: name }) : resolveSource({
      containerId: id,
      hostname: name,
      ...(req.rootfs !== undefined ? { rootfs: req.rootfs } : {}),
      ...(req.bundle !== undefined ? { bundle: req.bundle } : {}),
      ...(req.args !== undefined ? { args: req.args } : {}),
      ...(req.env !== undefined ? { env: req.env } : {}),
      ...(req.cwd !== undefined ? { cwd: req.cwd } : {}),
      ...(req.tty !== undefined ? { tty: req.tty } : {}),
      ...(req.readonlyRootfs !== undefined ? { readonlyRootfs: req.readonlyRootfs } : {}),
    }, this.env);
    const sharedDir = this.sandboxes.sharedDir(sandboxId);
    const containerDir = path.join(sharedDir, id);
    return this.sandboxes.withSandbox(sandboxId, async (config, state) => {
      const vm = requireLiveVm(sandboxId, state);
      if (state.containers.some((c) => c.name === name)) {
        throw new VesselError('E_ALREADY_EXISTS', `a container named "${name}" already exists in sandbox ${sandboxId}: pick another --name`);
      }
      mkdirSync(sharedDir, { recursive: true, mode: 0o700 });
      mkdirSync(containerDir, { mode: 0o700 });
      let blockRoot: BlockRoot | undefined;
      try {
        // Block rootfs transport: the image's disk instead of a tree in the shared dir.
        if (usesBlockRoot(config, source.kind)) blockRoot = await plugBlockRoot(this.sandboxes, config, vm, id, source.rootfsDir);
        // The shared busybox rootfs is copied, so one container cannot change another's.
        const mode = blockRoot ? 'block' : await placeSource(source, containerDir);
        const rootfsStorage = blockRoot ? { rootfsStorage: { pciPath: blockRoot.pciPath, fsType: 'erofs' as const } } : {};
        await this.sandboxes.withAgent(sandboxId, vm, (agent) => agent.createContainer({ containerId: id, execId: id, spec: withDevices(source.spec, [...devices, ...this.sandboxes.containerDeviceNodes(sandboxId).map((n) => ({ hostPath: n.containerPath, ...n, type: 'c' as const }))]), rootfs: `${id}/rootfs`, ...rootfsStorage }));
        const record: ContainerRecord = {
          id,
          name,
          state: 'created',
          args: source.args,
          tty: source.tty,
          source: { kind: source.kind, path: source.path, ...(source.digest ? { digest: source.digest } : {}) },
          ...(source.stopSignal ? { stopSignal: parseSignal(source.stopSignal) } : {}),
          rootfsMode: mode,
          sharedRootfs: path.join(containerDir, 'rootfs'),
          ...(blockRoot ? { rootfsDevice: blockRoot.deviceId } : {}),
          createdAt: now(),
          startedAt: null,
          finishedAt: null,
          exitCode: null,
          signal: null,
          oomKilled: false,
          error: null,
        };
        return { state: { ...state, containers: [...state.containers, record] }, result: toContainerStatus(sandboxId, record) };
      } catch (err) {
        if (blockRoot) await unplugBlockRoot(this.sandboxes, config, vm, blockRoot.deviceId).catch(() => undefined);
        await removeContainerDir(containerDir).catch(() => undefined);
        throw err;
      }
    });
  }

  async startContainer(sandboxId: string, ref: string): Promise<ContainerStatus> {
    return this.sandboxes.withSandbox(sandboxId, async (_config, state) => {
      const vm = requireLiveVm(sandboxId, state);
      const c = findContainer(sandboxId, state.containers, ref);
      assertContainerTransition(c, 'running');
      await this.sandboxes.withAgent(sandboxId, vm, (agent) => agent.startContainer(c.id));
      const next: ContainerRecord = { ...c, state: 'running', startedAt: now() };
      return { state: replace(state, next), result: toContainerStatus(sandboxId, next) };
    });
  }

  /** Create and start in one call (detached). */
  async runContainer(sandboxId: string, request: CreateContainerRequest): Promise<ContainerStatus> {
    const created = await this.createContainer(sandboxId, request);
    return this.startContainer(sandboxId, created.id);
  }

  /** The container with its state refreshed from the guest. */
  async statusContainer(sandboxId: string, ref: string): Promise<ContainerStatus> {
    const list = await this.listContainers(sandboxId);
    const { state } = await this.sandboxes.readSandbox(sandboxId);
    const c = findContainer(sandboxId, state.containers, ref);
    return list.find((s) => s.id === c.id) ?? toContainerStatus(sandboxId, c);
  }

  /** All containers of a sandbox, refreshed from the guest when its VM is up. */
  async listContainers(sandboxId: string): Promise<ContainerStatus[]> {
    const { state } = await this.sandboxes.readSandbox(sandboxId);
    const live = state.containers.some((c) => c.state === 'running' || c.state === 'paused');
    if (!live || state.state === 'paused' || state.state === 'stopped' || !state.hypervisorState) {
      return state.containers.map((c) => toContainerStatus(sandboxId, c));
    }
    return this.sandboxes.withSandbox(sandboxId, async (_config, st) => {
      const refreshed = await this.refresh(sandboxId, st);
      return { state: refreshed, result: refreshed.containers.map((c) => toContainerStatus(sandboxId, c)) };
    });
  }

  /** Ask the guest which of the running containers have ended. Caller holds the lock. */
  private async refresh(sandboxId: string, state: SandboxStateRecord): Promise<SandboxStateRecord> {
    const vm = state.hypervisorState;
    if (!vm || state.state === 'paused' || state.state === 'stopped') return state;
    const containers: ContainerRecord[] = [];
    for (const c of state.containers) {
      if (c.state !== 'running' && c.state !== 'paused') {
        containers.push(c);
        continue;
      }
      containers.push(await this.sandboxes.withAgent(sandboxId, vm, (agent) => this.probe(agent, c)));
    }
    return { ...state, containers };
  }

  private async probe(agent: AgentClient, c: ContainerRecord): Promise<ContainerRecord> {
    try {
      await agent.listProcesses(c.id);
      return c;
    } catch (err) {
      if (!(err instanceof VesselError)) throw err;
      if (err.code === 'E_NOT_FOUND') {
        return { ...c, state: 'stopped', finishedAt: now(), exitCode: c.exitCode ?? 255, signal: c.signal ?? 0, error: 'the container is gone from the guest' };
      }
      if (err.code !== 'E_INVALID_STATE') return c;
    }
    // Stopped in the guest: its exit is known there, so this wait returns at once.
    try {
      const exit = await agent.waitProcess(c.id, '', { timeoutMs: 10_000 });
      return { ...c, ...exitFields(toExit(exit)), state: 'stopped', finishedAt: c.finishedAt ?? now() };
    } catch {
      return c;
    }
  }

  /** SIGTERM, wait up to timeoutMs, then SIGKILL (all processes). */
  async stopContainer(sandboxId: string, ref: string, options: { timeoutMs?: number } = {}): Promise<ContainerStatus> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    const { vm, c } = await this.sandboxes.withSandbox<{ vm: HypervisorState | null; c: ContainerRecord }>(sandboxId, async (_config, state) => {
      const refreshed = await this.refresh(sandboxId, state);
      const found = findContainer(sandboxId, refreshed.containers, ref);
      if (found.state === 'stopped') return { state: refreshed, result: { vm: null, c: found } };
      if (found.state === 'paused') throw new VesselError('E_INVALID_STATE', `container ${found.name} is paused: resume it first`);
      return { state: refreshed, result: { vm: requireLiveVm(sandboxId, refreshed), c: found } };
    });
    if (!vm) return toContainerStatus(sandboxId, c);
    let exit: AgentExit;
    if (c.state === 'created') {
      // Never started: nothing to signal gracefully.
      exit = { exitStatus: 137, signal: 9, oomKilled: false, error: '' };
      await this.sandboxes.withAgent(sandboxId, vm, (agent) => agent.removeContainer(c.id, { force: true })).catch(() => undefined);
    } else {
      exit = await this.sandboxes.withAgent(sandboxId, vm, async (agent) => {
        await agent.signalProcess(c.id, '', c.stopSignal ?? 15, { all: false }).catch(ignoreExited);
        try {
          return await agent.waitProcess(c.id, '', { timeoutMs });
        } catch (err) {
          if (!(err instanceof VesselError) || err.code !== 'E_TIMEOUT') throw err;
        }
        await agent.signalProcess(c.id, '', 9, { all: true }).catch(ignoreExited);
        return agent.waitProcess(c.id, '', { timeoutMs: 30_000 });
      });
    }
    return this.recordExit(sandboxId, c.id, toExit(exit));
  }

  private async recordExit(sandboxId: string, containerId: string, exit: ProcessExit): Promise<ContainerStatus> {
    return this.sandboxes.withSandbox(sandboxId, async (_config, state) => {
      const c = findContainer(sandboxId, state.containers, containerId);
      if (c.state === 'stopped') return { result: toContainerStatus(sandboxId, c) };
      const next: ContainerRecord = { ...c, ...exitFields(exit), state: 'stopped', finishedAt: now() };
      return { state: replace(state, next), result: toContainerStatus(sandboxId, next) };
    });
  }

  /** Send a signal to the container's init (all: to every process of it). */
  async killContainer(sandboxId: string, ref: string, signal: string | number, options: { all?: boolean } = {}): Promise<ContainerStatus> {
    const signo = parseSignal(signal);
    return this.sandboxes.withSandbox(sandboxId, async (_config, state) => {
      const vm = requireLiveVm(sandboxId, state);
      const c = findContainer(sandboxId, state.containers, ref);
      if (c.state === 'stopped') throw new VesselError('E_INVALID_STATE', `container ${c.name} is stopped: nothing to signal`);
      if (c.state === 'created') throw new VesselError('E_INVALID_STATE', `container ${c.name} is created but not started: start it, or delete it`);
      await this.sandboxes.withAgent(sandboxId, vm, (agent) => agent.signalProcess(c.id, '', signo, { all: options.all ?? false }));
      return { result: toContainerStatus(sandboxId, c) };
    });
  }

  /** Delete a container: refused while it runs or is paused unless forced. Removes its rootfs from the shared dir. */
  async deleteContainer(sandboxId: string, ref: string, options: { force?: boolean } = {}): Promise<void> {
    await this.sandboxes.withSandbox(sandboxId, async (config, state) => {
      const refreshed = await this.refresh(sandboxId, state);
      const c = findContainer(sandboxId, refreshed.containers, ref);
      if ((c.state === 'running' || c.state === 'paused') && !options.force) {
        throw new VesselError('E_INVALID_STATE', `container ${c.name} is ${c.state}: stop it first, or delete with --force`, { state: c.state });
      }
      const vm = refreshed.hypervisorState;
      if (vm && refreshed.state !== 'stopped') {
        if (refreshed.state === 'paused') throw new VesselError('E_INVALID_STATE', `sandbox ${sandboxId} is paused: resume it first`);
        await this.sandboxes.withAgent(sandboxId, vm, (agent) => agent.removeContainer(c.id, { force: options.force ?? false })).catch((err: unknown) => {
          if (err instanceof VesselError && err.code === 'E_NOT_FOUND') return;
          throw err;
        });
      }
      if (c.rootfsDevice && refreshed.state !== 'stopped') await unplugBlockRoot(this.sandboxes, config, vm, c.rootfsDevice);
      // The path is built from the validated ID, never taken from the record as it is.
      validateContainerId(c.id);
      await removeContainerDir(path.join(this.sandboxes.sharedDir(sandboxId), c.id));
      return { state: { ...refreshed, containers: refreshed.containers.filter((x) => x.id !== c.id) }, result: undefined };
    });
  }

  async pauseContainer(sandboxId: string, ref: string): Promise<ContainerStatus> {
    return this.transition(sandboxId, ref, 'paused', (agent, id) => agent.pauseContainer(id));
  }

  async resumeContainer(sandboxId: string, ref: string): Promise<ContainerStatus> {
    return this.transition(sandboxId, ref, 'running', (agent, id) => agent.resumeContainer(id), 'paused');
  }

  private async transition(sandboxId: string, ref: string, to: 'paused' | 'running', rpc: (agent: AgentClient, id: string) => Promise<void>, from?: 'paused'): Promise<ContainerStatus> {
    return this.sandboxes.withSandbox(sandboxId, async (_config, state) => {
      const refreshed = await this.refresh(sandboxId, state);
      const vm = requireLiveVm(sandboxId, refreshed);
      const c = findContainer(sandboxId, refreshed.containers, ref);
      if (from && c.state !== from) throw new VesselError('E_INVALID_STATE', `cannot resume container ${c.name}: it is ${c.state}, not paused`);
      assertContainerTransition(c, to);
      await this.sandboxes.withAgent(sandboxId, vm, (agent) => rpc(agent, c.id));
      const next: ContainerRecord = { ...c, state: to };
      return { state: replace(refreshed, next), result: toContainerStatus(sandboxId, next) };
    });
  }

  /** Processes of a running or paused container, as the guest sees them. */
  async processListContainer(sandboxId: string, ref: string): Promise<AgentProcessInfo[]> {
    const { vm, c } = await this.live(sandboxId, ref);
    return this.sandboxes.withAgent(sandboxId, vm, (agent) => agent.listProcesses(c.id));
  }

  /** Change a running container's resources (an OCI linux.resources object). */
  async updateContainer(sandboxId: string, ref: string, resources: Record<string, unknown>): Promise<ContainerStatus> {
    const { vm, c } = await this.live(sandboxId, ref);
    await this.sandboxes.withAgent(sandboxId, vm, (agent) => agent.updateContainer(c.id, resources));
    return toContainerStatus(sandboxId, c);
  }

  async statsContainer(sandboxId: string, ref: string): Promise<ContainerStats> {
    const { vm, c } = await this.live(sandboxId, ref);
    const s = await this.sandboxes.withAgent(sandboxId, vm, (agent) => agent.statsContainer(c.id));
    return toStats(c, s);
  }

  /** Sandbox-wide stats: guest memory and CPUs, the hypervisor's CPU time and RSS on the host, and every live container. */
  async statsSandbox(sandboxId: string): Promise<SandboxStats> {
    await this.listContainers(sandboxId); // refresh first: stopped containers have no stats
    const { state } = await this.sandboxes.readSandbox(sandboxId);
    const vm = requireLiveVm(sandboxId, state);
    const stats = await this.sandboxes.withAgent(sandboxId, vm, async (agent) => {
      const details = await agent.getGuestDetails();
      const containers: ContainerStats[] = [];
      for (const c of state.containers) {
        if (c.state !== 'running' && c.state !== 'paused') continue;
        try {
          containers.push(toStats(c, await agent.statsContainer(c.id)));
        } catch (err) {
          // Ended between the refresh and now: it has no stats any more.
          if (!(err instanceof VesselError) || (err.code !== 'E_INVALID_STATE' && err.code !== 'E_NOT_FOUND')) throw err;
        }
      }
      const usage = readProcUsage(vm.pid);
      return {
        sandboxId,
        at: now(),
        guest: { memoryKiB: details.memoryKiB, cpus: details.cpus },
        host: usage ? { pid: vm.pid, cpuNs: Math.round((usage.cpuTicks * 1e9) / CLOCK_TICKS_PER_SECOND), rssBytes: usage.rssBytes, ...hostMemoryOf(vm.pid, vm.paths.runDir) } : null,
        containers,
      };
    });
    // Per-NIC counters, host side (tap) and guest side (/proc/net/dev).
    const networks = await this.sandboxes.networkStats(sandboxId).catch(() => []);
    return networks.length ? { ...stats, networks } : stats;
  }

  /**
   * A running (or paused) container and its sandbox's VM, checked with the
   * guest first (only this container: an exec should not pay for the others);
   * a stopped one is an error. State is written only when the check changed it.
   */
  private async live(sandboxId: string, ref: string, check = true): Promise<{ vm: HypervisorState; c: ContainerRecord }> {
    type Live = { vm: HypervisorState; c: ContainerRecord; error: VesselError | null };
    const r = await this.sandboxes.withSandbox<Live>(sandboxId, async (_config, state) => {
      const vm = requireLiveVm(sandboxId, state);
      const found = findContainer(sandboxId, state.containers, ref);
      const c = check && state.state === 'running' && (found.state === 'running' || found.state === 'paused')
        ? await this.sandboxes.withAgent(sandboxId, vm, (agent) => this.probe(agent, found))
        : found;
      if (c.state === 'stopped') {
        const stoppedState = c === found ? undefined : { ...state, containers: state.containers.map((x) => (x.id === c.id ? c : x)) };
        const error = new VesselError('E_INVALID_STATE', `container ${c.name} is stopped${c.exitCode !== null ? ` (exit code ${c.exitCode})` : ''}: it has no processes or stats`, { state: c.state });
        if (!stoppedState) throw error;
        // Keep what the check learnt, then refuse.
        return { state: stoppedState, result: { vm, c, error } };
      }
      return { result: { vm, c, error: null } };
    });
    if (r.error) throw r.error;
    return { vm: r.vm, c: r.c };
  }

  // ---- processes ------------------------------------------------------------

  /** Start a new process in a running container (exec). Returns its exec ID for the process calls. */
  async enterContainer(sandboxId: string, ref: string, options: ExecOptions): Promise<{ containerId: string; execId: string }> {
    if (options.args.length === 0 || options.args[0] === '') throw new VesselError('E_INVALID_ARGUMENT', 'the command to run is empty');
    // Not checked with the guest first (a round trip an exec should not pay): ExecProcess itself fails when the container has ended.
    const { vm, c } = await this.live(sandboxId, ref, false);
    if (c.state !== 'running') throw new VesselError('E_INVALID_STATE', `container ${c.name} is ${c.state}: exec needs a running container`);
    const execId = `exec-${randomBytes(6).toString('hex')}`;
    const tty = options.tty ?? false;
    const proc: Record<string, unknown> = {
      args: options.args,
      env: mergeEnv([DEFAULT_PATH, 'TERM=xterm'], options.env ?? []),
      cwd: options.cwd ?? '/',
      terminal: tty,
      ...(tty && options.rows && options.columns ? { consoleSize: { height: options.rows, width: options.columns } } : {}),
      // VESSEL_EXEC_SPAWNER=0: every exec through crun exec, not the guest's fast spawner (guest/agent/spawner.ts).
      ...(process.env.VESSEL_EXEC_SPAWNER === '0' ? { vesselExecVia: 'crun' } : {}),
    };
    try {
      await this.sandboxes.withAgent(sandboxId, vm, (agent) => agent.execProcess(c.id, execId, proc));
    } catch (err) {
      // The container ended unnoticed: record what the guest knows, and say so the usual way.
      if (err instanceof VesselError && (err.code === 'E_INVALID_STATE' || err.code === 'E_NOT_FOUND')) await this.live(sandboxId, ref);
      throw err;
    }
    return { containerId: c.id, execId };
  }

  /** execId '' = the container's init. */
  async waitProcess(sandboxId: string, containerId: string, execId: string): Promise<ProcessExit> {
    const vm = await this.vmOf(sandboxId);
    const exit = toExit(await this.sandboxes.withAgent(sandboxId, vm, (agent) => agent.waitProcess(containerId, execId)));
    if (execId === '' || execId === containerId) await this.recordExit(sandboxId, containerId, exit).catch(() => undefined);
    return exit;
  }

  async signalProcess(sandboxId: string, containerId: string, execId: string, signal: string | number): Promise<void> {
    const signo = parseSignal(signal);
    const vm = await this.vmOf(sandboxId);
    await this.sandboxes.withAgent(sandboxId, vm, (agent) => agent.signalProcess(containerId, execId, signo));
  }

  async winsizeProcess(sandboxId: string, containerId: string, execId: string, rows: number, columns: number): Promise<void> {
    const vm = await this.vmOf(sandboxId);
    await this.sandboxes.withAgent(sandboxId, vm, (agent) => agent.ttyWinResize(containerId, execId, rows, columns));
  }

  /** Attach to a process's stdio. Output is read from what the guest still holds (its buffer is bounded). */
  async ioStream(sandboxId: string, containerId: string, execId: string): Promise<ProcessIo> {
    validateContainerId(containerId);
    const vm = await this.vmOf(sandboxId);
    const lease = await this.sandboxes.leaseAgent(sandboxId, vm);
    const agent = lease.client;
    const abort = new AbortController();
    let exitedNow: () => void = () => undefined;
    const exited = new Promise<void>((resolve) => (exitedNow = resolve));
    return {
      stdout: agent.readStream(containerId, execId, 'stdout', { signal: abort.signal, exited }),
      stderr: agent.readStream(containerId, execId, 'stderr', { signal: abort.signal, exited }),
      write: async (data) => {
        await agent.writeStdin(containerId, execId, data);
      },
      closeStdin: () => agent.closeStdin(containerId, execId),
      closeOutput: (stream) => agent.closeOutput(containerId, execId, stream),
      resize: (rows, columns) => agent.ttyWinResize(containerId, execId, rows, columns),
      wait: async () => {
        const exit = toExit(await agent.waitProcess(containerId, execId));
        exitedNow();
        if (execId === containerId) await this.recordExit(sandboxId, containerId, exit).catch(() => undefined);
        return exit;
      },
      release: () => {
        abort.abort();
        lease.release();
      },
    };
  }

  /** Run a command to completion in a running container. A timeout kills it (SIGKILL) and says so in timedOut. */
  async execSync(sandboxId: string, ref: string, args: string[], options: { timeoutMs: number; env?: string[]; cwd?: string }): Promise<ExecSyncResult> {
    const { containerId, execId } = await this.enterContainer(sandboxId, ref, { args, ...(options.env ? { env: options.env } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) });
    const io = await this.ioStream(sandboxId, containerId, execId);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void this.signalProcess(sandboxId, containerId, execId, 9).catch(() => undefined);
    }, options.timeoutMs);
    try {
      await io.closeStdin();
      const collect = async (it: AsyncIterable<Buffer>): Promise<string> => {
        const parts: Buffer[] = [];
        for await (const chunk of it) parts.push(chunk);
        return Buffer.concat(parts).toString();
      };
      const [stdout, stderr, exit] = await Promise.all([collect(io.stdout), collect(io.stderr), io.wait()]);
      return { stdout, stderr, exitCode: exit.exitCode, timedOut };
    } finally {
      clearTimeout(timer);
      io.release();
    }
  }

  private async vmOf(sandboxId: string): Promise<HypervisorState> {
    const { state } = await this.sandboxes.readSandbox(sandboxId);
    return requireLiveVm(sandboxId, state);
  }
}

/**
 * The container's rootfs in the shared dir: an image gets an overlay over its
 * unpacked tree; the busybox default a copy; a directory or bundle a bind
 * mount. A read-only root gets its missing mount points first (what crun
 * does on a host), or an overlay when its tree cannot be written.
 */
async function placeSource(source: ResolvedSource, containerDir: string): Promise<RootfsMode> {
  if (source.kind === 'image') return (await placeImageRootfs(source.rootfsDir, containerDir)).mode;
  if (source.readonly && source.kind !== 'busybox' && !ensureMountPoints(source.rootfsDir, source.spec)) {
    return (await placeImageRootfs(source.rootfsDir, containerDir)).mode;
  }
  return placeRootfs(source.rootfsDir, path.join(containerDir, 'rootfs'), { readonly: source.readonly, prefer: source.kind === 'busybox' ? 'copy' : 'bind' });
}

function ignoreExited(err: unknown): void {
  // The process ended before the signal arrived: that is what we wanted.
  if (err instanceof VesselError && err.code === 'E_INVALID_STATE') return;
  throw err;
}

function toStats(c: ContainerRecord, s: AgentContainerStats): ContainerStats {
  return { id: c.id, name: c.name, cpu: s.cpu, memory: s.memory, pids: s.pids, blkio: s.blkio };
}

