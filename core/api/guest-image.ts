import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { VesselError } from '../contract/index.js';
import { GuestManifest } from '../agent/proto/manifest.js';
import { defaultGuestDir } from '../host/index.js';

export { GuestManifest };

export function guestImageDir(env: NodeJS.ProcessEnv = process.env): string {
  return defaultGuestDir(env);
}

/** Read and validate the guest manifest; its kernel and initrd resolve against its folder. */
export function loadGuestManifest(env: NodeJS.ProcessEnv = process.env): GuestManifest {
  const dir = guestImageDir(env);
  const file = path.join(dir, 'manifest.json');
  if (!existsSync(file)) {
    throw new VesselError('E_MISSING_DEPENDENCY', `no guest image at ${dir}: run 'npm run setup' (or 'npm run build:guest')`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new VesselError('E_CORRUPT_STATE', `guest manifest ${file} is not valid JSON: rebuild it with 'npm run build:guest'`, undefined, { cause: err });
  }
  const parsed = GuestManifest.safeParse(raw);
  if (!parsed.success) {
    throw new VesselError('E_CORRUPT_STATE', `guest manifest ${file} is malformed (${parsed.error.issues[0]?.message ?? 'invalid'}): rebuild it with 'npm run build:guest'`);
  }
  const m = parsed.data;
  return { ...m, kernel: path.resolve(dir, m.kernel), initrd: path.resolve(dir, m.initrd) };
}
