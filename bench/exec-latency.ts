/**
 * Exec latency (`npm run bench:exec`): `true` exec'd in a running busybox
 * container, end to end through the container API (ExecProcess, then
 * WaitProcess on the sandbox's shared agent connection), many times in a row.
 * Prints p50, p99 and the spread, through the guest's spawner and through
 * crun exec side by side. Target (issue 10): p50 <= 150 ms, p99 <= 300 ms under TCG.
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
    // Side by side in one run (the same VM and load): the guest's spawner (the default) and crun exec (VESSEL_EXEC_SPAWNER=0).
    for (const via of ['spawner', 'crun exec'] as const) {
      if (via === 'crun exec') process.env.VESSEL_EXEC_SPAWNER = '0';
      else delete process.env.VESSEL_EXEC_SPAWNER;
      const times: number[] = [];
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const t0 = performance.now();
        const p = await containers.enterContainer(sandboxId, c.id, { args: ['true'] });
        const exit = await containers.waitProcess(sandboxId, p.containerId, p.execId);
        const ms = performance.now() - t0;
        if (exit.exitCode !== 0) throw new Error(`exec ${i} (${via}): exit ${exit.exitCode}`);
        if (i >= WARMUP) times.push(ms);
      }
      const f = (q: number): string => `${percentile(times, q).toFixed(0)} ms`;
      console.log(`[exec] ${via}: true x${RUNS} (after ${WARMUP} warm-up): p50 ${f(50)}, p90 ${f(90)}, p99 ${f(99)}, min ${f(0)}, max ${f(100)} (target p50 <= 150 ms, p99 <= 300 ms)`);
    }
    delete process.env.VESSEL_EXEC_SPAWNER;
    // Where the time goes: the same exec with the agent directly (one lease), call by call, against a Check round trip.
    const { state } = await rt.sandboxes.readSandbox(sandboxId);
    if (!state.hypervisorState) throw new Error('the sandbox has no VM');
    await rt.sandboxes.withAgent(sandboxId, state.hypervisorState, async (agent) => {
      const check: number[] = [];
      const exec: number[] = [];
      const wait: number[] = [];
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const t0 = performance.now();
        await agent.check();
        const t1 = performance.now();
        await agent.execProcess(c.id, `bench-${i}`, { args: ['true'], cwd: '/', env: ['PATH=/bin:/usr/bin'] });
        const t2 = performance.now();
        await agent.waitProcess(c.id, `bench-${i}`);
        const t3 = performance.now();
        if (i < WARMUP) continue;
        check.push(t1 - t0);
        exec.push(t2 - t1);
        wait.push(t3 - t2);
      }
      const f = (xs: number[]): string => `p50 ${percentile(xs, 50).toFixed(0)} / p99 ${percentile(xs, 99).toFixed(0)} ms`;
      console.log(`[exec] breakdown, agent directly (spawner): Check ${f(check)}; ExecProcess ${f(exec)}; WaitProcess ${f(wait)}`);
    });
  } finally {
    await dispose();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:exec failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
