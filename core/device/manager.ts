import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  PciAddress,
  SandboxDevice,
  VesselError,
  type DeviceInventory,
  type GuestPciBinding,
  type HostPciDevice,
  type IommuGroupView,
  type SysfsWrite,
  type VfioMode,
} from '../contract/index.js';
import { writeFileAtomic, type SandboxStore } from '../store/index.js';
import type { ColdPlugDevice, DeviceDriver, PciModel } from '../hypervisor/devices.js';
import type { HypervisorState } from '../hypervisor/hypervisor.js';
import type { SandboxDeviceHooks } from '../api/device-hooks.js';
import { BindingJournal, VFIO_DRIVER, bindGroup, bindWrites, kernelSysfsWriter, recoverJournal, restoreGroup, restoreWrites, type SysfsWriter } from './binding.js';
import { StorageDaemon } from './storage-daemon.js';
import { loadPciNames, type PciNames } from './pci-ids.js';
import { devicePath, groupView, malformedAddress, readInventory, type HostPaths } from './sysfs-inventory.js';

/**
 * The device manager (virtcontainers' device manager): the host PCI
 * inventory, IOMMU-group binding to vfio-pci and back, and the devices each
 * sandbox holds, persisted per sandbox (devices.json, schema-versioned) so
 * another process finds them. It knows no QEMU: SandboxService and the
 * device service plug what it prepares through the hypervisor's DeviceDriver.
 */

export const DEVICES_FILE = 'devices.json';
/** The store-wide lock that serialises host rebinds (a valid lock name, not a sandbox). */
const HOST_DEVICES_LOCK = 'host-devices';

const DevicesFile = z.object({ schemaVersion: z.literal(1), devices: z.array(SandboxDevice) });
const NameOnly = z.object({ name: z.string() }).loose();

export interface DeviceManagerOptions {
  store: SandboxStore;
  host: HostPaths;
  /** The documented simulation switch (VESSEL_DEVICE_SIMULATION=1): fixture sysfs, simulated kernel writes, emulated device models. */
  simulated: boolean;
  /** Where sysfs writes go; default: the kernel, or the sysfs simulator when simulated (set by createDeviceManager). */
  writer?: SysfsWriter;
  pciIdsFile?: string;
}

export interface PreparedPci {
  address: string;
  id: string;
  model: PciModel;
  iommuGroup: number;
}

export function deviceIdFor(address: string): string {
  return `vfio-${address.replace(/[:.]/g, '-')}`;
}

/** SIMULATION: which emulated model stands in for a fixture device (display → edu, anything else → pci-testdev). */
export function simulatedModelFor(device: HostPciDevice): 'edu' | 'pci-testdev' {
  return device.classCode.startsWith('03') ? 'edu' : 'pci-testdev';
}

export class DeviceManager implements SandboxDeviceHooks {
  readonly host: HostPaths;
  readonly simulated: boolean;
  private readonly store: SandboxStore;
  private readonly writer: SysfsWriter;
  private readonly names: PciNames;
  private readonly journal: BindingJournal;
  private recovered: Promise<string[]> | null = null;

  constructor(options: DeviceManagerOptions) {
    this.store = options.store;
    this.host = options.host;
    this.simulated = options.simulated;
    this.writer = options.writer ?? kernelSysfsWriter;
    if (this.simulated && !this.writer.simulated) throw new VesselError('E_INTERNAL', 'simulation is on but the sysfs writer is the real kernel');
    this.names = loadPciNames(options.pciIdsFile);
    this.journal = new BindingJournal(path.join(this.store.root, 'devices', 'host-bindings.json'));
  }

  // ---- host inventory -----------------------------------------------------

  async inventory(): Promise<DeviceInventory> {
    await this.recover();
    const raw = readInventory(this.host, this.names);
    const users = await this.usersByAddress();
    const devices = raw.devices.map((d) => ({ ...d, inUseBy: users.get(d.address) ?? null }));
    return { sysfsRoot: this.host.sysfsRoot, iommuEnabled: raw.iommuEnabled, simulated: this.simulated, devices, groups: raw.groups };
  }

  /** One device and its group; E_INVALID_ARGUMENT for a malformed address, E_NOT_FOUND for an unknown one. */
  async show(address: string): Promise<{ device: HostPciDevice; group: IommuGroupView | null; inventory: DeviceInventory }> {
    if (!PciAddress.safeParse(address).success) throw malformedAddress(address);
    const inv = await this.inventory();
    const device = inv.devices.find((d) => d.address === address);
    if (!device) throw new VesselError('E_NOT_FOUND', `no PCI device ${address} on this host: 'vessel device list' shows them`, { address });
    const group = device.iommuGroup === null ? null : (inv.groups.find((g) => g.id === device.iommuGroup) ?? null);
    return { device, group, inventory: inv };
  }

  /** Everything that stops a device's group from being assigned, as one clear error. */
  private assignableGroup(device: HostPciDevice, group: IommuGroupView | null, inv: DeviceInventory, forSandbox: string | null): IommuGroupView {
    if (device.isBridge) {
      throw new VesselError('E_INVALID_ARGUMENT', `${device.address} is a ${device.classCode.startsWith('0600') ? 'host' : 'PCI'} bridge: vfio-pci does not bind bridges; assign the devices behind it instead`, { address: device.address });
    }
    if (!inv.iommuEnabled) {
      throw new VesselError('E_UNSUPPORTED', 'the IOMMU is off on this host (no entries in /sys/class/iommu): add intel_iommu=on iommu=pt (Intel) or amd_iommu=on iommu=pt (AMD) to the kernel command line, enable VT-d/AMD-Vi in the firmware, and reboot');
    }
    if (group === null) {
      throw new VesselError('E_UNSUPPORTED', `${device.address} has no IOMMU group: the IOMMU does not cover it, so it cannot be given to a VM safely`, { address: device.address });
    }
    if (group.refusal) throw new VesselError('E_PERMISSION', group.refusal, { address: device.address, group: group.id });
    for (const member of group.assignable) {
      const d = inv.devices.find((x) => x.address === member);
      if (d?.inUseBy && d.inUseBy.sandboxId !== forSandbox) {
        throw new VesselError('E_BUSY', `${member} (IOMMU group ${group.id}) is in use by sandbox ${d.inUseBy.sandboxName} (${d.inUseBy.sandboxId}): detach it there first ('vessel device detach ${d.inUseBy.sandboxName} ${member}')`, { address: member, sandboxId: d.inUseBy.sandboxId });
      }
      const mounted = d?.hostLoss.blockDevices.filter((b) => b.mounts.length > 0) ?? [];
      if (mounted.length > 0) {
        throw new VesselError('E_BUSY', `${member} (IOMMU group ${group.id}) holds ${mounted.map((b) => `${b.name} mounted at ${b.mounts.join(', ')}`).join('; ')}: unmount it in the host first`, { address: member });
      }
    }
    return group;
  }

  /** The exact sysfs writes binding the device's group to vfio-pci would make (a dry run changes nothing). */
  async planBind(address: string): Promise<{ group: IommuGroupView; writes: SysfsWrite[] }> {
    const { device, group, inventory } = await this.show(address);
    const g = this.assignableGroup(device, group, inventory, null);
    return { group: g, writes: bindWrites(this.host.sysfsRoot, this.members(inventory, g)) };
  }

  /** The exact writes giving the group back to its host drivers would make. */
  async planRestore(address: string): Promise<{ group: IommuGroupView; writes: SysfsWrite[] }> {
    const { device, group, inventory } = await this.show(address);
    if (group === null) throw new VesselError('E_UNSUPPORTED', `${device.address} has no IOMMU group: Vessel never bound it`);
    return { group, writes: restoreWrites(this.host.sysfsRoot, this.members(inventory, group)) };
  }

  private members(inv: DeviceInventory, group: IommuGroupView): HostPciDevice[] {
    return inv.devices.filter((d) => group.assignable.includes(d.address));
  }

  /** Bind the device's whole group to vfio-pci (bridges excluded). */
  async bind(address: string, onProgress?: (m: string) => void, forSandbox: string | null = null): Promise<IommuGroupView> {
    return this.withHostLock(async () => {
      const { device, group, inventory } = await this.show(address);
      const g = this.assignableGroup(device, group, inventory, forSandbox);
      if (!g.viable || g.assignable.some((a) => inventory.devices.find((d) => d.address === a)?.driverOverride !== VFIO_DRIVER)) {
        onProgress?.(`binding IOMMU group ${g.id} (${g.assignable.join(', ')}) to vfio-pci`);
        await bindGroup({ root: this.host.sysfsRoot, group: g, devices: this.members(inventory, g), writer: this.writer, journal: this.journal, readDriver: (a) => this.readDriver(a), ...(onProgress ? { onProgress } : {}) });
      }
      return this.groupNow(g.id);
    });
  }

  /** Give the device's group back to its host drivers. Refused while a sandbox holds a member. */
  async restore(address: string, onProgress?: (m: string) => void): Promise<IommuGroupView> {
    return this.withHostLock(async () => {
      const { device, group, inventory } = await this.show(address);
      if (group === null) throw new VesselError('E_UNSUPPORTED', `${device.address} has no IOMMU group: Vessel never bound it`);
      for (const a of group.assignable) {
        const user = inventory.devices.find((d) => d.address === a)?.inUseBy;
        if (user) throw new VesselError('E_BUSY', `${a} is in use by sandbox ${user.sandboxName}: detach it first ('vessel device detach ${user.sandboxName} ${a}')`, { address: a, sandboxId: user.sandboxId });
      }
      onProgress?.(`giving IOMMU group ${group.id} back to the host drivers`);
      await restoreGroup({ root: this.host.sysfsRoot, group, devices: this.members(inventory, group), writer: this.writer, journal: this.journal, readDriver: (a) => this.readDriver(a), ...(onProgress ? { onProgress } : {}) });
      return this.groupNow(group.id);
    });
  }

  /** Finish or undo a bind/restore a killed process left half-done (once per manager). */
  recover(): Promise<string[]> {
    this.recovered ??= this.store.withLock(HOST_DEVICES_LOCK, 'exclusive', () => recoverJournal(this.host.sysfsRoot, this.journal, this.writer, (a) => this.readDriver(a)), { purpose: 'device journal recovery' });
    return this.recovered;
  }

  private groupNow(id: number): IommuGroupView {
    const raw = readInventory(this.host, this.names);
    return raw.groups.find((g) => g.id === id) ?? groupView(id, []);
  }

  private readDriver(address: string): string | null {
    try {
      return path.basename(readlinkSync(path.join(devicePath(this.host.sysfsRoot, address), 'driver')));
    } catch {
      return null;
    }
  }

  private async withHostLock<T>(fn: () => Promise<T>): Promise<T> {
    await this.recover();
    return this.store.withLock(HOST_DEVICES_LOCK, 'exclusive', fn, { purpose: 'host device rebind' });
  }

  // ---- per-sandbox records ------------------------------------------------

  readRecords(sandboxId: string): SandboxDevice[] {
    const file = path.join(this.store.sandboxDir(sandboxId), DEVICES_FILE);
    if (!existsSync(file)) return [];
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      throw new VesselError('E_CORRUPT_STATE', `${file} is not valid JSON`);
    }
    const parsed = DevicesFile.safeParse(raw);
    if (!parsed.success) throw new VesselError('E_CORRUPT_STATE', `${file} is malformed: ${parsed.error.issues[0]?.message ?? ''}`);
    return parsed.data.devices;
  }

  /** Caller holds the sandbox's lock. */
  async writeRecords(sandboxId: string, devices: SandboxDevice[]): Promise<void> {
    const file = path.join(this.store.sandboxDir(sandboxId), DEVICES_FILE);
    await writeFileAtomic(file, `${JSON.stringify({ schemaVersion: 1, devices }, null, 2)}\n`);
  }

  private async usersByAddress(): Promise<Map<string, { sandboxId: string; sandboxName: string }>> {
    const out = new Map<string, { sandboxId: string; sandboxName: string }>();
    for (const id of await this.store.list()) {
      let devices: SandboxDevice[] = [];
      let name = id;
      try {
        devices = this.readRecords(id);
        name = (await this.store.readConfig(id, NameOnly)).name;
      } catch {
        continue;
      }
      for (const d of devices) if (d.kind === 'vfio') out.set(d.source, { sandboxId: id, sandboxName: name });
    }
    return out;
  }

  /**
   * Make a device's group ready for a sandbox: every refusal checked, the
   * group bound to vfio-pci (unless bind=false: then it must already be
   * viable). Returns one entry per group member to plug.
   */
  async preparePci(sandboxId: string, address: string, options: { bind: boolean; onProgress?: (m: string) => void }): Promise<PreparedPci[]> {
    const { device, group, inventory } = await this.show(address);
    const g = this.assignableGroup(device, group, inventory, sandboxId);
    let ready = g;
    if (options.bind) ready = await this.bind(address, options.onProgress, sandboxId);
    if (!ready.viable) {
      throw new VesselError('E_INVALID_STATE', `IOMMU group ${g.id} is not viable: ${ready.blockers.map((b) => `${b.address} is bound to ${b.driver}`).join(', ')}; bind the group first ('vessel device bind ${address}')`, { group: g.id, blockers: ready.blockers });
    }
    return ready.assignable.map((a) => {
      const member = inventory.devices.find((d) => d.address === a) as HostPciDevice;
      const model: PciModel = this.simulated ? { kind: 'emulated', model: simulatedModelFor(member) } : { kind: 'vfio', host: a };
      return { address: a, id: deviceIdFor(a), model, iommuGroup: g.id };
    });
  }

  /** What to give the VM at boot: every device recorded for the sandbox. */
  coldPlugFor(sandboxId: string): ColdPlugDevice[] {
    const out: ColdPlugDevice[] = [];
    for (const d of this.readRecords(sandboxId)) {
      if (d.kind === 'vfio') {
        out.push({ id: d.id, kind: 'pci', model: d.simulatedAs ? { kind: 'emulated', model: d.simulatedAs === 'edu' ? 'edu' : 'pci-testdev' } : { kind: 'vfio', host: d.source } });
      }
    }
    return out;
  }

  /** The VM went away: its devices wait for the next start (cold plug). Block devices do not survive: they are dropped. */
  async vmStopped(sandboxId: string): Promise<void> {
    await StorageDaemon.stopAll(this.store.sandboxDir(sandboxId));
    const devices = this.readRecords(sandboxId);
    if (devices.length === 0) return;
    await this.writeRecords(sandboxId, devices.filter((d) => d.kind === 'vfio').map((d) => ({ ...d, state: 'pending' as const, rootPort: null, guestPciPath: null })));
  }

  needsViommu(sandboxId: string): boolean {
    return this.readRecords(sandboxId).some((d) => d.kind === 'vfio' && d.mode === 'vfio');
  }

  async vmBooted(sandboxId: string, vm: HypervisorState, driver: DeviceDriver, guest?: GuestPciBinder): Promise<void> {
    const devices = this.readRecords(sandboxId);
    const next: SandboxDevice[] = [];
    for (const d of devices) {
      if (d.kind !== 'vfio') continue;
      const where = await driver.locate(vm, d.id);
      const binding = guest ? await guest(where.guestPciPath, d.mode === 'vfio') : null;
      next.push({ ...d, state: 'attached', rootPort: where.rootPort, guestPciPath: where.guestPciPath, guest: binding });
    }
    await this.writeRecords(sandboxId, next);
  }

  /** The device nodes containers created now get: /dev/vfio/vfio and one per guest VFIO group of a device in vfio mode. */
  vfioDevicesFor(sandboxId: string): { containerPath: string; major: number; minor: number; fileMode: number }[] {
    const groups = new Map<number, { major: number; minor: number }>();
    for (const d of this.readRecords(sandboxId)) {
      if (d.kind === 'vfio' && d.mode === 'vfio' && d.state === 'attached' && d.guest?.vfioGroup != null && d.guest.vfioDevice) groups.set(d.guest.vfioGroup, d.guest.vfioDevice);
    }
    if (groups.size === 0) return [];
    // The VFIO container device: misc major 10, minor 196 (VFIO_MINOR in the kernel's miscdevice.h).
    // Modes as the kernel makes them on a host: the container device for all, a group for root.
    return [{ containerPath: '/dev/vfio/vfio', major: 10, minor: 196, fileMode: 0o666 }, ...[...groups].sort((a, b) => a[0] - b[0]).map(([g, n]) => ({ containerPath: `/dev/vfio/${g}`, ...n, fileMode: 0o600 }))];
  }

  sandboxDeleted(sandboxId: string): Promise<void> {
    return this.releaseSandbox(sandboxId);
  }

  /** The sandbox is being deleted: give its groups back to the host. */
  async releaseSandbox(sandboxId: string): Promise<void> {
    await StorageDaemon.stopAll(this.store.sandboxDir(sandboxId));
    const devices = this.readRecords(sandboxId);
    if (devices.length === 0) return;
    await this.writeRecords(sandboxId, []);
    const done = new Set<number>();
    for (const d of devices) {
      if (d.kind !== 'vfio' || d.iommuGroup === null || done.has(d.iommuGroup)) continue;
      done.add(d.iommuGroup);
      await this.restore(d.source).catch(() => undefined);
    }
  }
}

/** Ask the guest about a device at a PCI path; bindVfio: bind it to the guest's vfio-pci first (vfio mode). */
export type GuestPciBinder = (guestPciPath: string, bindVfio: boolean) => Promise<GuestPciBinding>;

export function newSandboxDevice(fields: Partial<SandboxDevice> & Pick<SandboxDevice, 'id' | 'kind' | 'source' | 'state'>): SandboxDevice {
  return {
    mode: null as VfioMode | null,
    simulatedAs: null,
    rootPort: null,
    guestPciPath: null,
    container: null,
    containerPath: null,
    readOnly: false,
    iommuGroup: null,
    guest: null,
    refCount: 1,
    attachedAt: new Date().toISOString(),
    ...fields,
  };
}
