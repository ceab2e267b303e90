import { existsSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { VesselError } from '../contract/index.js';
import { tempSuffix } from '../store/atomic.js';
import { runTool } from '../util/exec.js';

/**
 * The block rootfs transport's image: an image's unpacked tree packed once
 * into a read-only EROFS file beside the tree (ROOT/images/rootfs/<hex>/
 * rootfs.erofs), shared by every container of the image, removed with the
 * tree by image rm/prune. EROFS rather than ext4: read-only by design (no
 * journal, nothing to fsck, never written), smaller, built straight from a
 * directory by mkfs.erofs (erofs-utils, already used for the guest image),
 * and the guest kernel has it (stage 1 loads erofs).
 */

export const MKFS_EROFS = '/usr/bin/mkfs.erofs';
export const BLOCK_IMAGE_NAME = 'rootfs.erofs';

export function erofsUnavailable(): string | null {
  return existsSync(MKFS_EROFS) ? null : `${MKFS_EROFS} not found (apt-get install erofs-utils)`;
}

const inflight = new Map<string, Promise<string>>();

/** The EROFS image of an unpacked tree (…/<hex>/rootfs), built on first use; concurrent callers share one build. */
export async function ensureBlockImage(rootfsDir: string): Promise<string> {
  const out = path.join(path.dirname(rootfsDir), BLOCK_IMAGE_NAME);
  if (existsSync(out)) return out;
  const running = inflight.get(out);
  if (running) return running;
  const p = (async () => {
    const why = erofsUnavailable();
    if (why) throw new VesselError('E_MISSING_DEPENDENCY', `cannot build a block rootfs: ${why}`);
    if (!existsSync(rootfsDir) || !statSync(rootfsDir).isDirectory()) throw new VesselError('E_NOT_FOUND', `unpacked image tree ${rootfsDir} is missing`);
    // A unique temp name, then rename: another process building the same image at once only wastes work.
    const temp = path.join(path.dirname(rootfsDir), `.${BLOCK_IMAGE_NAME}.${tempSuffix()}`);
    try {
      const r = await runTool(MKFS_EROFS, ['--quiet', '-E', 'noinline_data', temp, rootfsDir], { maxErr: 4000 });
      if (r.code !== 0) throw new VesselError('E_INTERNAL', `mkfs.erofs failed for ${rootfsDir}: ${r.stderr.trim() || `exit ${r.code}`}`);
      await rename(temp, out);
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw err;
    }
    return out;
  })().finally(() => inflight.delete(out));
  inflight.set(out, p);
  return p;
}
