import { VesselError } from '../contract/index.js';
import type { SandboxStore } from '../store/index.js';
import { DeviceManager } from './manager.js';
import { hostPathsFromEnv } from './sysfs-inventory.js';
import { SysfsSimulator } from './testing/sysfs-simulator.js';

export { DeviceManager, deviceIdFor, newSandboxDevice, simulatedModelFor, DEVICES_FILE, type PreparedPci, type DeviceManagerOptions, type GuestPciBinder } from './manager.js';
export { hostPathsFromEnv, readInventory, groupView, parseResource, type HostPaths } from './sysfs-inventory.js';
export { bindWrites, restoreWrites, kernelSysfsWriter, VFIO_DRIVER, type SysfsWriter } from './binding.js';
export { loadPciNames, parsePciIds, DEFAULT_PCI_IDS } from './pci-ids.js';

/** The documented simulation switch: fixture sysfs + simulated kernel writes + emulated device models. Off by default. */
export const SIMULATION_ENV = 'VESSEL_DEVICE_SIMULATION';

export function simulationOn(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SIMULATION_ENV] === '1';
}

/**
 * The device manager for this process. With VESSEL_DEVICE_SIMULATION=1 the
 * sysfs writes go to the sysfs simulator, which refuses the real /sys:
 * VESSEL_SYSFS_ROOT must then name a fixture tree.
 */
export function createDeviceManager(store: SandboxStore, env: NodeJS.ProcessEnv = process.env): DeviceManager {
  const host = hostPathsFromEnv(env);
  const simulated = simulationOn(env);
  if (simulated && (host.sysfsRoot === '/sys' || host.sysfsRoot.startsWith('/sys/'))) {
    throw new VesselError('E_INVALID_ARGUMENT', `${SIMULATION_ENV}=1 needs VESSEL_SYSFS_ROOT pointing at a fixture sysfs tree, never the real /sys`);
  }
  return new DeviceManager({ store, host, simulated, ...(simulated ? { writer: new SysfsSimulator(host.sysfsRoot) } : {}) });
}
