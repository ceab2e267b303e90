// Builds vessel-spawner (guest/spawner/vessel-spawner.c), the static helper
// that starts exec'd processes in a container without a crun exec per process.
import path from 'node:path';
import { compileStaticHelper } from './static-helper.js';

export const SPAWNER_HELPER_GUEST_PATH = '/opt/vessel/bin/vessel-spawner';

export function spawnerHelperSource(repoRoot: string): string {
  return path.join(repoRoot, 'guest', 'spawner', 'vessel-spawner.c');
}

/** Compiles the helper statically; null (and says why) without a C compiler: every exec then goes through crun exec. */
export function buildSpawnerHelper(repoRoot: string, outFile: string, progress: (m: string) => void): Buffer | null {
  const r = compileStaticHelper(spawnerHelperSource(repoRoot), outFile);
  if ('why' in r) {
    progress(`note: cannot build the exec spawner (${r.why}); every exec then goes through crun exec (slower)`);
    return null;
  }
  return r.binary;
}
