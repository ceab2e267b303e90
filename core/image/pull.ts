import { rm } from 'node:fs/promises';
import { VesselError, type LayerProgress, type PullProgress } from '../contract/index.js';
import { authFiles, findCredentials } from './auth.js';
import { ImageConfig, ImageIndex, INDEX_TYPES, LAYER_TYPES, Manifest, MEDIA, parseJson, type Descriptor } from './media.js';
import { formatReference, type ImageReference } from './reference.js';
import { RegistryClient } from './registry.js';
import { newScanState, scanLayer } from './layer-scan.js';
import type { ImageStore } from './store.js';

/**
 * One pull: resolve the reference (an index picks the platform), fetch the
 * config and layers that are not in the store yet (resuming partial
 * downloads, one download per blob across concurrent pulls), verify every
 * digest, check the layers for escapes, then name the image in index.json.
 * If anything fails, the name is not written and the blobs this pull added
 * that no image uses are removed: nothing half-made stays.
 */

export interface PullOptions {
  platform?: string;
  insecure?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: PullProgress) => void;
  /** Credential files, in order (default: the ecosystem's, see auth.ts). */
  authFiles?: string[];
  env?: NodeJS.ProcessEnv;
  /** Parallel blob downloads. */
  concurrency?: number;
}

export interface PullResult {
  name: string;
  manifest: Descriptor;
  indexDigest: string | null;
}

/** Downloads in flight in this process, by digest: a second pull of the same layer waits for the first. */
const inflight = new Map<string, Promise<void>>();

export function parsePlatform(p: string | undefined): { os: string; architecture: string; variant?: string } {
  const [os, architecture, variant] = (p ?? 'linux/amd64').split('/');
  if (!os || !architecture) throw new VesselError('E_INVALID_ARGUMENT', `invalid platform "${p ?? ''}": expected os/arch[/variant], e.g. linux/amd64`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

function pickPlatform(index: ImageIndex, want: { os: string; architecture: string; variant?: string }, what: string): Descriptor {
  const candidates = index.manifests.filter((m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture && (!want.variant || m.platform.variant === want.variant));
  const found = candidates[0];
  if (!found) {
    const have = index.manifests.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''}` : 'unknown')).join(', ');
    throw new VesselError('E_NOT_FOUND', `${what} has no image for ${want.os}/${want.architecture}${want.variant ? `/${want.variant}` : ''} (it has: ${have || 'none'}): pick one with --platform`);
  }
  return found;
}

class Tracker {
  readonly layers: LayerProgress[] = [];
  phase: PullProgress['phase'] = 'resolving';
  private samples: Array<{ t: number; bytes: number }> = [];
  private last = 0;

  constructor(private readonly reference: string, private readonly listener?: (p: PullProgress) => void) {}

  emit(force = false, message?: string): void {
    if (!this.listener) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const doneBytes = this.layers.reduce((s, l) => s + l.done, 0);
    this.samples.push({ t: now, bytes: doneBytes });
    this.samples = this.samples.filter((s) => now - s.t <= 3000);
    const first = this.samples[0];
    const rate = first && now > first.t ? ((doneBytes - first.bytes) * 1000) / (now - first.t) : 0;
    this.listener({
      reference: this.reference,
      phase: this.phase,
      layers: this.layers.map((l) => ({ ...l })),
      totalBytes: this.layers.reduce((s, l) => s + l.size, 0),
      doneBytes,
      rate: Math.max(0, Math.round(rate)),
      ...(message ? { message } : {}),
    });
  }
}

export async function pullImage(store: ImageStore, ref: ImageReference, options: PullOptions = {}): Promise<PullResult> {
  const env = options.env ?? process.env;
  const name = formatReference(ref);
  const tracker = new Tracker(name, options.onProgress);
  tracker.emit(true, `resolving ${name}`);
  store.init();
  const credentials = findCredentials(ref.registry, options.authFiles ?? authFiles(env));
  const client = new RegistryClient(ref, { insecure: Boolean(options.insecure), credentials, ...(options.signal ? { signal: options.signal } : {}) });
  const want = parsePlatform(options.platform);
  const top = await client.getManifest(ref.digest ?? ref.tag ?? 'latest');
  let indexBytes: Buffer | null = null;
  let indexDigest: string | null = null;
  let manifestBytes = top.bytes;
  let manifestDesc: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length };
  if (INDEX_TYPES.includes(top.mediaType)) {
    let index: ImageIndex;
    try {
      index = parseJson(ImageIndex, top.bytes.toString('utf8'), `the index of ${name}`);
    } catch (err) {
      throw new VesselError('E_REGISTRY', err instanceof Error ? err.message : String(err));
    }
    const chosen = pickPlatform(index, want, name);
    const child = await client.getManifest(chosen.digest);
    if (INDEX_TYPES.includes(child.mediaType)) throw new VesselError('E_UNSUPPORTED', `${name}: an index inside an index is not supported`);
    indexBytes = top.bytes;
    indexDigest = top.digest;
    manifestBytes = child.bytes;
    manifestDesc = { mediaType: child.mediaType, digest: child.digest, size: child.bytes.length, ...(chosen.platform ? { platform: chosen.platform } : {}) };
  }
  let manifest: Manifest;
  try {
    manifest = parseJson(Manifest, manifestBytes.toString('utf8'), `the manifest of ${name}`);
  } catch (err) {
    throw new VesselError('E_REGISTRY', err instanceof Error ? err.message : String(err));
  }
  if (manifest.config.mediaType !== MEDIA.ociConfig && manifest.config.mediaType !== MEDIA.dockerConfig) {
    throw new VesselError('E_UNSUPPORTED', `${name} is not a container image: its config has media type "${manifest.config.mediaType}"`);
  }
  for (const l of manifest.layers) {
    if (!LAYER_TYPES.includes(l.mediaType)) throw new VesselError('E_UNSUPPORTED', `${name} has a layer of media type "${l.mediaType}", which Vessel cannot unpack (supported: ${LAYER_TYPES.join(', ')})`);
  }
  const blobs: Array<{ desc: Descriptor; kind: 'config' | 'layer' }> = [{ desc: manifest.config, kind: 'config' }, ...manifest.layers.map((desc) => ({ desc, kind: 'layer' as const }))];
  for (const b of blobs) tracker.layers.push({ digest: b.desc.digest, kind: b.kind, size: b.desc.size, done: 0, state: 'waiting' });
  tracker.phase = 'downloading';
  tracker.emit(true);

  const added: string[] = [];
  const fetchOne = async (i: number): Promise<void> => {
    const b = blobs[i];
    const lp = tracker.layers[i];
    if (!b || !lp) return;
    const digest = b.desc.digest;
    if (store.hasBlob(digest)) {
      lp.state = 'exists';
      lp.done = lp.size;
      tracker.emit(true);
      return;
    }
    let p = inflight.get(digest);
    if (!p) {
      p = store.withBlobLock(digest, async () => {
        if (store.hasBlob(digest)) return;
        const partial = store.ingestPath(digest);
        await client.fetchBlob(digest, b.desc.size, partial, (done) => {
          lp.state = 'downloading';
          lp.done = done;
          tracker.emit();
        });
        await store.commitIngest(digest, partial);
        added.push(digest);
      }).finally(() => inflight.delete(digest));
      inflight.set(digest, p);
    }
    try {
      await p;
    } catch (err) {
      lp.state = 'failed';
      tracker.emit(true);
      throw err;
    }
    lp.state = 'done';
    lp.done = lp.size;
    tracker.emit(true);
  };

  try {
    let next = 0;
    const workers = Array.from({ length: Math.max(1, options.concurrency ?? 3) }, async () => {
      while (next < blobs.length) {
        const i = next++;
        await fetchOne(i);
      }
    });
    await Promise.all(workers);
    if (options.signal?.aborted) throw new VesselError('E_CANCELLED', 'the pull was cancelled');

    tracker.phase = 'checking';
    tracker.emit(true, 'checking layers');
    const config = parseJson(ImageConfig, store.readBlob(manifest.config.digest).toString('utf8'), `the config of ${name}`);
    if (config.os && config.os !== want.os) throw new VesselError('E_UNSUPPORTED', `${name} is an image for ${config.os}, not ${want.os}`);
    const scan = newScanState();
    for (const l of manifest.layers) await scanLayer(store.blobPath(l.digest), l.digest, scan);

    tracker.phase = 'storing';
    await store.withIndexLock('image pull', async () => {
      if (indexBytes) await store.putBlob(indexBytes);
      await store.putBlob(manifestBytes);
      await store.tag(name, manifestDesc, { indexDigest });
    });
  } catch (err) {
    // Blobs this pull added that no image names are garbage now (partial downloads stay, to resume).
    await store.withIndexLock('image pull cleanup', async () => {
      const used = new Set<string>();
      for (const img of store.images()) {
        used.add(img.manifest.digest);
        try {
          const m = parseJson(Manifest, store.readBlob(img.manifest.digest).toString('utf8'), 'manifest');
          used.add(m.config.digest);
          for (const l of m.layers) used.add(l.digest);
        } catch {
          // a broken image keeps nothing alive
        }
      }
      for (const d of added) if (!used.has(d)) await rm(store.blobPath(d), { force: true });
    }).catch(() => undefined);
    throw err;
  }
  tracker.phase = 'done';
  tracker.emit(true, `pulled ${name} (${manifestDesc.digest})`);
  return { name, manifest: manifestDesc, indexDigest };
}
