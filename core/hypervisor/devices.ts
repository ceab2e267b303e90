import type { HypervisorState } from './hypervisor.js';

/**
 * The small driver interface devices are plugged through (virtcontainers'
 * hypervisor.HotplugAddDevice / HotplugRemoveDevice). The QEMU driver
 * implements it with root ports, device_add/device_del, blockdev-add/del and
 * qom-get; nothing outside core/hypervisor/qemu/ knows a QEMU string.
 */

/** What goes on a root port. */
export type PciModel =
  | { kind: 'vfio'; host: string; /** guest vIOMMU-backed mode: guest-kernel */ }
  /** SIMULATION: an emulated device model standing in for a host device (QEMU's edu or pci-testdev). */
  | { kind: 'emulated'; model: 'edu' | 'pci-testdev' };

export interface BlockSource {
  file: string;
  format: 'raw' | 'qcow2';
  /** A host block device (/dev/...) rather than a file. */
  hostDevice: boolean;
  readOnly: boolean;
}

/**
 * A device given to the VM at boot (on the root port pool). `bus` pins it to
 * a root port (a restored checkpoint must have every device where it was);
 * without it devices take rp0, rp1, … in order.
 */
export type ColdPlugDevice =
  | { id: string; kind: 'pci'; model: PciModel; bus?: string }
  | { id: string; kind: 'block'; source: BlockSource; bus?: string };

export interface PlugResult {
  /** The root port it sits on (e.g. "rp2"). */
  rootPort: string;
  /** The guest PCI path (slot of the port on pcie.0 / slot on the port's bus), e.g. "03/00". */
  guestPciPath: string;
}

export interface PlugOptions {
  onProgress?: (message: string) => void;
}

export interface UnplugOptions extends PlugOptions {
  /** How long to wait for DEVICE_DELETED. Must exceed the guest's 5 s pciehp wait. */
  timeoutMs?: number;
}

export interface DeviceDriver {
  plugPci(vm: HypervisorState, id: string, model: PciModel, options?: PlugOptions): Promise<PlugResult>;
  plugBlock(vm: HypervisorState, id: string, source: BlockSource, options?: PlugOptions): Promise<PlugResult>;
  /** vhost-user-blk on a unix socket served by a backend (qemu-storage-daemon); the VM needs shared memory. */
  plugVhostUserBlk(vm: HypervisorState, id: string, socket: string, options?: PlugOptions): Promise<PlugResult>;
  /** Remove a device (and its block node or chardev), waiting until the guest let it go. */
  unplug(vm: HypervisorState, id: string, options?: UnplugOptions): Promise<void>;
  /** Where a device (hot or cold plugged) sits in the guest. */
  locate(vm: HypervisorState, id: string): Promise<PlugResult>;
}
