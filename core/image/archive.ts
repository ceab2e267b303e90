import { runTool } from '../util/exec.js';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { VesselError } from '../contract/index.js';
import { tempSuffix } from '../store/atomic.js';
import { newScanState, scanLayer } from './layer-scan.js';
import { DockerArchiveManifest, ImageIndex, Manifest, MANIFEST_TYPES, parseJson, type Descriptor } from './media.js';
import { formatReference, parseReference } from './reference.js';
import { hashFile, REF_NAME, type ImageStore } from './store.js';

/**
 * `image import FILE` / `image export`: the archives `podman save` and
 * `docker save` write (oci-archive, docker-archive), converted by skopeo to
 * and from an OCI layout. An import lands in a temp layout beside the store;
 * every blob is hashed before it joins the store, every layer scanned.
 */

export type ArchiveFormat = 'oci-archive' | 'docker-archive';

const run = (cmd: string, args: string[], maxOut = 1 << 20) => runTool(cmd, args, { captureStdout: true, maxOut });

function skopeo(env: NodeJS.ProcessEnv): string {
  const p = env.VESSEL_SKOPEO ?? '/usr/bin/skopeo';
  if (!existsSync(p)) throw new VesselError('E_MISSING_DEPENDENCY', `skopeo is not installed (${p}): run 'npm run setup' (Debian package skopeo)`);
  return p;
}

function lastLine(s: string): string {
  return s.split('\n').filter((l) => l.trim() !== '').pop() ?? '';
}

/** Which archive a file is, and the names it carries. */
export async function sniffArchive(file: string): Promise<{ format: ArchiveFormat; names: string[] }> {
  if (!existsSync(file)) throw new VesselError('E_NOT_FOUND', `${file} does not exist`);
  const list = await run('tar', ['-tf', file]);
  if (list.code !== 0) throw new VesselError('E_INVALID_ARGUMENT', `${file} is not a tar archive (${lastLine(list.stderr)})`);
  const entries = new Set(list.stdout.split('\n').map((e) => e.replace(/^\.\//, '')));
  if (entries.has('index.json') && entries.has('oci-layout')) {
    const idx = await run('tar', ['-xOf', file, entries.has('index.json') ? (list.stdout.includes('./index.json') ? './index.json' : 'index.json') : 'index.json']);
    let names: string[] = [];
    try {
      names = parseJson(ImageIndex, idx.stdout, 'index.json').manifests.map((m) => m.annotations?.[REF_NAME] ?? '').filter(Boolean);
    } catch {
      throw new VesselError('E_INVALID_ARGUMENT', `${file}: its index.json is not an OCI index`);
    }
    return { format: 'oci-archive', names };
  }
  if (entries.has('manifest.json')) {
    const m = await run('tar', ['-xOf', file, list.stdout.includes('./manifest.json') ? './manifest.json' : 'manifest.json']);
    try {
      return { format: 'docker-archive', names: parseJson(DockerArchiveManifest, m.stdout, 'manifest.json').flatMap((e) => e.RepoTags ?? []) };
    } catch {
      throw new VesselError('E_INVALID_ARGUMENT', `${file}: its manifest.json is not a docker save manifest`);
    }
  }
  throw new VesselError('E_INVALID_ARGUMENT', `${file} is neither an oci-archive nor a docker-archive (no index.json + oci-layout, no manifest.json)`);
}

/** A one-entry layout beside the store that shares its blobs (what umoci and skopeo read by tag). */
function viewLayout(store: ImageStore, dir: string, manifest: Descriptor, tag: string): void {
  mkdirSync(path.join(dir, 'blobs'), { recursive: true, mode: 0o700 });
  symlinkSync(store.blobsDir, path.join(dir, 'blobs', 'sha256'));
  writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size, annotations: { [REF_NAME]: tag } }] }));
}

export async function importArchive(store: ImageStore, file: string, options: { name?: string; env?: NodeJS.ProcessEnv }): Promise<{ name: string; manifest: Descriptor }> {
  const env = options.env ?? process.env;
  const bin = skopeo(env);
  const { format, names } = await sniffArchive(path.resolve(file));
  const given = options.name ?? names[0];
  if (!given) throw new VesselError('E_INVALID_ARGUMENT', `${file} names no image: give one with --name`);
  let name: string;
  try {
    name = formatReference(parseReference(given));
  } catch {
    throw new VesselError('E_INVALID_ARGUMENT', `${file} names its image "${given}", which is not an image reference: give one with --name`);
  }
  store.init();
  const temp = path.join(store.ingestDir, `.import.${tempSuffix()}`);
  try {
    const src = format === 'docker-archive' ? `docker-archive:${path.resolve(file)}` : `oci-archive:${path.resolve(file)}${names.length > 1 && names[0] ? `:${names[0]}` : ''}`;
    const r = await run(bin, ['copy', '--quiet', src, `oci:${temp}:import`]);
    if (r.code !== 0) throw new VesselError('E_INVALID_ARGUMENT', `cannot import ${file}: ${lastLine(r.stderr)}`);
    const index = parseJson(ImageIndex, (await run('cat', [path.join(temp, 'index.json')])).stdout, 'the imported index');
    const desc = index.manifests.find((m) => m.annotations?.[REF_NAME] === 'import');
    if (!desc || !MANIFEST_TYPES.includes(desc.mediaType)) throw new VesselError('E_INVALID_ARGUMENT', `${file} holds no image manifest`);
    const blobs = path.join(temp, 'blobs', 'sha256');
    for (const n of readdirSync(blobs)) {
      const digest = `sha256:${n}`;
      if ((await hashFile(path.join(blobs, n))) !== digest) throw new VesselError('E_DIGEST_MISMATCH', `${file}: blob ${digest} does not match its digest`);
    }
    const manifest = parseJson(Manifest, (await run('cat', [path.join(blobs, desc.digest.slice(7))])).stdout, 'the imported manifest');
    const scan = newScanState();
    for (const l of manifest.layers) await scanLayer(path.join(blobs, l.digest.slice(7)), l.digest, scan);
    await store.withIndexLock('image import', async () => {
      for (const n of readdirSync(blobs)) {
        const digest = `sha256:${n}`;
        if (!store.hasBlob(digest)) await rename(path.join(blobs, n), store.blobPath(digest));
      }
      await store.tag(name, { mediaType: desc.mediaType, digest: desc.digest, size: desc.size }, {});
    });
    return { name, manifest: desc };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

export async function exportArchive(store: ImageStore, image: { name: string; manifest: Descriptor }, file: string, format: ArchiveFormat, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const bin = skopeo(env);
  const out = path.resolve(file);
  if (existsSync(out)) throw new VesselError('E_ALREADY_EXISTS', `${out} already exists: remove it or pick another file`);
  store.init();
  const temp = path.join(store.ingestDir, `.export.${tempSuffix()}`);
  const partial = `${out}.${tempSuffix()}`;
  try {
    viewLayout(store, temp, image.manifest, 'export');
    const ref = parseReference(image.name);
    const dest = format === 'docker-archive' ? `docker-archive:${partial}:${ref.registry}/${ref.repository}:${ref.tag ?? 'latest'}` : `oci-archive:${partial}:${image.name}`;
    const r = await run(bin, ['copy', '--quiet', `oci:${temp}:export`, dest]);
    if (r.code !== 0) throw new VesselError('E_INTERNAL', `cannot export ${image.name}: ${lastLine(r.stderr)}`);
    await rename(partial, out);
  } finally {
    await rm(temp, { recursive: true, force: true });
    await rm(partial, { force: true });
  }
}
