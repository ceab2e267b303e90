import { runTool } from '../util/exec.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { VesselError } from '../contract/index.js';
import { tempSuffix } from '../store/atomic.js';
import type { Descriptor } from './media.js';
import type { ImageStore } from './store.js';

/**
 * Unpacking an image into a root filesystem with umoci (`umoci raw unpack`).
 * Why umoci and not skopeo: skopeo copies images between transports but does
 * not unpack them; umoci applies OCI layers to a directory with whiteouts
 * (.wh. files, opaque directories), hard links, symlinks, ownership, modes,
 * xattrs and device nodes, resolving every path inside the root, and reads
 * the OCI layout our store already is. Each layer stack is unpacked once into
 * `rootfs/<layer stack id>/rootfs`, the read-only lower layer of every
 * container of every image with those layers (an overlay per container; see
 * rootfs.ts). Why not one directory per layer: docs/design/images.md.
 */

export function umociPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.VESSEL_UMOCI ?? '/usr/bin/umoci';
}

const run = (cmd: string, args: string[]) => runTool(cmd, args);

/**
 * The key of an unpacked tree: its layer stack, not its manifest. Two
 * manifests with the same layers in the same order (a re-tag whose config
 * changed only Env/Cmd/labels, the same image as a Docker v2 manifest and as
 * an OCI one, a pull and a `docker save` import) unpack to the same tree, so
 * they share one. sha256 over the ordered layer digests (each verified on
 * pull), like containerd's chain ID but over compressed digests.
 */
export function layerStackId(layers: readonly Pick<Descriptor, 'digest'>[]): string {
  return createHash('sha256').update(layers.map((l) => l.digest).join('\n')).digest('hex');
}

export function unpackedDir(store: ImageStore, layers: readonly Pick<Descriptor, 'digest'>[]): string {
  return path.join(store.rootfsDir, layerStackId(layers));
}

const inflight = new Map<string, Promise<string>>();

/** The unpacked root filesystem of a manifest (shared by every manifest with its layers), unpacking it first if needed (once, across processes). */
export async function ensureUnpacked(store: ImageStore, manifest: Descriptor, layers: readonly Pick<Descriptor, 'digest'>[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const stack = layerStackId(layers);
  const dir = path.join(store.rootfsDir, stack);
  const rootfs = path.join(dir, 'rootfs');
  if (existsSync(rootfs)) return rootfs;
  const running = inflight.get(stack);
  if (running) return running;
  const p = store.withBlobLock(`sha256:${stack}`, async () => {
    if (existsSync(rootfs)) return rootfs;
    const umoci = umociPath(env);
    if (!existsSync(umoci)) throw new VesselError('E_MISSING_DEPENDENCY', `umoci is not installed (${umoci}): run 'npm run setup' (Debian package umoci)`);
    const temp = path.join(store.rootfsDir, `.${stack}.${tempSuffix()}`);
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
  }).finally(() => inflight.delete(stack));
  inflight.set(stack, p);
  return p;
}
