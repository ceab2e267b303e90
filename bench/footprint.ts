/**
 * Footprint benchmark (`npm run bench:footprint`): idle host memory per
 * sandbox (PSS of QEMU and its helpers, from smaps_rollup; 512 MiB guests,
 * after BENCH_IDLE_S = 60 s idle), for several guest layouts side by side in
 * one run. Each layout gets its own copy of the guest image and
 * BENCH_PER_MODE (2) sandboxes, so the shared image's pages are split only
 * between that layout's sandboxes, as they would be on a machine running
 * only that layout. Target: < 122 MB (Kata's per-pod footprint). Not a test.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createRuntime, type Runtime } from '../core/api/index.js';
import { guestImageDir } from '../core/agent/index.js';
import { buildGuestImage } from '../guest/build/image.js';
import { copyGuestImage } from './sandbox-fixture.js';
import { checkMs, describe, describeBreakdown, idleCpu, mib, sandboxMemory, startIdle, type IdleSandbox } from './idle-sandboxes.js';

const MEMORY_MIB = Number(process.env.BENCH_MEMORY_MIB ?? 512);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 60);
const PER_MODE = Number(process.env.BENCH_PER_MODE ?? 2);

interface Mode { key: string; label: string; env: NodeJS.ProcessEnv; initramfs?: boolean }

const ALL: Mode[] = [
  { key: 'pmem', label: 'virtio-pmem + DAX (default)', env: { VESSEL_IMAGE_DEVICE: 'virtio-pmem' } },
  { key: 'nvdimm', label: 'nvdimm + DAX', env: { VESSEL_IMAGE_DEVICE: 'nvdimm' } },
  { key: 'blk', label: 'virtio-blk EROFS', env: { VESSEL_IMAGE_DEVICE: 'virtio-blk' } },
  { key: 'initramfs', label: 'initramfs (old layout)', env: {}, initramfs: true },
  { key: 'pmem-tb1g', label: 'pmem, TCG cache QEMU default (1 GiB)', env: { VESSEL_IMAGE_DEVICE: 'virtio-pmem', VESSEL_TCG_TB_SIZE: 'default' } },
  ...[32, 64, 128, 256].map((tb) => ({ key: `pmem-tb${tb}`, label: `pmem, TCG cache ${tb} MiB`, env: { VESSEL_IMAGE_DEVICE: 'virtio-pmem', VESSEL_TCG_TB_SIZE: String(tb) } })),
  { key: 'pmem-nofpr', label: 'pmem, no free page reporting', env: { VESSEL_IMAGE_DEVICE: 'virtio-pmem', VESSEL_FREE_PAGE_REPORTING: 'off' } },
];

async function main(): Promise<void> {
  const keys = (process.env.BENCH_MODES ?? 'pmem,blk,initramfs,pmem-tb1g,pmem-nofpr').split(',').map((k) => k.trim());
  const modes = keys.map((k) => {
    const m = ALL.find((x) => x.key === k);
    if (!m) throw new Error(`unknown mode ${k} (${ALL.map((x) => x.key).join(', ')})`);
    return m;
  });
  const work = mkdtempSync(path.join(tmpdir(), 'vessel-footprint-'));
  const root = path.join(work, 'root');
  mkdirSync(root);
  const runtimes: Runtime[] = [];
  const started: { mode: Mode; rt: Runtime; s: IdleSandbox }[] = [];
  try {
    console.log(`footprint benchmark: ${PER_MODE} idle sandboxes per layout, ${MEMORY_MIB} MiB, ${IDLE_S} s idle; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    for (const m of modes) {
      const dir = path.join(work, `guest-${m.key}`);
      if (m.initramfs) await buildGuestImage({ repoRoot: process.cwd(), outDir: dir, root: 'initramfs' });
      else copyGuestImage(guestImageDir(), dir);
      const rt = createRuntime({ ...process.env, ...m.env, VESSEL_GUEST_DIR: dir, VESSEL_ROOT: root });
      runtimes.push(rt);
      for (let i = 0; i < PER_MODE; i++) {
        const s = await startIdle(rt, root, `fp-${m.key}-${i}`, MEMORY_MIB);
        started.push({ mode: m, rt, s });
        console.log(`  ${m.label} #${i + 1}: up in ${(s.bootMs / 1000).toFixed(1)} s`);
      }
    }
    console.log(`idling ${IDLE_S} s...`);
    await new Promise((r) => setTimeout(r, Math.max(0, IDLE_S - 10) * 1000));
    const cpu = await idleCpu(started.map((x) => x.s), Math.min(IDLE_S, 10) * 1000);
    for (const m of modes) {
      const mine = started.map((x, i) => ({ ...x, cpu: cpu[i] ?? NaN })).filter((x) => x.mode === m);
      const lines: string[] = [];
      let total = 0;
      for (const x of mine) {
        const { mem, processes } = sandboxMemory(x.s);
        total += mem.pssBytes;
        const check = await checkMs(x.rt, x.s).catch(() => NaN);
        lines.push(`    ${describe(mem)}, ${processes} process(es), idle CPU ${x.cpu.toFixed(2)} % of a core, Check ${check.toFixed(0)} ms`);
        lines.push(`      ${describeBreakdown(x.s, MEMORY_MIB)}`);
      }
      console.log(`${m.label}: mean PSS ${mib(total / mine.length)} MiB per sandbox (${(total / mine.length / 1e6).toFixed(1)} MB; target < 122 MB)`);
      for (const l of lines) console.log(l);
    }
  } finally {
    for (const x of started) await x.rt.sandboxes.deleteSandbox(x.s.id, { force: true }).catch(() => undefined);
    for (const rt of runtimes) rt.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
