// How a sandbox VM is made light: the settings SandboxService gives every VM
// it creates, with environment overrides for benchmarks that compare them.
//
// - The guest image's root (an EROFS file) is mapped read-only into guest
//   physical memory with virtio-pmem and mounted with DAX: node, crun and the
//   libraries run straight from the host's page cache, one copy for every
//   sandbox, instead of being unpacked into each guest's RAM.
// - virtio-balloon free page reporting: pages the guest frees go back to the
//   host (QEMU discards them), so a guest that once used memory does not keep
//   holding it.
// - TCG's translation cache is capped: QEMU's default is 1 GiB, which a guest
//   fills (and keeps resident) as it translates code; too small a cap makes
//   it re-translate the same code over and over (see DEFAULT_TCG_TB_SIZE_MIB).
import { VesselError } from '../contract/index.js';
import type { HypervisorConfig, ImageDevice } from './hypervisor.js';

/** Measured with bench:footprint (see DESIGN-NOTES.md): lowest PSS at no measurable boot cost. */
export const DEFAULT_IMAGE_DEVICE: ImageDevice = 'virtio-pmem';
/**
 * MiB. QEMU's default (1 GiB) lets the cache grow past 130 MiB per VM and keep
 * it. 32 MiB (the earlier setting) is smaller than what a guest running node
 * keeps translating, so the cache kept flushing and re-translating: an exec
 * took twice as long (p50 268 vs 132 ms) and a boot ~30 % longer. 64 MiB costs
 * ~37 MiB more PSS per idle VM (bench:footprint, modes pmem-tb32/64/128/256;
 * docs/design/footprint.md has the figures).
 */
export const DEFAULT_TCG_TB_SIZE_MIB = 64;

export type FootprintSettings = Pick<HypervisorConfig, 'imageDevice' | 'balloon' | 'tcgTbSizeMiB'>;

const IMAGE_DEVICES: readonly ImageDevice[] = ['virtio-blk', 'virtio-pmem', 'nvdimm'];

/**
 * The footprint settings for a new VM. Env (for benchmarks and experiments):
 * VESSEL_IMAGE_DEVICE=virtio-pmem|nvdimm|virtio-blk, VESSEL_TCG_TB_SIZE=<MiB>|default
 * (QEMU's own), VESSEL_FREE_PAGE_REPORTING=on|off.
 */
export function footprintSettings(env: NodeJS.ProcessEnv = process.env): FootprintSettings {
  const device = env.VESSEL_IMAGE_DEVICE ?? DEFAULT_IMAGE_DEVICE;
  if (!(IMAGE_DEVICES as readonly string[]).includes(device)) {
    throw new VesselError('E_INVALID_ARGUMENT', `VESSEL_IMAGE_DEVICE must be one of ${IMAGE_DEVICES.join(', ')} (got ${device})`);
  }
  const tbRaw = env.VESSEL_TCG_TB_SIZE ?? String(DEFAULT_TCG_TB_SIZE_MIB);
  const tb = tbRaw === 'default' ? undefined : Number(tbRaw);
  if (tb !== undefined && (!Number.isInteger(tb) || tb < 1 || tb > 4096)) {
    throw new VesselError('E_INVALID_ARGUMENT', `VESSEL_TCG_TB_SIZE must be 1-4096 (MiB) or "default" (got ${tbRaw})`);
  }
  const fpr = env.VESSEL_FREE_PAGE_REPORTING ?? 'on';
  if (fpr !== 'on' && fpr !== 'off') throw new VesselError('E_INVALID_ARGUMENT', `VESSEL_FREE_PAGE_REPORTING must be on or off (got ${fpr})`);
  return {
    imageDevice: device as ImageDevice,
    balloon: { freePageReporting: fpr === 'on' },
    ...(tb !== undefined ? { tcgTbSizeMiB: tb } : {}),
  };
}
