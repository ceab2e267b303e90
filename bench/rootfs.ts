/**
 * Root filesystem and pull benchmark (`npm run bench:rootfs`). In one run:
 * - pull throughput from a registry on 127.0.0.1 (Debian's docker-registry,
 *   started here on a random port): a 64 MiB incompressible layer, cold;
 * - in a container on a real QEMU sandbox: untar a 20,000-file tree into the
 *   container's root, `find /` over it, read 10,000 of the files written,
 *   and read 10,000 files of the same tree shipped in the image itself
 *   (the image carries /tree.tar and the same tree unpacked under /img); one sandbox per rootfs transport (9p, virtio-fs, block),
 *   one after the other, printed side by side (BENCH_ROOTFS_TRANSPORTS
 *   picks a subset, BENCH_ROOTFS_FILES another tree size). Every step is
 *   bounded (BENCH_ROOTFS_STEP_TIMEOUT_MS): one that fails or passes the
 *   limit is reported with its time and how far it got (files extracted,
 *   files per second), and the run goes on.
 * Not a test: it asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { ImageService } from '../core/image/index.js';
import { LayoutBuilder, registryToolsMissing, skopeoPush, startRegistry } from '../core/image/test-registry.js';
import { ensureBusyboxRootfs } from '../core/api/container-spec.js';
import { createRuntime } from '../core/api/index.js';
import type { RootfsTransport } from '../core/contract/index.js';
import { transportUnavailable } from '../core/image/rootfs-transport.js';

const FILES = Number(process.env.BENCH_ROOTFS_FILES ?? 20_000);
const READS = Math.min(10_000, Math.floor(FILES / 2));
/** Each step is bounded (BENCH_ROOTFS_STEP_TIMEOUT_MS, default 600 s): a step past it is killed and reported with how far it got. */
const STEP_LIMIT_MS = Number(process.env.BENCH_ROOTFS_STEP_TIMEOUT_MS ?? 600_000);

async function main(): Promise<void> {
  const missing = registryToolsMissing();
  if (missing) throw new Error(missing);
  console.log(`[rootfs] load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const work = mkdtempSync(path.join(tmpdir(), 'vessel-bench-rootfs-'));
  const lateDirs: string[] = [];
  const reg = await startRegistry();
  try {
    // ---- pull throughput
    const big = new LayoutBuilder(work, 'big');
    writeFileSync(path.join(big.rootfs, 'random.bin'), randomBytes(64 * 1024 * 1024));
    big.layer();
    big.done();
    await skopeoPush(big.layout, 'big', `${reg.host}/bench/big:1`);
    const store = mkdtempSync(path.join(tmpdir(), 'vessel-bench-store-'));
    const images = new ImageService(path.join(store, 'images'), { usedBy: async () => [] });
    const t0 = performance.now();
    const img = await images.pull(`${reg.host}/bench/big:1`, { insecure: true });
    const s = (performance.now() - t0) / 1000;
    console.log(`[pull] ${(img.size / 1048576).toFixed(1)} MiB (gzip of random bytes) from the loopback registry in ${s.toFixed(2)} s: ${(img.size / 1048576 / s).toFixed(0)} MiB/s (digest verified, layer scanned)`);
    const t1 = performance.now();
    await images.pull(`${reg.host}/bench/big:1`, { insecure: true });
    console.log(`[pull] again (all blobs present): ${((performance.now() - t1) / 1000).toFixed(2)} s`);
    rmSync(store, { recursive: true, force: true });

    // ---- the tree, as a tar inside an image
    const tree = path.join(work, 'tree');
    for (let d = 0; d < FILES / 100; d++) {
      mkdirSync(path.join(tree, `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(path.join(tree, `d${d}`, `f${f}`), `file ${d}/${f}\n`);
    }
    const b = new LayoutBuilder(work, 'tree');
    cpSync(ensureBusyboxRootfs(), b.rootfs, { recursive: true, verbatimSymlinks: true });
    execFileSync('tar', ['-cf', path.join(b.rootfs, 'tree.tar'), '-C', work, 'tree']);
    cpSync(tree, path.join(b.rootfs, 'img'), { recursive: true });
    b.layer();
    b.done();
    await skopeoPush(b.layout, 'tree', `${reg.host}/bench/tree:1`);

    const root = mkdtempSync(path.join(tmpdir(), 'vessel-bench-rfs-'));
    lateDirs.push(root);
    const rt = createRuntime({ ...process.env, VESSEL_ROOT: root });
    const rows: string[] = [];
    try {
      await rt.images.pull(`${reg.host}/bench/tree:1`, { insecure: true });
      const wanted = (process.env.BENCH_ROOTFS_TRANSPORTS ?? '9p,virtio-fs,block').split(',') as RootfsTransport[];
      for (const transport of wanted) {
        const why = transportUnavailable(transport);
        if (why) {
          rows.push(`[rootfs] ${transport}: not available here (${why})`);
          continue;
        }
        const t0 = performance.now();
        const sb = await rt.sandboxes.runSandbox({ vcpus: 1, memoryMiB: 512, network: 'none', rootfsTransport: transport });
        console.log(`[rootfs] ${transport}: sandbox running in ${((performance.now() - t0) / 1000).toFixed(1)} s (${sb.accel ?? '?'})`);
        try {
          const tc = performance.now();
          const c = await rt.containers.runContainer(sb.id, { name: 'bench', image: `${reg.host}/bench/tree:1`, args: ['sleep', '3600'] });
          const createS = (performance.now() - tc) / 1000;
          const limitMs = STEP_LIMIT_MS;
          // A step that fails or runs past the limit is reported with its figure; the run goes on to the next transport.
          const exec = (script: string, timeoutMs: number) => rt.containers.execSync(sb.id, c.id, ['sh', '-c', script], { timeoutMs }).catch((err: unknown) => ({ exitCode: -1, stdout: '', stderr: String(err) }));
          // After a failed step, how far it got (e.g. files extracted), so the figure says something.
          const time = async (label: string, script: string, progress?: { script: string; of: number; unit: string }): Promise<string> => {
            const t = performance.now();
            const r = await exec(script, limitMs);
            const secs = (performance.now() - t) / 1000;
            if (r.exitCode !== 0) {
              const killed = secs * 1000 >= limitMs - 1000;
              let done = '';
              if (progress) {
                const n = Number((await exec(progress.script, 120_000)).stdout.trim());
                if (Number.isFinite(n)) done = `; ${n} of ${progress.of} ${progress.unit} in that time, ${(n / secs).toFixed(1)}/s`;
              }
              return `${label} FAILED after ${secs.toFixed(0)} s (exit ${r.exitCode}${killed ? ', killed at the step limit' : ''}${done}${r.stderr ? `: ${r.stderr.trim().slice(0, 160)}` : ''})`;
            }
            return `${label} ${secs.toFixed(2)} s${progress ? ` = ${(progress.of / secs).toFixed(0)} ${progress.unit}/s` : ''}${r.stdout.trim() ? ` (${r.stdout.trim()})` : ''}`;
          };
          const results = [
            `container create ${createS.toFixed(2)} s`,
            await time(`untar ${FILES} files`, 'mkdir -p /work && tar -xf /tree.tar -C /work', { script: 'find /work -type f | wc -l', of: FILES, unit: 'files' }),
            await time('find', 'find / -xdev | wc -l'),
            await time(`read ${READS} files`, `find /work/tree -type f | head -n ${READS} | xargs cat | wc -l`),
            await time(`read ${READS} image files`, `find /img -type f | head -n ${READS} | xargs cat | wc -l`),
          ];
          rows.push(`[rootfs] ${transport} (${c.rootfsMode}): ${results.join(', ')}`);
          console.log(rows[rows.length - 1]);
        } finally {
          await rt.sandboxes.deleteSandbox(sb.id, { force: true });
        }
      }
    } finally {
      rt.close();
      rmSync(root, { recursive: true, force: true });
    }
    console.log(`\n[rootfs] side by side (${FILES} files, step limit ${STEP_LIMIT_MS / 1000} s; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}):`);
    for (const r of rows) console.log(r);
  } finally {
    await reg.stop();
    rmSync(work, { recursive: true, force: true });
    // A lock release still in flight after rt.close() can recreate ROOT/locks: remove the root once more at the very end.
    for (const d of lateDirs) rmSync(d, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:rootfs failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
