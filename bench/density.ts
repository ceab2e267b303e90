/**
 * Density benchmark (`npm run bench:density`): start idle 256 MiB sandboxes
 * one after another until BENCH_DENSITY_MAX (30) run or host memory in use
 * passes BENCH_DENSITY_HOST_GIB (12 GiB); then, after BENCH_IDLE_S (30 s)
 * idle, print how many, each one's PSS (QEMU + helpers, smaps_rollup), its
 * idle host CPU (% of one core, target < 2 %), and that every one answers a
 * Check within 1 s. Other engineers' VMs share this machine: the load average
 * is printed beside the figures. Not a test: it asserts nothing.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createRuntime } from '../core/api/index.js';
import { checkMs, describe, hostMemUsed, idleCpu, mib, sandboxMemory, startIdle, type IdleSandbox } from './idle-sandboxes.js';

const MAX = Number(process.env.BENCH_DENSITY_MAX ?? 30);
const HOST_LIMIT = Number(process.env.BENCH_DENSITY_HOST_GIB ?? 12) * 1024 ** 3;
const MEMORY_MIB = Number(process.env.BENCH_MEMORY_MIB ?? 256);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 30);

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'vessel-density-'));
  const root = path.join(work, 'root');
  mkdirSync(root);
  const rt = createRuntime({ ...process.env, VESSEL_ROOT: root });
  const list: IdleSandbox[] = [];
  const baseUsed = hostMemUsed();
  const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
  try {
    console.log(`density benchmark: up to ${MAX} idle ${MEMORY_MIB} MiB sandboxes or host memory use past ${(HOST_LIMIT / 1024 ** 3).toFixed(0)} GiB (now ${(baseUsed / 1024 ** 3).toFixed(1)} GiB); load average ${load()}`);
    let stopReason = `reached ${MAX}`;
    while (list.length < MAX) {
      if (hostMemUsed() > HOST_LIMIT) {
        stopReason = `host memory use ${(hostMemUsed() / 1024 ** 3).toFixed(1)} GiB passed the limit`;
        break;
      }
      try {
        const s = await startIdle(rt, root, `dense-${list.length}`, MEMORY_MIB);
        list.push(s);
        console.log(`  #${list.length} up in ${(s.bootMs / 1000).toFixed(1)} s; host memory in use ${(hostMemUsed() / 1024 ** 3).toFixed(2)} GiB; load ${load()}`);
      } catch (err) {
        stopReason = `sandbox ${list.length + 1} failed: ${err instanceof Error ? err.message : String(err)}`;
        break;
      }
    }
    console.log(`${list.length} sandboxes running (${stopReason}); idling ${IDLE_S} s...`);
    await new Promise((r) => setTimeout(r, Math.max(0, IDLE_S - 10) * 1000));
    const cpu = await idleCpu(list, Math.min(IDLE_S, 10) * 1000);
    let total = 0;
    let slow = 0;
    let cpuOver = 0;
    for (const [i, s] of list.entries()) {
      const { mem, processes } = sandboxMemory(s);
      total += mem.pssBytes;
      const ms = await checkMs(rt, s).catch(() => Number.POSITIVE_INFINITY);
      if (!(ms <= 1000)) slow += 1;
      if ((cpu[i] ?? 0) >= 2) cpuOver += 1;
      console.log(`  #${i + 1}: ${describe(mem)}, ${processes} process(es); idle CPU ${(cpu[i] ?? NaN).toFixed(2)} % of a core; Check ${Number.isFinite(ms) ? ms.toFixed(0) : 'failed'} ms`);
    }
    const n = Math.max(1, list.length);
    console.log(`density: ${list.length} idle ${MEMORY_MIB} MiB sandboxes (target 30); mean PSS ${mib(total / n)} MiB each (${(total / n / 1e6).toFixed(1)} MB), total ${mib(total)} MiB; host memory use grew ${mib(hostMemUsed() - baseUsed)} MiB`);
    console.log(`idle CPU: mean ${(cpu.reduce((a, b) => a + b, 0) / n).toFixed(2)} % of a core per sandbox, ${cpuOver} at or over 2 %; Check within 1 s: ${list.length - slow}/${list.length}; load average ${load()}`);
  } finally {
    for (const s of list) await rt.sandboxes.deleteSandbox(s.id, { force: true }).catch(() => undefined);
    rt.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
