import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  AttachBlockRequest,
  AttachPciRequest,
  PciAddress,
  VesselError,
  type GuestPciBinding,
  type SandboxDevice,
} from '../contract/index.js';
import type { DeviceManager } from '../device/index.js';
import { newSandboxDevice } from '../device/index.js';
import type { DeviceDriver } from '../hypervisor/devices.js';
import type { HypervisorState } from '../hypervisor/hypervisor.js';
import { StorageDaemon } from '../device/storage-daemon.js';
import { findContainer } from './container-service.js';
import type { SandboxConfigRecord, SandboxStateRecord } from './records.js';
import type { SandboxService } from './sandbox-service.js';

/**
 * Devices in sandboxes: the orchestration between the device manager (host
 * side: inventory, vfio-pci binding, records), the hypervisor's DeviceDriver
 * (root ports, hot plug) and the guest agent (find by PCI path, mount into a
 * container). Every operation runs under the sandbox's lock.
 */

export type DeviceProgressFn = (message: string) => void;

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new VesselError('E_INVALID_ARGUMENT', `invalid ${what}: ${i?.path.length ? `${i.path.map(String).join('.')}: ` : ''}${i?.message ?? 'invalid'}`);
  }
  return r.data;
}

function liveVm(state: SandboxStateRecord): HypervisorState | null {
  return (state.state === 'running' || state.state === 'ready') && state.hypervisorState ? state.hypervisorState : null;
}

/** One line on what the guest did with a PCI device. */
export function describeGuestBinding(g: GuestPciBinding): string {
  if (g.vfioGroup !== null) return `guest ${g.address}: bound to the guest's vfio-pci, VFIO group ${g.vfioGroup} (/dev/vfio/${g.vfioGroup} in new containers)`;
  return `guest ${g.address}: ${g.driver ? `driven by the guest's ${g.driver}` : 'no guest driver claims it'}`;
}

export class DeviceService {
  constructor(
    private readonly sandboxes: SandboxService,
    readonly manager: DeviceManager,
  ) {}

  private driverOf(config: SandboxConfigRecord): DeviceDriver {
    const driver = this.sandboxes.hypervisorOf(config).devices;
    if (!driver) throw new VesselError('E_UNSUPPORTED', `the ${config.hypervisor} hypervisor cannot hot plug devices; use qemu`);
    if (config.hypervisorConfig.machineType !== 'q35') throw new VesselError('E_UNSUPPORTED', `devices need the q35 machine type (PCIe root ports); this sandbox is ${config.hypervisorConfig.machineType}`);
    return driver;
  }

  async list(sandboxRef: string): Promise<SandboxDevice[]> {
    const { id } = await this.sandboxes.fetchSandbox(sandboxRef);
    return this.manager.readRecords(id);
  }

  /**
   * Assign a host PCI device, with its whole IOMMU group (bridges excluded), to
   * a sandbox: running → hot plug on free root ports; ready/stopped or cold →
   * recorded and cold plugged at the next start.
   */
  async attachPci(request: AttachPciRequest, onProgress?: DeviceProgressFn): Promise<SandboxDevice[]> {
    const req = parse(AttachPciRequest, request, 'device attach request');
    const sandbox = await this.sandboxes.fetchSandbox(req.sandboxId);
    return this.sandboxes.withSandbox(sandbox.id, async (config, state) => {
      const records = this.manager.readRecords(sandbox.id);
      const existing = records.find((d) => d.kind === 'vfio' && d.source === req.address);
      if (existing) {
        const next = records.map((d) => (d === existing ? { ...d, refCount: d.refCount + 1 } : d));
        await this.manager.writeRecords(sandbox.id, next);
        return { result: next.filter((d) => d.iommuGroup === existing.iommuGroup && d.kind === 'vfio') };
      }
      const driver = this.driverOf(config);
      const vm = req.cold ? null : liveVm(state);
      const mode = req.mode ?? (vm && !vm.viommu ? 'guest-kernel' : 'vfio');
      if (!req.mode && mode === 'guest-kernel') onProgress?.(`guest-kernel mode: sandbox ${sandbox.name} runs without a vIOMMU (vfio mode, /dev/vfio/N in containers, needs one: attach with --cold and restart, or create the sandbox with --viommu)`);
      if (vm && mode === 'vfio' && !vm.viommu) {
        throw new VesselError('E_INVALID_STATE', `vfio mode needs a vIOMMU in the VM, and sandbox ${sandbox.name} was started without one: attach with --mode guest-kernel, or with --cold (the next start adds the vIOMMU), or create the sandbox with --viommu`);
      }
      const ports = config.hypervisorConfig.pcieRootPorts ?? 0;
      const prepared = await this.manager.preparePci(sandbox.id, req.address, { bind: true, ...(onProgress ? { onProgress } : {}) });
      if (!vm) {
        const coldNow = records.filter((d) => d.kind === 'vfio').length;
        if (coldNow + prepared.length > ports) {
          await this.restoreQuietly(req.address, records);
          throw new VesselError('E_BUSY', `no free PCIe root port: the sandbox has ${ports} and would need ${coldNow + prepared.length}; recreate it with more (--pcie-root-ports)`);
        }
      }
      const added: SandboxDevice[] = [];
      try {
        for (const p of prepared) {
          const base = { id: p.id, kind: 'vfio' as const, source: p.address, mode, iommuGroup: p.iommuGroup, simulatedAs: p.model.kind === 'emulated' ? p.model.model : null };
          if (vm) {
            onProgress?.(`hot plugging ${p.address}${p.model.kind === 'emulated' ? ` (SIMULATED as QEMU ${p.model.model})` : ''}`);
            const where = await driver.plugPci(vm, p.id, p.model, onProgress ? { onProgress } : {});
            const plugged = newSandboxDevice({ ...base, state: 'attached', rootPort: where.rootPort, guestPciPath: where.guestPciPath });
            added.push(plugged);
            onProgress?.(`${p.address} is at guest PCI path ${where.guestPciPath} (root port ${where.rootPort})`);
            if (mode === 'vfio') onProgress?.(`binding it to the guest's vfio-pci (containers created from now on get /dev/vfio/N)`);
            plugged.guest = await this.sandboxes.withAgent(sandbox.id, vm, (agent) => agent.describePciDevice(where.guestPciPath, mode === 'vfio'));
            onProgress?.(describeGuestBinding(plugged.guest));
          } else {
            added.push(newSandboxDevice({ ...base, state: 'pending' }));
            onProgress?.(`${p.address} will be cold plugged when sandbox ${sandbox.name} starts`);
          }
        }
      } catch (err) {
        // Nothing half-made: unplug what went in, give the group back.
        for (const d of added) if (vm && d.state === 'attached') await driver.unplug(vm, d.id).catch(() => undefined);
        await this.restoreQuietly(req.address, records);
        throw err;
      }
      await this.manager.writeRecords(sandbox.id, [...records, ...added]);
      return { result: added };
    });
  }

  private async restoreQuietly(address: string, records: SandboxDevice[]): Promise<void> {
    // Only if this sandbox did not already hold part of the group.
    if (records.some((d) => d.kind === 'vfio')) return;
    await this.manager.restore(address).catch(() => undefined);
  }

  /**
   * Detach a PCI device (and the rest of its group) from a sandbox: drops one
   * reference; at zero, hot unplugs it (waiting for the guest) and, unless
   * keepVfio, gives the group back to its host drivers.
   */
  async detachPci(sandboxRef: string, address: string, options: { keepVfio?: boolean; timeoutMs?: number } = {}, onProgress?: DeviceProgressFn): Promise<{ detached: string[]; restored: boolean }> {
    const addr = parse(PciAddress, address, 'PCI address');
    const sandbox = await this.sandboxes.fetchSandbox(sandboxRef);
    const out = await this.sandboxes.withSandbox(sandbox.id, async (config, state) => {
      const records = this.manager.readRecords(sandbox.id);
      const target = records.find((d) => d.kind === 'vfio' && d.source === addr);
      if (!target) throw new VesselError('E_NOT_FOUND', `${addr} is not attached to sandbox ${sandbox.name}: 'vessel device list' shows which sandbox has it`);
      if (target.refCount > 1) {
        await this.manager.writeRecords(sandbox.id, records.map((d) => (d === target ? { ...d, refCount: d.refCount - 1 } : d)));
        return { result: { detached: [] as string[], group: null as number | null } };
      }
      const group = records.filter((d) => d.kind === 'vfio' && d.iommuGroup === target.iommuGroup);
      const vm = liveVm(state);
      const remaining = [...records];
      for (const d of group) {
        if (vm && d.state === 'attached') {
          onProgress?.(`unplugging ${d.source} (${d.id})`);
          await this.driverOf(config).unplug(vm, d.id, { ...(onProgress ? { onProgress } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
        }
        remaining.splice(remaining.indexOf(d), 1);
        // Saved after each device: a failure later leaves a record of what is still in.
        await this.manager.writeRecords(sandbox.id, remaining);
      }
      return { result: { detached: group.map((d) => d.source), group: target.iommuGroup } };
    });
    let restored = false;
    if (out.detached.length > 0 && !options.keepVfio) {
      onProgress?.('giving the group back to the host drivers');
      await this.manager.restore(addr, onProgress);
      restored = true;
    }
    return { detached: out.detached, restored };
  }

  /** Hot plug an image file or host block device and mount it into a running container. */
  async attachBlock(request: AttachBlockRequest, onProgress?: DeviceProgressFn): Promise<SandboxDevice> {
    const req = parse(AttachBlockRequest, request, 'block attach request');
    const source = path.resolve(req.source);
    if (!existsSync(source)) throw new VesselError('E_NOT_FOUND', `image ${source} does not exist`, { source });
    const st = statSync(source);
    if (!st.isFile() && !st.isBlockDevice()) throw new VesselError('E_INVALID_ARGUMENT', `${source} is neither an image file nor a block device`);
    const sandbox = await this.sandboxes.fetchSandbox(req.sandboxId);
    return this.sandboxes.withSandbox(sandbox.id, async (config, state) => {
      const vm = liveVm(state);
      if (!vm || state.state !== 'running') throw new VesselError('E_INVALID_STATE', `sandbox ${sandbox.name} is ${state.state}: block devices hot plug into a running sandbox`);
      const container = findContainer(sandbox.id, state.containers, req.container);
      if (container.state !== 'running') throw new VesselError('E_INVALID_STATE', `container ${container.name} is ${container.state}: it must be running to mount into it`);
      const records = this.manager.readRecords(sandbox.id);
      if (records.some((d) => (d.kind === 'block' || d.kind === 'vhost-user-blk') && d.source === source && !d.readOnly)) {
        throw new VesselError('E_BUSY', `${source} is already attached to sandbox ${sandbox.name} read-write`);
      }
      const driver = this.driverOf(config);
      const id = `blk-${randomBytes(4).toString('hex')}`;
      const format = /\.qcow2$/i.test(source) ? 'qcow2' as const : 'raw' as const;
      let daemon: StorageDaemon | null = null;
      let where;
      if (req.vhostUser) {
        if (!config.hypervisorConfig.sharedMemory) throw new VesselError('E_INVALID_STATE', `vhost-user-blk needs the guest's memory shared with the backend: create the sandbox with --shared-memory`);
        onProgress?.('starting qemu-storage-daemon (vhost-user-blk backend)');
        daemon = await StorageDaemon.start({ runDir: this.sandboxes.runDirOf(sandbox.id), id, file: source, format, readOnly: req.readOnly });
        try {
          where = await driver.plugVhostUserBlk(vm, id, daemon.socket, onProgress ? { onProgress } : {});
        } catch (err) {
          await daemon.stop();
          throw err;
        }
      } else {
        where = await driver.plugBlock(vm, id, { file: source, format, hostDevice: st.isBlockDevice(), readOnly: req.readOnly }, onProgress ? { onProgress } : {});
      }
      try {
        onProgress?.(`mounting the disk at guest PCI path ${where.guestPciPath} into ${container.name}:${req.path}`);
        await this.sandboxes.withAgent(sandbox.id, vm, (agent) => agent.mountBlockDevice({ containerId: container.id, pciPath: where.guestPciPath, mountPoint: req.path, readOnly: req.readOnly }));
      } catch (err) {
        await driver.unplug(vm, id).catch(() => undefined);
        await daemon?.stop();
        throw err;
      }
      const device = newSandboxDevice({
        id, kind: req.vhostUser ? 'vhost-user-blk' : 'block', source, state: 'attached', rootPort: where.rootPort, guestPciPath: where.guestPciPath,
        container: container.id, containerPath: req.path, readOnly: req.readOnly,
      });
      await this.manager.writeRecords(sandbox.id, [...records, device]);
      return { result: device };
    });
  }

  /** Unmount first (in the container), then hot unplug, then stop the backend if any. */
  async detachBlock(sandboxRef: string, ref: string, onProgress?: DeviceProgressFn, options: { timeoutMs?: number } = {}): Promise<SandboxDevice> {
    const sandbox = await this.sandboxes.fetchSandbox(sandboxRef);
    return this.sandboxes.withSandbox(sandbox.id, async (config, state) => {
      const records = this.manager.readRecords(sandbox.id);
      const abs = ref.startsWith('/') ? path.resolve(ref) : ref;
      const target = records.find((d) => (d.kind === 'block' || d.kind === 'vhost-user-blk') && (d.id === ref || d.source === abs || d.containerPath === ref));
      if (!target) throw new VesselError('E_NOT_FOUND', `no block device "${ref}" in sandbox ${sandbox.name}: give its id, image path or container path ('vessel block list ${sandbox.name}')`);
      const vm = liveVm(state);
      if (vm) {
        const container = target.container ? state.containers.find((c) => c.id === target.container) : undefined;
        if (container?.state === 'running' && target.containerPath) {
          onProgress?.(`unmounting ${target.containerPath} in ${container.name}`);
          await this.sandboxes.withAgent(sandbox.id, vm, (agent) => agent.unmountBlockDevice(container.id, target.containerPath as string));
        }
        await this.driverOf(config).unplug(vm, target.id, { ...(onProgress ? { onProgress } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
      }
      if (target.kind === 'vhost-user-blk') await StorageDaemon.stopFor(this.sandboxes.runDirOf(sandbox.id), target.id);
      await this.manager.writeRecords(sandbox.id, records.filter((d) => d !== target));
      return { result: target };
    });
  }
}
