// The guest image contract between the image builder (guest/build) and the
// host runtime (core): build/guest/manifest.json. It lives beside the agent
// protocol because both sides must agree on it, and both may import this folder.
import { z } from 'zod';

export const GUEST_MANIFEST_SCHEMA_VERSION = 1;

/**
 * The CPU model a TCG guest gets (core/hypervisor/qemu/cmdline.ts says why).
 * The image builder needs it too: V8 accepts a startup snapshot only on a CPU
 * with the features it was made on, so the agent's TCG snapshot is made under
 * qemu-user with this model.
 */
export const TCG_CPU_MODEL = 'max,-erms,-fsrm';

/**
 * Which CPU a guest runs on, for the image's per-CPU files: `tcg` (the model
 * above) or `host` (KVM with -cpu host). The host passes it on the kernel
 * command line as VESSEL_CPU=…, which the kernel hands to init as a variable.
 */
export const GUEST_CPU_KINDS = ['tcg', 'host'] as const;
export type GuestCpuKind = (typeof GUEST_CPU_KINDS)[number];
export const GUEST_CPU_PARAM = 'VESSEL_CPU';

/** A file name inside the image directory (no path separators, no dot-dot). */
const ImageFileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a plain file name inside the guest image directory');

export const GuestManifest = z.object({
  schemaVersion: z.literal(GUEST_MANIFEST_SCHEMA_VERSION),
  /** `uname -r` of the packed kernel; GetGuestDetails reports the same. */
  kernelRelease: z.string().min(1).max(256),
  /** Kernel image sandboxes boot, relative to the manifest's directory: an uncompressed ELF booted through PVH where the kernel allows it. */
  kernel: ImageFileName,
  /**
   * The same kernel as the distribution's compressed bzImage (booted through
   * the firmware): sandboxes recorded before the PVH image still boot it, and
   * bench:boot times a raw boot of it.
   */
  bzImage: ImageFileName.optional(),
  /** initramfs (newc cpio, possibly compressed), relative to the manifest's directory. */
  initrd: ImageFileName,
  initrdCompression: z.enum(['none', 'gzip', 'zstd']),
  /**
   * The shared read-only root image (EROFS), when the initrd is only stage 1:
   * the host maps it into every guest (virtio-pmem/nvdimm with DAX, or virtio-blk).
   */
  rootImage: z.object({ file: ImageFileName, format: z.literal('erofs'), sizeBytes: z.number().int().positive() }).optional(),
  /** Kernel command line the guest needs; pass as-is (joined with spaces) to -append. */
  kernelParams: z.array(z.string().min(1).max(256)).max(64),
  /** The virtio-serial port name the agent listens on (virtserialport name=...). */
  agentPortName: z.string().min(1).max(64),
  agentVersion: z.string().min(1).max(128),
  /** sha256 of everything that went into the image; the builder skips rebuilding when unchanged. */
  inputsHash: z.string().regex(/^[0-9a-f]{64}$/),
  builtAt: z.string(),
  /** Kernel + initrd (+ root image) bytes. */
  sizeBytes: z.number().int().nonnegative(),
});
export type GuestManifest = z.infer<typeof GuestManifest>;
