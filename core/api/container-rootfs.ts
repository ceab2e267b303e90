import { runTool } from '../util/exec.js';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { VesselError, type RootfsMode } from '../contract/index.js';

/**
 * Placing a container's root filesystem in the sandbox's shared directory
 * (exported to the guest over virtio-9p): a bind mount when we are root (no
 * copying, read-only if asked), else a copy. Bind mounts must be undone
 * before the directory is removed, or the removal would reach the user's files.
 */

const run = (cmd: string, args: string[]) => runTool(cmd, args, { maxErr: 4000 });

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Put `source` at `dest` (created here; must not exist). prefer 'copy' forces
 * a copy (the shared busybox rootfs is copied so containers cannot change it).
 */
export async function placeRootfs(source: string, dest: string, options: { readonly: boolean; prefer?: 'bind' | 'copy' }): Promise<RootfsMode> {
  if (!existsSync(source) || !statSync(source).isDirectory()) {
    throw new VesselError('E_NOT_FOUND', `root filesystem ${source} does not exist or is not a directory`, { rootfs: source });
  }
  if (existsSync(dest)) throw new VesselError('E_ALREADY_EXISTS', `${dest} already exists`);
  mkdirSync(dest, { recursive: true, mode: 0o755 });
  if ((options.prefer ?? 'bind') === 'bind' && isRoot()) {
    const bind = await run('mount', ['--bind', source, dest]);
    if (bind.code === 0) {
      if (!options.readonly) return 'bind';
      const ro = await run('mount', ['-o', 'remount,bind,ro', dest]);
      if (ro.code === 0) return 'bind-ro';
      await run('umount', [dest]);
      throw new VesselError('E_PERMISSION', `cannot make the bind mount of ${source} read-only: ${ro.stderr}`);
    }
    // No mount permission (e.g. inside a container): fall back to a copy.
  }
  const copy = await run('cp', ['-a', '--', `${source}/.`, dest]);
  if (copy.code !== 0) {
    rmSync(dest, { recursive: true, force: true });
    throw new VesselError('E_PERMISSION', `cannot copy root filesystem ${source}: ${copy.stderr || `cp exited with ${copy.code}`}`);
  }
  return 'copy';
}

/** Mount points at or below dir, deepest first (from /proc/self/mountinfo; octal escapes decoded). */
export function mountsUnder(dir: string, mountinfo?: string): string[] {
  let text = mountinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      return [];
    }
  }
  const root = path.resolve(dir);
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    const mountPoint = field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mountPoint === root || mountPoint.startsWith(root + '/')) out.push(mountPoint);
  }
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

/** Unmount everything below dir (lazily if busy). Throws if something stays mounted. */
export async function unmountAll(dir: string): Promise<void> {
  for (const mp of mountsUnder(dir)) {
    const r = await run('umount', [mp]);
    if (r.code !== 0) await run('umount', ['-l', mp]);
  }
  const left = mountsUnder(dir);
  if (left.length > 0) {
    throw new VesselError('E_PERMISSION', `cannot unmount ${left.join(', ')}: refusing to delete through a mount`, { mounts: left });
  }
}

/** Remove a container's directory in the shared dir, unmounting its rootfs first. */
export async function removeContainerDir(dir: string): Promise<void> {
  await unmountAll(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** Before a sandbox directory goes: unmount every bind mount under its shared dir. */
export async function releaseSharedDir(sharedDir: string): Promise<void> {
  await unmountAll(sharedDir);
}
