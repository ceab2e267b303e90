// Builds vessel-portwait (guest/portwait/vessel-portwait.c), the static helper
// the agent waits in while no host is connected to one of its ports.
import path from 'node:path';
import { compileStaticHelper } from './static-helper.js';

export const PORTWAIT_HELPER_GUEST_PATH = '/opt/vessel/bin/vessel-portwait';

export function portwaitHelperSource(repoRoot: string): string {
  return path.join(repoRoot, 'guest', 'portwait', 'vessel-portwait.c');
}

/** Compiles the helper statically; null (and says why) without a C compiler: the agent then polls an unconnected port every 20 ms. */
export function buildPortwaitHelper(repoRoot: string, outFile: string, progress: (m: string) => void): Buffer | null {
  const r = compileStaticHelper(portwaitHelperSource(repoRoot), outFile);
  if ('why' in r) {
    progress(`note: cannot build the port wait helper (${r.why}); an idle VM with no host connected then polls its ports`);
    return null;
  }
  return r.binary;
}
