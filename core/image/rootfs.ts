import { runTool } from '../util/exec.js';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { VesselError, type RootfsMode } from '../contract/index.js';

/**
 * A container's root filesystem from an image: an overlay whose lower layer
 * is the image's unpacked (shared, never written) tree and whose upper layer
 * is the container's own, both beside the mount point in the container's
 * directory. Without mount permission (rootless), a copy. Removing the
 * container directory unmounts first (container-rootfs.ts).
 */

const run = (cmd: string, args: string[]) => runTool(cmd, args, { maxErr: 4000 });

export async function placeImageRootfs(lower: string, containerDir: string): Promise<{ mode: RootfsMode; rootfs: string }> {
  const dest = path.join(containerDir, 'rootfs');
  if (existsSync(dest)) throw new VesselError('E_ALREADY_EXISTS', `${dest} already exists`);
  mkdirSync(dest, { mode: 0o755 });
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    const upper = path.join(containerDir, 'overlay', 'upper');
    const work = path.join(containerDir, 'overlay', 'work');
    mkdirSync(upper, { recursive: true, mode: 0o755 });
    mkdirSync(work, { recursive: true, mode: 0o700 });
    const opts = `lowerdir=${lower},upperdir=${upper},workdir=${work}`;
    if (!/[,:]/.test(lower + upper + work)) {
      const r = await run('mount', ['-t', 'overlay', 'overlay', '-o', opts, dest]);
      if (r.code === 0) return { mode: 'overlay', rootfs: dest };
    }
    rmSync(path.join(containerDir, 'overlay'), { recursive: true, force: true });
  }
  const copy = await run('cp', ['-a', '--', `${lower}/.`, dest]);
  if (copy.code !== 0) {
    rmSync(dest, { recursive: true, force: true });
    throw new VesselError('E_PERMISSION', `cannot copy the image's root filesystem: ${copy.stderr || `cp exited with ${copy.code}`}`);
  }
  return { mode: 'copy', rootfs: dest };
}
