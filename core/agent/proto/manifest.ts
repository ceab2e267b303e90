// The guest image contract between the image builder (guest/build) and the
// host runtime (core): build/guest/manifest.json. It lives beside the agent
// protocol because both sides must agree on it, and both may import this folder.
import { z } from 'zod';

export const GUEST_MANIFEST_SCHEMA_VERSION = 1;

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
