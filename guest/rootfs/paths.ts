// Where the quick-start root filesystem lives by default.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRepoRoot } from '../build/paths.js';

export { findRepoRoot };

/** build/rootfs/busybox in the repository, unless VESSEL_ROOTFS_DIR says otherwise. */
export function defaultRootfsDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.VESSEL_ROOTFS_DIR;
  if (override !== undefined && override !== '') return path.resolve(override);
  return path.join(findRepoRoot(path.dirname(fileURLToPath(import.meta.url))), 'build', 'rootfs', 'busybox');
}
