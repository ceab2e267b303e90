import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Walks up from `start` to the directory holding Vessel's package.json (works from src and from dist/). */
export function findRepoRoot(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(pkg, 'utf8'));
        if (typeof parsed === 'object' && parsed !== null && (parsed as { name?: unknown }).name === 'vessel') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the Vessel repository above ${start}`);
    dir = parent;
  }
}
