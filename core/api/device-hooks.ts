import type { ColdPlugDevice, DeviceDriver } from '../hypervisor/devices.js';
import type { HypervisorState } from '../hypervisor/hypervisor.js';
import type { GuestPciBinding } from '../contract/index.js';

/** What SandboxService asks of the device manager at the points of a sandbox's life it owns. */
export interface SandboxDeviceHooks {
  /** Devices to give the VM at boot. */
  coldPlugFor(sandboxId: string): ColdPlugDevice[];
  /** Device nodes for containers created now: /dev/vfio/vfio and /dev/vfio/N of devices in vfio mode. */
  vfioDevicesFor(sandboxId: string): { containerPath: string; major: number; minor: number; fileMode: number }[];
  /** Whether a device waiting for the next boot is in vfio mode (the VM then needs a vIOMMU). */
  needsViommu(sandboxId: string): boolean;
  /** The VM booted with them: find where they are in the guest. Caller holds the sandbox lock. */
  vmBooted(sandboxId: string, vm: HypervisorState, driver: DeviceDriver, guest?: (guestPciPath: string, bindVfio: boolean) => Promise<GuestPciBinding>): Promise<void>;
  /** The VM stopped: devices wait for the next start. Caller holds the lock. */
  vmStopped(sandboxId: string): Promise<void>;
  /** The sandbox is being deleted: give its host devices back. Caller holds the lock. */
  sandboxDeleted(sandboxId: string): Promise<void>;
}
