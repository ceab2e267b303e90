import { VesselError } from '../contract/index.js';
import { ensureBlockImage } from '../image/block-rootfs.js';
import type { HypervisorState } from '../hypervisor/hypervisor.js';
import type { SandboxConfigRecord } from './records.js';
import type { SandboxService } from './sandbox-service.js';

/**
 * The block rootfs transport on the host side of a container: the image's
 * EROFS (built once per image) hot plugged read-only through the device
 * driver (blockdev-add + virtio-blk-pci on a free root port), one disk per
 * container; the agent mounts it by the PCI path QEMU reports. The disk goes
 * when the container is deleted (or with the VM).
 */

export interface BlockRoot {
  deviceId: string;
  pciPath: string;
}

/** True when this sandbox puts containers of this source on a block device. */
export function usesBlockRoot(config: SandboxConfigRecord, sourceKind: string): boolean {
  return config.hypervisorConfig.rootfsTransport === 'block' && sourceKind === 'image';
}

export function blockRootDeviceId(containerId: string): string {
  return `rootfs-${containerId.slice(0, 16)}`;
}

export async function plugBlockRoot(sandboxes: SandboxService, config: SandboxConfigRecord, vm: HypervisorState, containerId: string, rootfsDir: string): Promise<BlockRoot> {
  const driver = sandboxes.hypervisorOf(config).devices;
  if (!driver) throw new VesselError('E_UNSUPPORTED', `the ${config.hypervisor} hypervisor cannot hot plug a block rootfs; use --rootfs-transport 9p`);
  const file = await ensureBlockImage(rootfsDir);
  const deviceId = blockRootDeviceId(containerId);
  const where = await driver.plugBlock(vm, deviceId, { file, format: 'raw', hostDevice: false, readOnly: true });
  return { deviceId, pciPath: where.guestPciPath };
}

/** Unplug a container's root disk; a VM that is gone took it along. */
export async function unplugBlockRoot(sandboxes: SandboxService, config: SandboxConfigRecord, vm: HypervisorState | null, deviceId: string): Promise<void> {
  const driver = sandboxes.hypervisorOf(config).devices;
  if (!driver || !vm || !sandboxes.hypervisorOf(config).isAlive(vm)) return;
  await driver.unplug(vm, deviceId, { timeoutMs: 30_000 });
}
