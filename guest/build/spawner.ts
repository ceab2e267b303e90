// Builds vessel-spawner (guest/spawner/vessel-spawner.c), the static helper
// that starts exec'd processes in a container without a crun exec per process.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const SPAWNER_HELPER_GUEST_PATH = '/opt/vessel/bin/vessel-spawner';

export function spawnerHelperSource(repoRoot: string): string {
  return path.join(repoRoot, 'guest', 'spawner', 'vessel-spawner.c');
}

/** Compiles the helper statically; null (and says why) without a C compiler: every exec then goes through crun exec. */
export function buildSpawnerHelper(repoRoot: string, outFile: string, progress: (m: string) => void): Buffer | null {
  const cc = process.env.CC ?? 'gcc';
  const res = spawnSync(cc, ['-static', '-Os', '-s', '-Wall', '-Wextra', '-o', outFile, spawnerHelperSource(repoRoot)], { encoding: 'utf8' });
  if (res.error || res.status !== 0) {
    progress(`note: cannot build the exec spawner (${(res.error?.message ?? res.stderr).trim().split('\n')[0] ?? ''}); every exec then goes through crun exec (slower)`);
    return null;
  }
  return readFileSync(outFile);
}
