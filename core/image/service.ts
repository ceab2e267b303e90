import { existsSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { VesselError, type ImageInspect, type ImageSummary, type ImageUser, type PruneResult, type PullProgress } from '../contract/index.js';
import { isDeadTemp } from '../store/atomic.js';
import { ImageConfig, Manifest, parseJson, type Descriptor } from './media.js';
import { pullImage, type PullOptions } from './pull.js';
import { DIGEST, formatReference, parseReference, shortName } from './reference.js';
import { digestHex, ImageStore, type StoredImage } from './store.js';
import { ensureUnpacked, layerStackId, unpackedDir } from './unpack.js';
import { exportArchive, importArchive, type ArchiveFormat } from './archive.js';

/**
 * The image service: what the container service, the CLI and the UI use.
 * A container made from an image records the manifest digest it runs; GC and
 * `image rm` ask `usedBy` (the sandbox store) before removing anything.
 */

export interface ImageUse extends ImageUser {
  digest: string;
}

/** What the container service needs from images (given to it, so a test can give another). */
export interface ImageProvider {
  /** The image's unpacked root filesystem (read-only lower layer) and config. Unpacks on first use. */
  prepare(reference: string): Promise<PreparedImage>;
}

export interface PreparedImage {
  name: string;
  digest: string;
  rootfsDir: string;
  config: ImageConfig;
}

export interface ImageServiceOptions {
  /** Containers (in any sandbox, any state) that use images. */
  usedBy: () => Promise<ImageUse[]>;
  env?: NodeJS.ProcessEnv;
}

export class ImageService implements ImageProvider {
  readonly store: ImageStore;

  constructor(dir: string, private readonly options: ImageServiceOptions) {
    this.store = new ImageStore(dir);
  }

  private get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  async pull(reference: string, options: Omit<PullOptions, 'env'> & { onProgress?: (p: PullProgress) => void } = {}): Promise<ImageSummary> {
    const ref = parseReference(reference);
    const r = await pullImage(this.store, ref, { ...options, env: this.env });
    return this.summary(r.name);
  }

  /** Find a stored image by name (short or full), or by a digest / unique digest prefix. */
  find(nameOrId: string): StoredImage {
    const images = this.store.images();
    const byName = (() => {
      try {
        const full = formatReference(parseReference(nameOrId));
        return images.find((i) => i.name === full);
      } catch {
        return undefined;
      }
    })();
    if (byName) return byName;
    const id = nameOrId.replace(/^sha256:/, '');
    if (/^[a-f0-9]{4,64}$/.test(id)) {
      const matches = images.filter((i) => digestHex(i.manifest.digest).startsWith(id));
      const first = matches[0];
      if (first && matches.every((m) => m.manifest.digest === first.manifest.digest)) return first;
      if (matches.length > 1) throw new VesselError('E_INVALID_ARGUMENT', `"${nameOrId}" matches ${matches.length} images: give more of the digest`);
    }
    throw new VesselError('E_NOT_FOUND', `no image "${nameOrId}" in the local store: pull it with 'vessel image pull ${nameOrId}'`, { image: nameOrId });
  }

  private manifestOf(img: StoredImage): Manifest {
    return parseJson(Manifest, this.store.readBlob(img.manifest.digest).toString('utf8'), `the manifest of ${img.name}`);
  }

  private configOf(m: Manifest): ImageConfig {
    return parseJson(ImageConfig, this.store.readBlob(m.config.digest).toString('utf8'), 'an image config');
  }

  private toSummary(img: StoredImage, uses: ImageUse[]): ImageSummary {
    const ref = parseReference(img.name);
    let size = 0;
    let layers = 0;
    let created: string | null = null;
    try {
      const m = this.manifestOf(img);
      size = m.config.size + m.layers.reduce((s, l) => s + l.size, 0);
      layers = m.layers.length;
      created = this.configOf(m).created ?? null;
    } catch {
      // reported by inspect
    }
    const p = img.manifest.platform;
    return {
      name: img.name,
      shortName: shortName(ref),
      repository: `${ref.registry}/${ref.repository}`,
      tag: ref.tag,
      digest: img.manifest.digest,
      indexDigest: img.indexDigest,
      platform: p ? { os: p.os, architecture: p.architecture, ...(p.variant ? { variant: p.variant } : {}) } : null,
      size,
      layers,
      created,
      pulledAt: img.pulledAt,
      usedBy: uses.filter((u) => u.digest === img.manifest.digest).map(({ digest: _d, ...u }) => u),
    };
  }

  async list(): Promise<ImageSummary[]> {
    const uses = await this.options.usedBy();
    return this.store.images().map((i) => this.toSummary(i, uses)).sort((a, b) => a.name.localeCompare(b.name));
  }

  async summary(nameOrId: string): Promise<ImageSummary> {
    return this.toSummary(this.find(nameOrId), await this.options.usedBy());
  }

  async inspect(nameOrId: string): Promise<ImageInspect> {
    const img = this.find(nameOrId);
    const summary = this.toSummary(img, await this.options.usedBy());
    const m = this.manifestOf(img);
    const c = this.configOf(m).config ?? {};
    return {
      ...summary,
      config: {
        entrypoint: c.Entrypoint ?? null,
        cmd: c.Cmd ?? null,
        env: c.Env ?? [],
        workingDir: c.WorkingDir || null,
        user: c.User || null,
        stopSignal: c.StopSignal || null,
        exposedPorts: Object.keys(c.ExposedPorts ?? {}),
        labels: c.Labels ?? {},
      },
      layerDigests: m.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
      unpacked: existsSync(path.join(unpackedDir(this.store, m.layers), 'rootfs')),
    };
  }

  /** Remove an image's name; refused while a container uses it (force does not override that). Frees what nothing else uses. */
  async remove(nameOrId: string): Promise<{ removed: string; freed: PruneResult }> {
    const img = this.find(nameOrId);
    const sameDigest = this.store.images().filter((i) => i.manifest.digest === img.manifest.digest);
    if (sameDigest.length === 1) {
      const users = (await this.options.usedBy()).filter((u) => u.digest === img.manifest.digest);
      if (users.length > 0) {
        const who = users.map((u) => `container ${u.containerName} in sandbox ${u.sandboxName}`).join(', ');
        throw new VesselError('E_INVALID_STATE', `image ${img.name} is in use by ${who}: delete ${users.length > 1 ? 'them' : 'it'} first`, { usedBy: users });
      }
    }
    await this.store.withIndexLock('image rm', () => this.store.untag(img.name));
    return { removed: img.name, freed: await this.prune() };
  }

  /**
   * Garbage collection: blobs no image names, unpacked trees no image names
   * and no container uses, and leftovers of dead writers. Runs under the index
   * lock so a pull cannot name an image halfway through. Partial downloads are
   * kept (a later pull resumes them) unless `all`.
   */
  async prune(options: { all?: boolean } = {}): Promise<PruneResult> {
    const uses = await this.options.usedBy();
    return this.store.withIndexLock('image prune', async () => {
      const live = new Set<string>();
      const liveManifests = new Set<string>(uses.map((u) => u.digest));
      for (const img of this.store.images()) {
        live.add(img.manifest.digest);
        liveManifests.add(img.manifest.digest);
        if (img.indexDigest) live.add(img.indexDigest);
        try {
          const m = this.manifestOf(img);
          live.add(m.config.digest);
          for (const l of m.layers) live.add(l.digest);
        } catch {
          // corrupt: its blobs are not protected
        }
      }
      // Unpacked trees are named by layer stack; a tree named by its manifest
      // (stores written before trees were shared) stays while that manifest lives.
      const liveTrees = new Set<string>();
      // A container's manifest is protected even if its name was removed elsewhere.
      for (const d of liveManifests) {
        liveTrees.add(digestHex(d));
        if (!this.store.hasBlob(d)) continue;
        live.add(d);
        try {
          const m = parseJson(Manifest, this.store.readBlob(d).toString('utf8'), 'manifest');
          live.add(m.config.digest);
          for (const l of m.layers) live.add(l.digest);
          liveTrees.add(layerStackId(m.layers));
        } catch {
          // nothing more to protect
        }
      }
      let blobsRemoved = 0;
      let bytesFreed = 0;
      for (const d of this.store.allBlobs()) {
        if (live.has(d)) continue;
        bytesFreed += this.store.blobSize(d);
        await rm(this.store.blobPath(d), { force: true });
        blobsRemoved++;
      }
      let unpackedRemoved = 0;
      if (existsSync(this.store.rootfsDir)) {
        for (const n of readdirSync(this.store.rootfsDir)) {
          const full = path.join(this.store.rootfsDir, n);
          if (n.startsWith('.')) {
            if (isDeadTemp(n)) await rm(full, { recursive: true, force: true });
            continue;
          }
          if (!/^[a-f0-9]{64}$/.test(n) || liveTrees.has(n)) continue;
          await rm(full, { recursive: true, force: true });
          unpackedRemoved++;
        }
      }
      if (existsSync(this.store.ingestDir)) {
        for (const n of readdirSync(this.store.ingestDir)) {
          const full = path.join(this.store.ingestDir, n);
          if ((n.startsWith('.') && isDeadTemp(n)) || (options.all && n.endsWith('.partial'))) {
            bytesFreed += statSync(full).size;
            await rm(full, { force: true });
          }
        }
      }
      return { blobsRemoved, bytesFreed, unpackedRemoved };
    });
  }

  async prepare(reference: string): Promise<PreparedImage> {
    const img = this.find(reference);
    const m = this.manifestOf(img);
    const config = this.configOf(m);
    const desc: Descriptor = { mediaType: img.manifest.mediaType, digest: img.manifest.digest, size: img.manifest.size };
    const rootfsDir = await ensureUnpacked(this.store, desc, m.layers, this.env);
    return { name: img.name, digest: img.manifest.digest, rootfsDir, config };
  }

  /** Import an oci-archive or docker-archive (podman save / docker save); the name comes from the archive unless given. */
  async import(file: string, options: { name?: string } = {}): Promise<ImageSummary> {
    const r = await importArchive(this.store, file, { ...options, env: this.env });
    return this.summary(r.name);
  }

  async export(nameOrId: string, file: string, format: ArchiveFormat = 'oci-archive'): Promise<void> {
    const img = this.find(nameOrId);
    await exportArchive(this.store, { name: img.name, manifest: img.manifest }, file, format, this.env);
  }

  has(reference: string): boolean {
    try {
      this.find(reference);
      return true;
    } catch {
      return false;
    }
  }
}

export { DIGEST };
