// Builds vessel-shutrd (guest/shutrd/vessel-shutrd.c), the static helper the
// agent closes a process's output with when the host's reader is gone for
// good: shutdown(SHUT_RD), which node cannot call.
import path from 'node:path';
import { compileStaticHelper } from './static-helper.js';

export const SHUTRD_HELPER_GUEST_PATH = '/opt/vessel/bin/vessel-shutrd';

export function shutrdHelperSource(repoRoot: string): string {
  return path.join(repoRoot, 'guest', 'shutrd', 'vessel-shutrd.c');
}

/** Compiles the helper statically; null (and says why) without a C compiler: the agent then closes its end of the socket instead. */
export function buildShutrdHelper(repoRoot: string, outFile: string, progress: (m: string) => void): Buffer | null {
  const r = compileStaticHelper(shutrdHelperSource(repoRoot), outFile);
  if ('why' in r) {
    progress(`note: cannot build the output shutdown helper (${r.why}); a process whose reader left may then see ECONNRESET instead of SIGPIPE`);
    return null;
  }
  return r.binary;
}
