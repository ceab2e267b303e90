import { existsSync, lstatSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { VesselError } from '../contract/index.js';
import { imageProcess, type ImageProvider } from '../image/index.js';
import { defaultSpec, type ResolvedSource } from './container-spec.js';

/** A container request's source when it names an image: the image's unpacked tree and its config, with the user's overrides. */
export interface ImageSourceRequest {
  image: string;
  hostname: string;
  args?: string[];
  entrypoint?: string[];
  env?: string[];
  cwd?: string;
  user?: string;
  tty?: boolean;
  readonlyRootfs?: boolean;
}

export async function resolveImageSource(images: ImageProvider | undefined, req: ImageSourceRequest): Promise<ResolvedSource> {
  if (!images) throw new VesselError('E_UNSUPPORTED', 'this runtime has no image store');
  const prepared = await images.prepare(req.image);
  const proc = imageProcess(prepared.config, prepared.rootfsDir, {
    ...(req.args !== undefined ? { args: req.args } : {}),
    ...(req.entrypoint !== undefined ? { entrypoint: req.entrypoint } : {}),
    ...(req.env !== undefined ? { env: req.env } : {}),
    ...(req.cwd !== undefined ? { cwd: req.cwd } : {}),
    ...(req.user !== undefined ? { user: req.user } : {}),
  }, prepared.name);
  const tty = req.tty ?? false;
  const readonly = req.readonlyRootfs ?? false;
  const spec = defaultSpec({ args: proc.args, env: proc.env, cwd: proc.cwd, tty, hostname: req.hostname, readonlyRootfs: readonly }) as Record<string, unknown> & { process: Record<string, unknown> };
  spec.process.user = proc.user;
  return {
    kind: 'image',
    path: prepared.name,
    digest: prepared.digest,
    rootfsDir: prepared.rootfsDir,
    spec,
    args: proc.args,
    tty,
    readonly,
    ...(proc.stopSignal ? { stopSignal: proc.stopSignal } : {}),
  };
}

/**
 * crun creates the mount points of a spec's mounts (proc, dev, sys…) in the
 * root filesystem before it makes the root read-only; on a host that works
 * on a read-only root because the directory itself is writable. Here the
 * root reaches the guest already read-only (a read-only bind mount), so we
 * create the missing mount points on the host first, as crun would have.
 * Only plain directories, never through a symlink. Returns false when the
 * tree cannot be written (the caller then gives the container an overlay).
 */
export function ensureMountPoints(rootfsDir: string, spec: Record<string, unknown>): boolean {
  const mounts = Array.isArray(spec.mounts) ? (spec.mounts as Array<{ destination?: unknown }>) : [];
  const dests = mounts.map((m) => (typeof m.destination === 'string' ? m.destination : '')).filter((d) => d.startsWith('/') && d !== '/');
  // A mount point below another mount is made by that mount (/dev/pts inside /dev's tmpfs).
  const top = dests.filter((d) => !dests.some((o) => o !== d && d.startsWith(o.endsWith('/') ? o : o + '/')));
  for (const dest of top) {
    const parts = path.posix.normalize(dest).split('/').filter(Boolean);
    if (parts.includes('..')) continue;
    let cur = rootfsDir;
    let ok = true;
    for (const part of parts) {
      cur = path.join(cur, part);
      if (existsSync(cur) || isSymlink(cur)) {
        if (isSymlink(cur)) {
          ok = false; // crun resolves it inside the root; leave it to crun
          break;
        }
        continue;
      }
      try {
        mkdirSync(cur, { mode: 0o755 });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return false;
        throw err;
      }
    }
    if (!ok) continue;
  }
  return true;
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
