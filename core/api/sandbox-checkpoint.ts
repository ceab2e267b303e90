import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { VesselError, toVesselError, type ProgressPhase, type SandboxEvent, type SandboxState, type SandboxStatus, type VmOrigin } from '../contract/index.js';
import type { AgentClient } from '../agent/index.js';
import type { Hypervisor, HypervisorConfig, HypervisorState, VmNetworkConfig, VmPaths } from '../hypervisor/hypervisor.js';
import type { SnapshotDriver } from '../hypervisor/snapshot.js';
import type { NetworkManager } from '../network/index.js';
import type { SandboxStore } from '../store/index.js';
import {
  CHECKPOINT_STATE, CheckpointDevice, configHash, discardCheckpoint, newCheckpointId, prepareCheckpointDir, readCheckpoint, sha256File, writeManifest, type CheckpointManifest,
} from '../factory/checkpoint.js';
import { RESEED_BYTES } from '../factory/vm-factory.js';
import { SandboxConfigRecord, SandboxStateRecord, SCHEMA_VERSION } from './records.js';

/**
 * Checkpoint and restore of a whole sandbox (`vessel sandbox checkpoint`,
 * `vessel sandbox restore`). The orchestration lives here, next to
 * SandboxService (it needs the sandbox lock, the store, the network and
 * the boot path); the checkpoint's file format is the factory's
 * (core/factory/checkpoint.ts); every QEMU string is in the driver
 * (SnapshotDriver: migration to a file, the devices on the root ports).
 *
 * A checkpoint pauses the VM, saves RAM and device state, and writes the
 * manifest; the sandbox then stops (its containers' processes are in the
 * checkpoint), or with leaveRunning resumes. A restore starts QEMU with the
 * same machine and devices waiting for the stream, loads it, resumes; the
 * guest's containers run on from where they were. It comes back as the same
 * sandbox when its ID is free (or it is the sandbox that was checkpointed,
 * stopped since), else as a fork: a new ID and name, a new RNG seed,
 * machine-id and hostname, the clock set.
 */

type ProgressListener = (phase: ProgressPhase, message: string) => void;

export interface CheckpointOptions {
  /** Resume the sandbox after saving it (default: it stops). */
  leaveRunning?: boolean;
  /** Where the checkpoint goes (a new or empty directory). Default: STORE/checkpoints/ID-TIME. */
  to?: string;
}

export interface CheckpointResult {
  id: string;
  dir: string;
  checkpointId: string;
  stateBytes: number;
  /** Paused from the pause to the end of the save, in ms. */
  pausedMs: number;
  leftRunning: boolean;
}

export interface RestoreOptions {
  /** The name of the restored sandbox (a fork gets "NAME-fork-XXXX" by default). */
  name?: string;
}

/** What SandboxService gives the checkpoint code (its private parts, as closures). */
export interface CheckpointContext {
  store: SandboxStore;
  snapshot: SnapshotDriver | undefined;
  network: NetworkManager | undefined;
  hypervisor(config: SandboxConfigRecord): Hypervisor;
  progress(id: string, onProgress: ProgressListener | undefined, phase: ProgressPhase, message: string): void;
  emit(event: SandboxEvent): void;
  watch(id: string): void;
  unwatch(id: string): void;
  mutate(id: string, fn: (config: SandboxConfigRecord, state: SandboxStateRecord) => Promise<SandboxStateRecord>): Promise<SandboxState>;
  bootVm(config: SandboxConfigRecord, onProgress: ProgressListener | undefined, restore: BootRestore): Promise<SandboxStateRecord>;
  /** Stop the VM at once (no DestroySandbox: the guest's state is in the checkpoint), with its helpers. */
  stopVm(config: SandboxConfigRecord, state: SandboxStateRecord): Promise<void>;
  syncClock(id: string, vm: HypervisorState): Promise<void>;
  existingNames(): Promise<string[]>;
  sharedDir(id: string): string;
  status(id: string): Promise<SandboxStatus>;
  teardownNetwork(id: string): Promise<void>;
}

/** How bootVm starts a VM from a checkpoint instead of booting one. */
export interface BootRestore {
  manifest: CheckpointManifest;
  fork: boolean;
  /** The HypervisorConfig part of a restore: the devices pinned to their ports, RAM named as saved, incoming. */
  vmConfig(hc: SandboxConfigRecord['hypervisorConfig']): Partial<HypervisorConfig>;
  /** The sandbox's NICs with the hot-plugged ones pinned to the root ports they sat on. */
  pinNics(net: VmNetworkConfig): VmNetworkConfig;
  start(driver: Hypervisor, config: HypervisorConfig, paths: VmPaths, say: (message: string) => void): Promise<{ vm: HypervisorState; origin: VmOrigin }>;
}

function now(): string {
  return new Date().toISOString();
}

function requireSnapshot(ctx: CheckpointContext): SnapshotDriver {
  if (!ctx.snapshot) throw new VesselError('E_UNSUPPORTED', 'checkpoint and restore need the QEMU snapshot driver, which this Vessel was started without');
  return ctx.snapshot;
}

/** Why this sandbox cannot be checkpointed from its configuration alone (before touching the VM), or null. */
export function configRefusal(config: SandboxConfigRecord): string | null {
  if (config.hypervisor !== 'qemu') return `the ${config.hypervisor} hypervisor cannot save a VM`;
  const t = config.hypervisorConfig.rootfsTransport ?? '9p';
  if (t === 'virtio-fs') return 'its containers\' roots are on virtio-fs (vhost-user-fs), which QEMU 7.2 cannot save: create the sandbox with --rootfs-transport block to checkpoint it';
  if (t === '9p') return 'its shared directory is mounted over virtio-9p, and QEMU 7.2 refuses to save a VM with a mounted 9p share: create the sandbox with --rootfs-transport block to checkpoint it';
  return null;
}

export async function checkpointSandbox(ctx: CheckpointContext, id: string, options: CheckpointOptions, onProgress?: ProgressListener): Promise<CheckpointResult> {
  const snapshot = requireSnapshot(ctx);
  let result: CheckpointResult | null = null;
  const from = await ctx.mutate(id, async (config, state) => {
    const vm = state.hypervisorState;
    if (!vm || (state.state !== 'ready' && state.state !== 'running')) {
      throw new VesselError('E_INVALID_STATE', `sandbox ${config.name} is ${state.state}: only a ready or running sandbox can be checkpointed`);
    }
    const refusal = configRefusal(config);
    if (refusal) throw new VesselError('E_UNSUPPORTED', `cannot checkpoint sandbox ${config.name}: ${refusal}`);
    const driver = ctx.hypervisor(config);
    const devices = await snapshot.checkpointDevices(vm);
    const netNics = ctx.network?.read(id)?.nics ?? [];
    // A hot-plugged NIC is recreated at boot on the root port it sat on; one the network record does not know cannot be.
    const nicPorts: Record<string, string> = {};
    for (const n of devices.nics) {
      const nicId = n.id.replace(/-dev$/, '');
      if (netNics.some((r) => r.id === nicId)) nicPorts[nicId] = n.bus;
      else devices.blockers.push(`NIC device ${n.id} is not one of the sandbox's networks, so a restore cannot recreate it`);
    }
    if (devices.blockers.length) throw new VesselError('E_UNSUPPORTED', `cannot checkpoint sandbox ${config.name}: ${devices.blockers.join('; ')}`, { blockers: devices.blockers });
    const nics = netNics.length;
    const checkpointId = newCheckpointId();
    const dir = path.resolve(options.to ?? path.join(ctx.store.root, 'checkpoints', `${id.slice(0, 12)}-${Date.now()}`));
    const createdDir = !existsSync(dir);
    prepareCheckpointDir(dir);
    const stateFile = path.join(dir, CHECKPOINT_STATE);
    const qemuVersion = await snapshot.version(config.hypervisorConfig.hypervisorPath);
    ctx.progress(id, onProgress, 'hypervisor', 'pausing the VM');
    const pausedAt = Date.now();
    await driver.pauseVM(vm);
    let saved: { bytes: number };
    try {
      ctx.progress(id, onProgress, 'hypervisor', `saving memory and device state to ${stateFile}`);
      saved = await snapshot.saveState(vm, stateFile, { ignoreShared: false, onProgress: (m) => ctx.progress(id, onProgress, 'hypervisor', m) });
      ctx.progress(id, onProgress, 'hypervisor', `state saved (${(saved.bytes / 1048576).toFixed(0)} MiB); checksumming it`);
      const manifest: CheckpointManifest = {
        format: 'vessel-checkpoint',
        formatVersion: 1,
        checkpointId,
        createdAt: now(),
        qemuVersion,
        configHash: configHash(config),
        sandbox: { config, state: state.state, startedAt: state.startedAt, guest: state.guest, containers: state.containers, ...(state.vmOrigin ? { vmOrigin: state.vmOrigin } : {}) },
        vm: {
          accel: vm.accel,
          namedRam: devices.namedRam,
          devices: devices.devices.map((d) => CheckpointDevice.parse(d)),
          nics,
          nicPorts,
        },
        stateFile: CHECKPOINT_STATE,
        stateBytes: saved.bytes,
        stateSha256: await sha256File(stateFile),
      };
      await writeManifest(dir, manifest);
    } catch (err) {
      discardCheckpoint(dir, createdDir);
      // The VM is paused (or post-migrate): let it run on as before.
      await driver.resumeVM(vm).catch(() => undefined);
      throw toVesselError(err, 'E_HYPERVISOR');
    }
    const pausedMs = Date.now() - pausedAt;
    const record = { id: checkpointId, dir, at: now() };
    if (options.leaveRunning) {
      await driver.resumeVM(vm);
      await ctx.syncClock(id, vm);
      ctx.progress(id, onProgress, 'done', `checkpoint ${checkpointId} written to ${dir}; the sandbox runs on`);
      result = { id, dir, checkpointId, stateBytes: saved.bytes, pausedMs, leftRunning: true };
      return { ...state, checkpoint: record };
    }
    await ctx.stopVm(config, state);
    ctx.progress(id, onProgress, 'done', `checkpoint ${checkpointId} written to ${dir}; the sandbox is stopped (vessel sandbox restore ${dir} brings it back)`);
    result = { id, dir, checkpointId, stateBytes: saved.bytes, pausedMs, leftRunning: false };
    const { agentChannel: _gone, ...rest } = state;
    return {
      ...rest,
      state: 'stopped',
      hypervisorState: null,
      // Their processes live on in the checkpoint; here they are stopped until it is restored.
      containers: state.containers.map((c) => (c.state === 'running' || c.state === 'created' ? { ...c, state: 'stopped' as const, finishedAt: now(), exitCode: c.exitCode ?? 255, error: `checkpointed to ${dir}` } : c)),
      stoppedAt: now(),
      stopReason: `checkpointed to ${dir}`,
      checkpoint: record,
    };
  });
  if (!result) throw new VesselError('E_INTERNAL', 'checkpoint finished without a result');
  const done: CheckpointResult = result;
  if (!done.leftRunning) {
    ctx.unwatch(id);
    ctx.emit({ type: 'state', id, from, to: 'stopped', at: now(), reason: `checkpointed to ${done.dir}` });
  }
  return done;
}

/** The guest side of a restore: a new RNG seed and the clock always; a fork also a new machine-id, hostname and sandbox ID. */
export async function restoredGuest(client: AgentClient, restore: BootRestore, sandbox: { id: string; name: string; dns: string[]; shareOnDemand: boolean }): Promise<SandboxStatus['guest'] & object> {
  await client.reseedRandomDev(randomBytes(RESEED_BYTES));
  await Promise.all([
    client.setGuestDateTime(new Date()),
    ...(restore.fork ? [client.setGuestIdentity(randomBytes(16).toString('hex'))] : []),
  ]);
  const previous = restore.manifest.sandbox.config.id;
  await client.createSandbox(sandbox.id, sandbox.name, sandbox.dns, { shareOnDemand: sandbox.shareOnDemand, ...(restore.fork ? { previousSandboxId: previous } : {}) });
  const d = await client.getGuestDetails();
  return { kernelRelease: d.kernelRelease, memoryKiB: d.memoryKiB, cpus: d.cpus, agentVersion: d.agentVersion };
}

function bootRestore(snapshot: SnapshotDriver, manifest: CheckpointManifest, stateFile: string, fork: boolean): BootRestore {
  return {
    manifest,
    fork,
    vmConfig: (hc) => ({
      coldPlugDevices: manifest.vm.devices,
      ...(manifest.vm.namedRam ? { memoryBackend: { kind: 'memfd' as const, shared: hc.sharedMemory === true } } : {}),
      incoming: true,
    }),
    pinNics: (net) => ({ ...net, nics: net.nics.map((n) => (manifest.vm.nicPorts[n.id] ? { ...n, bus: manifest.vm.nicPorts[n.id] } : n)) }),
    async start(driver, config, paths, say) {
      const started = Date.now();
      say(`starting QEMU waiting for the checkpoint's state (${manifest.vm.devices.length} device(s) on their ports)`);
      const vm = await driver.startVM(config, paths);
      try {
        say(`loading ${(manifest.stateBytes / 1048576).toFixed(0)} MiB of memory and device state`);
        await snapshot.loadState(vm, stateFile, { ignoreShared: false, onProgress: say });
        await driver.resumeVM(vm);
        say('restored VM running');
      } catch (err) {
        await driver.stopVM(vm, { force: true }).catch(() => undefined);
        throw err;
      }
      return { vm, origin: { source: 'checkpoint', bootMs: Date.now() - started } };
    },
  };
}

/**
 * Restore a checkpoint. Everything about the checkpoint is checked first
 * (manifest, state file size and sha256, QEMU version, disks): bad input
 * leaves every sandbox as it was.
 */
export async function restoreSandbox(ctx: CheckpointContext, dirArg: string, options: RestoreOptions, onProgress?: ProgressListener): Promise<SandboxStatus> {
  const snapshot = requireSnapshot(ctx);
  const dir = path.resolve(dirArg);
  const peek = await readCheckpoint(dir, { verifyHash: false });
  const saved = peek.manifest.sandbox.config;
  const { manifest, stateFile } = await readCheckpoint(dir, { qemuVersion: await snapshot.version(saved.hypervisorConfig.hypervisorPath) });
  const oldId = saved.id;
  // The same sandbox when the ID is free, or when it is the sandbox this checkpoint was taken of and it is stopped.
  let intoExisting = false;
  let fork = false;
  if (await ctx.store.exists(oldId)) {
    const state = await ctx.store.readState(oldId, SandboxStateRecord).catch(() => null);
    intoExisting = state !== null && state.state === 'stopped' && state.checkpoint?.id === manifest.checkpointId;
    fork = !intoExisting;
  }
  if (intoExisting) {
    const current = await ctx.store.readConfig(oldId, SandboxConfigRecord);
    if (configHash(current) !== manifest.configHash) throw new VesselError('E_INVALID_STATE', `sandbox ${current.name} was changed since checkpoint ${manifest.checkpointId} (its VM configuration differs): restore it as a fork after deleting or renaming, or check out why`);
  }
  if (manifest.vm.nics > 0 && !intoExisting) {
    throw new VesselError('E_UNSUPPORTED', `checkpoint ${manifest.checkpointId} has ${manifest.vm.nics} NIC(s): it can be restored only into the sandbox it was taken of while that sandbox (and its network) still exists, stopped; a fork or re-created sandbox does not re-plug NICs yet`);
  }
  const names = await ctx.existingNames();
  const id = fork ? randomBytes(16).toString('hex') : oldId;
  let name = options.name ?? (fork ? `${saved.name}-fork-${id.slice(0, 4)}` : saved.name);
  if (!intoExisting && names.includes(name)) {
    if (options.name !== undefined) throw new VesselError('E_ALREADY_EXISTS', `a sandbox named "${name}" already exists: pick another --name`);
    name = `${name}-${id.slice(0, 4)}`;
  }
  const config: SandboxConfigRecord = SandboxConfigRecord.parse({ ...saved, id, name, ...(intoExisting ? {} : { createdAt: now() }) });
  const restore = bootRestore(snapshot, manifest, stateFile, fork);
  const containers = manifest.sandbox.containers.map((c) => ({ ...c, sharedRootfs: path.join(ctx.sharedDir(id), c.id, 'rootfs') }));
  const finish = (booted: SandboxStateRecord): SandboxStateRecord => ({
    ...booted,
    state: manifest.sandbox.state,
    containers,
    startedAt: manifest.sandbox.startedAt ?? booted.startedAt,
    ...(booted.vmOrigin ? { vmOrigin: booted.vmOrigin } : {}),
  });
  const makeContainerDirs = (): void => {
    for (const c of containers) mkdirSync(path.join(ctx.sharedDir(id), c.id), { recursive: true, mode: 0o700 });
  };
  if (intoExisting) {
    const from = await ctx.mutate(id, async (cfg, state) => {
      if (state.state !== 'stopped' || state.checkpoint?.id !== manifest.checkpointId) throw new VesselError('E_INVALID_STATE', `sandbox ${cfg.name} changed while restoring: it is ${state.state}`);
      if (ctx.network) await ctx.network.checkSandbox(id);
      makeContainerDirs();
      const booted = await ctx.bootVm(SandboxConfigRecord.parse({ ...cfg, ...(options.name ? { name } : {}) }), onProgress, restore);
      return finish(booted);
    });
    if (options.name && options.name !== saved.name) await ctx.store.writeConfig(id, SandboxConfigRecord.parse({ ...(await ctx.store.readConfig(id, SandboxConfigRecord)), name }));
    ctx.emit({ type: 'state', id, from, to: manifest.sandbox.state, at: now() });
  } else {
    await ctx.store.withLock(id, 'exclusive', async () => {
      await ctx.store.create(id, config, { schemaVersion: SCHEMA_VERSION, state: 'stopped', hypervisorState: null, startedAt: null, stoppedAt: null, stopReason: 'restoring', guest: null, containers: [], updatedAt: now() });
      ctx.emit({ type: 'created', id, at: now() });
      ctx.progress(id, onProgress, 'prepare', `${fork ? `fork ${name} (${id}) of` : 'restoring'} sandbox ${saved.name} from checkpoint ${manifest.checkpointId}`);
      try {
        makeContainerDirs();
        await ctx.store.writeState(id, finish(await ctx.bootVm(config, onProgress, restore)));
      } catch (err) {
        await ctx.teardownNetwork(id).catch(() => undefined);
        await ctx.store.delete(id).catch(() => undefined);
        ctx.emit({ type: 'deleted', id, at: now() });
        throw err;
      }
    }, { timeoutMs: 5_000 });
    ctx.emit({ type: 'state', id, from: null, to: manifest.sandbox.state, at: now() });
  }
  ctx.progress(id, onProgress, 'done', fork ? `fork ${name} running` : `sandbox ${name} restored`);
  ctx.watch(id);
  return ctx.status(id);
}
