/**
 * The quick-start container root filesystem: Debian's busybox-static, one
 * symlink per applet and a minimal /etc, built locally without network.
 */
export {
  buildBusyboxRootfs,
  isDynamicallyLinked,
  ROOTFS_RECIPE_VERSION,
  DEFAULT_BUSYBOX,
  STAMP_FILE,
} from './busybox.js';
export type { BusyboxRootfsOptions, BusyboxRootfsResult } from './busybox.js';
export { defaultRootfsDir, findRepoRoot } from './paths.js';
