// Builds vessel-console (guest/console/vessel-console.c), the static helper
// that receives crun's pty master for TTY processes (see the C file for why).
import path from 'node:path';
import { compileStaticHelper } from './static-helper.js';

export const CONSOLE_HELPER_GUEST_PATH = '/opt/vessel/bin/vessel-console';

export function consoleHelperSource(repoRoot: string): string {
  return path.join(repoRoot, 'guest', 'console', 'vessel-console.c');
}

/**
 * Compiles the helper statically into `outFile`. Returns null (and says why)
 * when no C compiler or static libc is available: the agent then runs TTY
 * processes on its own pty without a controlling terminal (no job control).
 */
export function buildConsoleHelper(repoRoot: string, outFile: string, progress: (m: string) => void): Buffer | null {
  const r = compileStaticHelper(consoleHelperSource(repoRoot), outFile);
  if ('why' in r) {
    progress(`note: cannot build the TTY console helper (${r.why}); install gcc and libc6-dev for job control in container terminals`);
    return null;
  }
  return r.binary;
}
