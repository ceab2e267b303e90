import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { VesselError } from '../contract/index.js';
import { acquireLock } from '../store/lock.js';
import { fsyncDir, tempSuffix, writeFileAtomic } from '../store/atomic.js';
import { Descriptor, ImageIndex, parseJson } from './media.js';
import { DIGEST } from './reference.js';

/**
 * The image store: one OCI image layout (`oci-layout`, `index.json`,
 * `blobs/sha256/…`) in Vessel's root, shared by all images. index.json holds
 * one entry per image name (annotation org.opencontainers.image.ref.name),
 * each pointing at the platform manifest that was pulled. Downloads land in
 * `ingest/` (kept across interrupted pulls, so the next pull resumes) and are
 * renamed into `blobs/` only once their digest is verified. Unpacked root
 * filesystems are cached in `rootfs/<layer stack id>/` (see unpack.ts).
 */

export const REF_NAME = 'org.opencontainers.image.ref.name';
export const PULLED_AT = 'io.vessel.image.pulled';
export const INDEX_DIGEST = 'io.vessel.image.index';

export interface StoredImage {
  name: string;
  manifest: Descriptor;
  /** The index (manifest list) it was chosen from, if any: the digest a user pulls by. */
  indexDigest: string | null;
  pulledAt: string | null;
}

export function digestHex(digest: string): string {
  if (!DIGEST.test(digest)) throw new VesselError('E_INVALID_ARGUMENT', `"${digest}" is not a sha256 digest`);
  return digest.slice('sha256:'.length);
}

export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

export class ImageStore {
  readonly blobsDir: string;
  readonly ingestDir: string;
  readonly rootfsDir: string;
  readonly locksDir: string;

  constructor(readonly dir: string) {
    this.blobsDir = path.join(dir, 'blobs', 'sha256');
    this.ingestDir = path.join(dir, 'ingest');
    this.rootfsDir = path.join(dir, 'rootfs');
    this.locksDir = path.join(dir, 'locks');
  }

  init(): void {
    for (const d of [this.blobsDir, this.ingestDir, this.rootfsDir, this.locksDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
    const layout = path.join(this.dir, 'oci-layout');
    if (!existsSync(layout)) writeFileSyncAtomic(layout, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const index = path.join(this.dir, 'index.json');
    if (!existsSync(index)) writeFileSyncAtomic(index, JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }));
  }

  blobPath(digest: string): string {
    return path.join(this.blobsDir, digestHex(digest));
  }

  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  blobSize(digest: string): number {
    return statSync(this.blobPath(digest)).size;
  }

  /** A small blob (manifest, config), verified against its digest on every read. */
  readBlob(digest: string): Buffer {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.blobPath(digest));
    } catch {
      throw new VesselError('E_NOT_FOUND', `blob ${digest} is missing from the image store: pull the image again`);
    }
    const got = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (got !== digest) throw new VesselError('E_CORRUPT_STATE', `blob ${digest} in the image store is corrupt (hashes to ${got}): remove the image and pull it again`);
    return bytes;
  }

  async putBlob(bytes: Buffer): Promise<string> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (this.hasBlob(digest)) return digest;
    const target = this.blobPath(digest);
    const temp = path.join(this.ingestDir, `.${digestHex(digest)}.${tempSuffix()}`);
    await writeFile(temp, bytes, { mode: 0o644 });
    await rename(temp, target);
    return digest;
  }

  ingestPath(digest: string): string {
    return path.join(this.ingestDir, `${digestHex(digest)}.partial`);
  }

  /** Move a verified download into blobs/ (same filesystem: atomic). */
  async commitIngest(digest: string, file: string): Promise<void> {
    await rename(file, this.blobPath(digest));
    await fsyncDir(this.blobsDir);
  }

  /** Serialise changes of index.json, and GC, across processes. */
  async withIndexLock<T>(purpose: string, fn: () => Promise<T>): Promise<T> {
    const lock = await acquireLock(path.join(this.locksDir, 'index'), 'the image store', 'exclusive', { purpose, timeoutMs: 120_000 });
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  }

  /** One download of a blob at a time, across processes. */
  async withBlobLock<T>(digest: string, fn: () => Promise<T>): Promise<T> {
    const lock = await acquireLock(path.join(this.locksDir, `blob-${digestHex(digest)}`), `blob ${digest.slice(0, 19)}`, 'exclusive', { purpose: 'image pull', timeoutMs: 3_600_000 });
    try {
      return await fn();
    } finally {
      await lock.release();
      await rm(path.join(this.locksDir, `blob-${digestHex(digest)}`), { recursive: true, force: true }).catch(() => undefined);
    }
  }

  readIndex(): ImageIndex {
    const file = path.join(this.dir, 'index.json');
    if (!existsSync(file)) return { schemaVersion: 2, manifests: [] };
    try {
      return parseJson(ImageIndex, readFileSync(file, 'utf8'), 'the image store index');
    } catch (err) {
      throw new VesselError('E_CORRUPT_STATE', `${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async writeIndex(index: ImageIndex): Promise<void> {
    await writeFileAtomic(path.join(this.dir, 'index.json'), JSON.stringify({ ...index, mediaType: 'application/vnd.oci.image.index.v1+json' }, null, 2), 0o644);
  }

  images(): StoredImage[] {
    return this.readIndex().manifests.flatMap((d) => {
      const name = d.annotations?.[REF_NAME];
      if (!name) return [];
      return [{ name, manifest: d, indexDigest: d.annotations?.[INDEX_DIGEST] ?? null, pulledAt: d.annotations?.[PULLED_AT] ?? null }];
    });
  }

  /** Point `name` at a manifest (replacing what it pointed at). Caller holds the index lock. */
  async tag(name: string, manifest: Descriptor, extra: { indexDigest?: string | null }): Promise<void> {
    const index = this.readIndex();
    const annotations: Record<string, string> = { [REF_NAME]: name, [PULLED_AT]: new Date().toISOString() };
    if (extra.indexDigest) annotations[INDEX_DIGEST] = extra.indexDigest;
    const entry: Descriptor = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size, ...(manifest.platform ? { platform: manifest.platform } : {}), annotations };
    await this.writeIndex({ ...index, manifests: [...index.manifests.filter((d) => d.annotations?.[REF_NAME] !== name), entry] });
  }

  /** Caller holds the index lock. */
  async untag(name: string): Promise<void> {
    const index = this.readIndex();
    await this.writeIndex({ ...index, manifests: index.manifests.filter((d) => d.annotations?.[REF_NAME] !== name) });
  }

  allBlobs(): string[] {
    return existsSync(this.blobsDir) ? readdirSync(this.blobsDir).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`) : [];
  }
}

function writeFileSyncAtomic(target: string, data: string): void {
  // Only for the two layout files at creation: a crash leaves either nothing or the whole file.
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${tempSuffix()}`);
  writeFileSync(temp, data, { mode: 0o644 });
  renameSync(temp, target);
}
