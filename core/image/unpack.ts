import { runTool } from '../util/exec.js';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { VesselError } from '../contract/index.js';
import { tempSuffix } from '../store/atomic.js';
import type { Descriptor } from './media.js';
import { digestHex, type ImageStore } from './store.js';

/**
 * Unpacking an image into a root filesystem with umoci (`umoci raw unpack`).
 * Why umoci and not skopeo: skopeo copies images between transports but does
 * not unpack them; umoci applies OCI layers to a directory with whiteouts
 * (.wh. files, opaque directories), hard links, symlinks, ownership, modes,
 * xattrs and device nodes, resolving every path inside the root, and reads
 * the OCI layout our store already is. Each image is unpacked once into
 * `rootfs/<manifest>/rootfs`, the read-only lower layer of every container
 * made from it (an overlay per container; see image-rootfs.ts).
 */

export function umociPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.VESSEL_UMOCI ?? '/usr/bin/umoci';
}

const run = (cmd: string, args: string[]) => runTool(cmd, args);

export function unpackedDir(store: ImageStore, manifestDigest: string): string {
  return path.join(store.rootfsDir, digestHex(manifestDigest));
}

const inflight = new Map<string, Promise<string>>();

/** The unpacked root filesystem of a manifest, unpacking it first if needed (once, across processes). */
export async function ensureUnpacked(store: ImageStore, manifest: Descriptor, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = unpackedDir(store, manifest.digest);
  const rootfs = path.join(dir, 'rootfs');
  if (existsSync(rootfs)) return rootfs;
  const running = inflight.get(manifest.digest);
  if (running) return running;
  const p = store.withBlobLock(manifest.digest, async () => {
    if (existsSync(rootfs)) return rootfs;
    const umoci = umociPath(env);
    if (!existsSync(umoci)) throw new VesselError('E_MISSING_DEPENDENCY', `umoci is not installed (${umoci}): run 'npm run setup' (Debian package umoci)`);
    const temp = path.join(store.rootfsDir, `.${digestHex(manifest.digest)}.${tempSuffix()}`);
    // umoci reads a layout by tag: a one-entry layout beside the store that shares its blobs.
    const layout = path.join(temp, 'layout');
    mkdirSync(layout, { recursive: true, mode: 0o700 });
    mkdirSync(path.join(layout, 'blobs'));
    symlinkSync(store.blobsDir, path.join(layout, 'blobs', 'sha256'));
    writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size, annotations: { 'org.opencontainers.image.ref.name': 'unpack' } }] }));
    const rootless = typeof process.getuid === 'function' && process.getuid() !== 0;
    try {
      const r = await run(umoci, ['raw', 'unpack', ...(rootless ? ['--rootless'] : []), '--image', `${layout}:unpack`, path.join(temp, 'rootfs')]);
      if (r.code !== 0) {
        const why = r.stderr.split('\n').filter((l) => l.trim() !== '').pop() ?? `exit code ${r.code}`;
        throw new VesselError('E_INTERNAL', `umoci could not unpack image ${manifest.digest}: ${why}`);
      }
      await rm(layout, { recursive: true, force: true });
      await rename(temp, dir);
    } catch (err) {
      await rm(temp, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
    return rootfs;
  }).finally(() => inflight.delete(manifest.digest));
  inflight.set(manifest.digest, p);
  return p;
}
