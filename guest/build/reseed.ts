// Builds vessel-reseed (guest/reseed/vessel-reseed.c), the static helper the
// agent's ReseedRandomDev runs to credit host entropy and reseed the CRNG.
import path from 'node:path';
import { compileStaticHelper } from './static-helper.js';

export const RESEED_HELPER_GUEST_PATH = '/opt/vessel/bin/vessel-reseed';

export function reseedHelperSource(repoRoot: string): string {
  return path.join(repoRoot, 'guest', 'reseed', 'vessel-reseed.c');
}

/** Compiles the helper statically; null (and says why) without a C compiler: the agent then only mixes entropy in, uncredited. */
export function buildReseedHelper(repoRoot: string, outFile: string, progress: (m: string) => void): Buffer | null {
  const r = compileStaticHelper(reseedHelperSource(repoRoot), outFile);
  if ('why' in r) {
    progress(`note: cannot build the RNG reseed helper (${r.why}); template clones then get host entropy mixed in but not credited`);
    return null;
  }
  return r.binary;
}
