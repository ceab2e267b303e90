/**
 * Exec latency (`npm run bench:exec`): `true` exec'd in a running busybox
 * container, end to end through the container API (ExecProcess, then
 * WaitProcess on the sandbox's shared agent connection), many times in a row.
 * Prints p50, p99 and the spread. Target (issue 3): p50 <= 150 ms under TCG.
 * Not a test: it asserts nothing.
 */
import { benchSandbox, percentile } from './sandbox-fixture.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const WARMUP = 3;

async function main(): Promise<void> {
  const { rt, sandboxId, dispose } = await benchSandbox('exec');
  const { containers } = rt;
  try {
    const c = await containers.runContainer(sandboxId, { name: 'idle', args: ['sleep', '3600'] });
    const times: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const t0 = performance.now();
      const p = await containers.enterContainer(sandboxId, c.id, { args: ['true'] });
      const exit = await containers.waitProcess(sandboxId, p.containerId, p.execId);
      const ms = performance.now() - t0;
      if (exit.exitCode !== 0) throw new Error(`exec ${i}: exit ${exit.exitCode}`);
      if (i >= WARMUP) times.push(ms);
    }
    const f = (p: number): string => `${percentile(times, p).toFixed(0)} ms`;
    console.log(`[exec] true x${RUNS} (after ${WARMUP} warm-up): p50 ${f(50)}, p90 ${f(90)}, p99 ${f(99)}, min ${f(0)}, max ${f(100)} (target p50 <= 150 ms)`);
  } finally {
    await dispose();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:exec failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
