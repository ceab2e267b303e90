// `npm run build:guest`: build (or confirm up to date) the guest image in build/guest/.
// Env: VESSEL_GUEST_DIR (output dir), VESSEL_GUEST_KERNEL (kernel image),
// VESSEL_GUEST_COMPRESSION (none|gzip|zstd, default none: fastest boot under TCG),
// VESSEL_GUEST_ROOT (image|initramfs, default image: a shared read-only EROFS root, see rootfs.ts),
// VESSEL_GUEST_NODE_FLAGS (the agent's node flags; default --no-opt, see image.ts).
// Flags: --force (rebuild even when up to date).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGuestImage, MissingInputError, type Compression, type RootLayout } from './image.js';
import { findRepoRoot } from './paths.js';

function compressionFromEnv(value: string | undefined): Compression {
  if (value === undefined || value === '') return 'none';
  if (value === 'none' || value === 'gzip' || value === 'zstd') return value;
  throw new Error(`VESSEL_GUEST_COMPRESSION must be none, gzip or zstd (got ${value})`);
}

function rootFromEnv(value: string | undefined): RootLayout {
  if (value === undefined || value === '') return 'image';
  if (value === 'image' || value === 'initramfs') return value;
  throw new Error(`VESSEL_GUEST_ROOT must be image or initramfs (got ${value})`);
}

async function main(): Promise<void> {
  const repoRoot = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));
  const outDir = path.resolve(process.env.VESSEL_GUEST_DIR ?? path.join(repoRoot, 'build', 'guest'));
  // Unset: the default flags (DEFAULT_AGENT_NODE_FLAGS); set (even to ''): exactly these.
  const flagsEnv = process.env.VESSEL_GUEST_NODE_FLAGS;
  const nodeFlags = flagsEnv === undefined ? undefined : flagsEnv.split(/\s+/).filter(Boolean);
  const t0 = Date.now();
  const result = await buildGuestImage({
    repoRoot,
    outDir,
    compression: compressionFromEnv(process.env.VESSEL_GUEST_COMPRESSION),
    root: rootFromEnv(process.env.VESSEL_GUEST_ROOT),
    force: process.argv.includes('--force'),
    ...(nodeFlags ? { nodeFlags } : {}),
    onProgress: (m) => console.log(`[guest] ${m}`),
  });
  const m = result.manifest;
  console.log(`[guest] ${result.upToDate ? 'image is up to date' : 'image built'}: kernel ${m.kernelRelease}, agent ${m.agentVersion}, ${(m.sizeBytes / 1048576).toFixed(1)} MiB, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  if (err instanceof MissingInputError) console.error(`[guest] missing input: ${err.message}`);
  else console.error(`[guest] build failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
