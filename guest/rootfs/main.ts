// Build (or confirm up to date) the quick-start busybox root filesystem.
// Output: build/rootfs/busybox in the repository; VESSEL_ROOTFS_DIR overrides.
// Env VESSEL_BUSYBOX picks another (static) busybox binary.
import { isVesselError } from '../../core/contract/index.js';
import { buildBusyboxRootfs, DEFAULT_BUSYBOX } from './busybox.js';
import { defaultRootfsDir } from './paths.js';

async function main(): Promise<void> {
  const t0 = Date.now();
  const busybox = process.env.VESSEL_BUSYBOX !== undefined && process.env.VESSEL_BUSYBOX !== '' ? process.env.VESSEL_BUSYBOX : DEFAULT_BUSYBOX;
  const result = await buildBusyboxRootfs(defaultRootfsDir(), { busybox, onProgress: (m) => console.log(`[rootfs] ${m}`) });
  const what = result.upToDate ? 'is up to date' : 'built';
  console.log(`[rootfs] ${result.dir} ${what}: ${result.applets} applets, busybox sha256 ${result.busyboxSha256.slice(0, 12)}, ${((Date.now() - t0) / 1000).toFixed(2)} s`);
}

main().catch((err: unknown) => {
  if (isVesselError(err)) console.error(`[rootfs] ${err.code}: ${err.message}`);
  else console.error(`[rootfs] build failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
