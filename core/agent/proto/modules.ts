// Kernel module sets the guest agent loads only when it needs them: the image
// builder (guest/build/image.ts) packs each set's modules and their load order
// (resolved from the kernel's modules.dep) under ON_DEMAND_MODULES_DIR, and the
// agent (guest/agent/modules.ts) insmods them in that order.

/** Where the image keeps on-demand modules and their `<set>.order` files. */
export const ON_DEMAND_MODULES_DIR = '/lib/modules/vessel';

/** vfio-pci and its dependencies, for devices in vfio mode. */
export const VFIO_MODULE_SET = 'vfio-pci';

/** The set that makes filesystem `fs` mountable (e.g. ext4 for attached disks). */
export function filesystemModuleSet(fs: string): string {
  return `fs-${fs}`;
}

export function moduleSetOrderFile(set: string): string {
  return `${set}.order`;
}
