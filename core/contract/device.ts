import { z } from 'zod';
import { SandboxId } from './sandbox.js';

/**
 * Host devices as the API shows them: the host PCI inventory (grouped by
 * IOMMU group), what the host would lose, the sysfs writes a bind makes, and
 * the devices attached to a sandbox.
 */

/** A PCI address as sysfs spells it: domain:bus:slot.function, lower-case hex. */
export const PCI_ADDRESS_PATTERN = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/;
export const PciAddress = z.string().regex(PCI_ADDRESS_PATTERN, { message: 'a PCI address looks like 0000:01:00.0 (domain:bus:slot.function, hex)' });
export type PciAddress = z.infer<typeof PciAddress>;

/** A guest PCI path as Kata spells it: the slot of each bridge/port, then the device's, e.g. "02/00". */
export const GuestPciPath = z.string().regex(/^[0-9a-f]{2}(\/[0-9a-f]{2})*$/);

/** What unbinding a device from its host driver would take away from the host. */
export const HostLoss = z.object({
  netInterfaces: z.array(z.string()),
  blockDevices: z.array(z.object({ name: z.string(), mounts: z.array(z.string()) })),
  displays: z.array(z.string()),
  /** The device holds the block device that / is mounted from: never offered. */
  rootFilesystem: z.boolean(),
});
export type HostLoss = z.infer<typeof HostLoss>;

export const HostPciDevice = z.object({
  address: PciAddress,
  vendorId: z.string(),
  deviceId: z.string(),
  subsystemVendorId: z.string().nullable(),
  subsystemDeviceId: z.string().nullable(),
  vendorName: z.string().nullable(),
  deviceName: z.string().nullable(),
  /** 24-bit class code, hex, e.g. "030000". */
  classCode: z.string(),
  className: z.string().nullable(),
  driver: z.string().nullable(),
  driverOverride: z.string().nullable(),
  iommuGroup: z.number().int().nonnegative().nullable(),
  numaNode: z.number().int().nullable(),
  resetMethods: z.array(z.string()),
  pcie: z.boolean(),
  bars: z.array(z.object({ index: z.number().int(), sizeBytes: z.number().int().nonnegative() })),
  sriov: z.object({ physfn: PciAddress.nullable(), virtfns: z.array(PciAddress), totalVfs: z.number().int().nullable() }),
  /** Host bridge (0x0600) or PCI bridge (0x0604): left alone, never bound to vfio-pci. */
  isBridge: z.boolean(),
  hostLoss: HostLoss,
  /** The sandbox that has the device, if any. */
  inUseBy: z.object({ sandboxId: SandboxId, sandboxName: z.string() }).nullable(),
});
export type HostPciDevice = z.infer<typeof HostPciDevice>;

export const IommuGroupView = z.object({
  id: z.number().int().nonnegative(),
  members: z.array(PciAddress),
  /** Members that move with an assignment (bridges excluded). */
  assignable: z.array(PciAddress),
  /** Members left alone, with why. */
  excluded: z.array(z.object({ address: PciAddress, reason: z.string() })),
  /** Every member bound to vfio-pci or driverless (bridges excepted): QEMU would open it now. */
  viable: z.boolean(),
  /** Members still bound to a host driver, and to which. */
  blockers: z.array(z.object({ address: PciAddress, driver: z.string() })),
  /** Why the group can never be assigned (e.g. it holds the root disk's controller), or null. */
  refusal: z.string().nullable(),
});
export type IommuGroupView = z.infer<typeof IommuGroupView>;

export const DeviceInventory = z.object({
  sysfsRoot: z.string(),
  iommuEnabled: z.boolean(),
  /** The simulation switch is on: a fixture tree and emulated device models stand in for hardware. */
  simulated: z.boolean(),
  devices: z.array(HostPciDevice),
  groups: z.array(IommuGroupView),
});
export type DeviceInventory = z.infer<typeof DeviceInventory>;

/** One write to a sysfs file, exactly as it would be made. */
export const SysfsWrite = z.object({ path: z.string(), value: z.string(), why: z.string() });
export type SysfsWrite = z.infer<typeof SysfsWrite>;

export const VfioMode = z.enum(['vfio', 'guest-kernel']);
export type VfioMode = z.infer<typeof VfioMode>;

/**
 * A PCI device as the guest sees it. vfio mode: the agent bound it to the
 * guest's vfio-pci and containers created afterwards get /dev/vfio/vfio and
 * /dev/vfio/<vfioGroup> (the guest's group, with its device numbers).
 * guest-kernel mode: the guest's own driver (or none, said as such).
 */
export const GuestPciBinding = z.object({
  address: z.string(),
  driver: z.string(),
  vfioGroup: z.number().int().nonnegative().nullable(),
  vfioDevice: z.object({ major: z.number().int().nonnegative(), minor: z.number().int().nonnegative() }).nullable(),
});
export type GuestPciBinding = z.infer<typeof GuestPciBinding>;

export const DeviceKind = z.enum(['vfio', 'block', 'vhost-user-blk', 'generic']);
export type DeviceKind = z.infer<typeof DeviceKind>;

/** A device attached to (or waiting to be cold plugged into) a sandbox. */
export const SandboxDevice = z.object({
  /** QEMU device id and our key, e.g. "vfio-0000-01-00-0" or "blk-3f2a". */
  id: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
  kind: DeviceKind,
  /** vfio: the host PCI address; block/vhost-user-blk: the image or device file; generic: the device node. */
  source: z.string(),
  /** 'pending': cold plug at the next start; 'attached': in the running VM. */
  state: z.enum(['pending', 'attached']),
  mode: VfioMode.nullable(),
  /** The emulated model that stands in for the host device while simulation is on (edu, pci-testdev). */
  simulatedAs: z.string().nullable(),
  rootPort: z.string().nullable(),
  guestPciPath: GuestPciPath.nullable(),
  container: z.string().nullable(),
  containerPath: z.string().nullable(),
  readOnly: z.boolean(),
  /** The IOMMU group that came with it (vfio). */
  iommuGroup: z.number().int().nullable(),
  /** How many users hold it (attach twice = 2; detach drops one). */
  refCount: z.number().int().positive(),
  attachedAt: z.string(),
  /** What the guest made of a PCI device once it was in (null until then, and for other kinds). */
  guest: GuestPciBinding.nullable().default(null),
});
export type SandboxDevice = z.infer<typeof SandboxDevice>;

export const AttachPciRequest = z.object({
  sandboxId: SandboxId,
  address: PciAddress,
  /**
   * vfio: the guest binds it to its vfio-pci and new containers get /dev/vfio/N
   * (needs a vIOMMU); guest-kernel: the guest's own driver takes it. Omitted:
   * vfio, unless the sandbox runs without a vIOMMU (then guest-kernel, said so).
   */
  mode: VfioMode.optional(),
  /** Cold plug at the next start even if the sandbox is running. */
  cold: z.boolean().default(false),
});
export type AttachPciRequest = z.input<typeof AttachPciRequest>;

export const AttachBlockRequest = z.object({
  sandboxId: SandboxId,
  /** An image file (raw or qcow2) or a host block device, absolute path. */
  source: z.string().min(1).max(4096),
  container: z.string().min(1).max(128),
  path: z.string().min(1).max(4096).regex(/^\//, { message: 'the container path must be absolute' }),
  readOnly: z.boolean().default(false),
  /** vhost-user-blk through qemu-storage-daemon instead of QEMU's own virtio-blk. */
  vhostUser: z.boolean().default(false),
});
export type AttachBlockRequest = z.input<typeof AttachBlockRequest>;

/** What a long device operation reports (hot plug, unplug, rebinds). */
export const DeviceProgress = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('progress'), message: z.string(), at: z.string() }),
  z.object({ kind: z.literal('done'), device: SandboxDevice.nullable() }),
]);
export type DeviceProgress = z.infer<typeof DeviceProgress>;
