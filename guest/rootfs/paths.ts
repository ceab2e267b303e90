// Where the quick-start root filesystem lives by default.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory holding Vessel's package.json, from src or from dist/. */
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

/** build/rootfs/busybox in the repository, unless VESSEL_ROOTFS_DIR says otherwise. */
export function defaultRootfsDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.VESSEL_ROOTFS_DIR;
  if (override !== undefined && override !== '') return path.resolve(override);
  return path.join(findRepoRoot(path.dirname(fileURLToPath(import.meta.url))), 'build', 'rootfs', 'busybox');
}
