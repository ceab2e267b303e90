// Builds vessel-reseed (guest/reseed/vessel-reseed.c), the static helper the
// agent's ReseedRandomDev runs to credit host entropy and reseed the CRNG.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const RESEED_HELPER_GUEST_PATH = '/opt/vessel/bin/vessel-reseed';

export function reseedHelperSource(repoRoot: string): string {
  return path.join(repoRoot, 'guest', 'reseed', 'vessel-reseed.c');
}

/** Compiles the helper statically; null (and says why) without a C compiler: the agent then only mixes entropy in, uncredited. */
export function buildReseedHelper(repoRoot: string, outFile: string, progress: (m: string) => void): Buffer | null {
  const cc = process.env.CC ?? 'gcc';
  const res = spawnSync(cc, ['-static', '-Os', '-s', '-Wall', '-Wextra', '-o', outFile, reseedHelperSource(repoRoot)], { encoding: 'utf8' });
  if (res.error || res.status !== 0) {
    progress(`note: cannot build the RNG reseed helper (${(res.error?.message ?? res.stderr).trim().split('\n')[0] ?? ''}); template clones then get host entropy mixed in but not credited`);
    return null;
  }
  return readFileSync(outFile);
}
