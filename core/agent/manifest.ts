// Finding the guest image: build/guest/manifest.json (written by
// `npm run build:guest`), or the directory named by VESSEL_GUEST_DIR.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VesselError } from '../contract/index.js';
import { GuestManifest, GUEST_MANIFEST_SCHEMA_VERSION } from './proto/manifest.js';

export { GuestManifest, GUEST_MANIFEST_SCHEMA_VERSION };

export interface GuestImage extends GuestManifest {
  dir: string;
  kernelPath: string;
  /** The distribution's compressed kernel (the same kernel), when the image keeps it beside an unpacked one. */
  bzImagePath?: string;
  initrdPath: string;
  /** The shared read-only root image, when the image has one. */
  rootImagePath?: string;
}

function repoRoot(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const parsed = packageName(JSON.parse(readFileSync(pkg, 'utf8')));
        if (parsed === 'vessel') return dir;
      } catch {
        // keep walking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function packageName(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string' ? (value as { name: string }).name : undefined;
}

/** The guest image directory: $VESSEL_GUEST_DIR, else <repo>/build/guest. */
export function guestImageDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.VESSEL_GUEST_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  const root = repoRoot();
  if (!root) throw new VesselError('E_MISSING_DEPENDENCY', 'cannot locate the guest image: set VESSEL_GUEST_DIR to the directory holding manifest.json');
  return path.join(root, 'build', 'guest');
}

/** Read and validate the guest manifest; paths in the result are absolute. */
export function readGuestManifest(dir: string = guestImageDir()): GuestImage {
  const file = path.join(dir, 'manifest.json');
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    throw new VesselError('E_MISSING_DEPENDENCY', `no guest image at ${dir}: run "npm run build && npm run build:guest" (or set VESSEL_GUEST_DIR)`, { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new VesselError('E_CORRUPT_STATE', `guest manifest ${file} is not JSON: rebuild it with "npm run build:guest"`, { file });
  }
  const parsed = GuestManifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new VesselError('E_CORRUPT_STATE', `guest manifest ${file} is invalid (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}): rebuild it with "npm run build:guest"`, { file });
  }
  const m = parsed.data;
  const image: GuestImage = { ...m, dir, kernelPath: path.join(dir, m.kernel), ...(m.bzImage ? { bzImagePath: path.join(dir, m.bzImage) } : {}), initrdPath: path.join(dir, m.initrd), ...(m.rootImage ? { rootImagePath: path.join(dir, m.rootImage.file) } : {}) };
  for (const p of [image.kernelPath, image.initrdPath, ...(image.rootImagePath ? [image.rootImagePath] : [])]) {
    if (!existsSync(p)) throw new VesselError('E_MISSING_DEPENDENCY', `guest image file ${p} is missing: run "npm run build:guest"`, { file: p });
  }
  return image;
}
