import type { ColdPlugDevice, DeviceDriver } from '../hypervisor/devices.js';
import type { HypervisorState } from '../hypervisor/hypervisor.js';

/** What SandboxService asks of the device manager at the points of a sandbox's life it owns. */
export interface SandboxDeviceHooks {
  /** Devices to give the VM at boot. */
  coldPlugFor(sandboxId: string): ColdPlugDevice[];
  /** The VM booted with them: find where they are in the guest. Caller holds the sandbox lock. */
  vmBooted(sandboxId: string, vm: HypervisorState, driver: DeviceDriver): Promise<void>;
  /** The VM stopped: devices wait for the next start. Caller holds the lock. */
  vmStopped(sandboxId: string): Promise<void>;
  /** The sandbox is being deleted: give its host devices back. Caller holds the lock. */
  sandboxDeleted(sandboxId: string): Promise<void>;
}
