// The guest's small C helpers (vessel-console, vessel-reseed, vessel-spawner)
// are compiled the same way: statically, small, with warnings on.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Compiles `source` statically into `outFile`; null, with the compiler's first line of complaint, when it cannot. */
export function compileStaticHelper(source: string, outFile: string): { binary: Buffer } | { why: string } {
  const cc = process.env.CC ?? 'gcc';
  const res = spawnSync(cc, ['-static', '-Os', '-s', '-Wall', '-Wextra', '-o', outFile, source], { encoding: 'utf8' });
  if (res.error || res.status !== 0) return { why: (res.error?.message ?? res.stderr).trim().split('\n')[0] ?? '' };
  return { binary: readFileSync(outFile) };
}
