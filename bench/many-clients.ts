/**
 * Many clients on one sandbox (`npm run bench:clients`): 20 host clients, each
 * its own connection to the sandbox's agent channel owner (as 20 processes
 * would have), each following a container's output stream (the data plane)
 * and calling Health.Check once per period (BENCH_PERIOD_MS, default 1000:
 * a UI's health poll) for 30 s. Prints the Check latency
 * (p50/p99/max) and how many streams ended early. Targets (issue 10): no
 * stream ends, Check p99 <= 100 ms under TCG. Not a test: it asserts nothing.
 */
import { setMaxListeners } from 'node:events';
import { channelPaths } from '../core/agent/channel/launch.js';
import { AgentClient } from '../core/agent/index.js';
import { benchSandbox, percentile } from './sandbox-fixture.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const PERIOD_MS = Number(process.env.BENCH_PERIOD_MS ?? 1000);

async function main(): Promise<void> {
  const { rt, sandboxId, dispose } = await benchSandbox('clients');
  const clients: AgentClient[] = [];
  const abort = new AbortController();
  setMaxListeners(CLIENTS * 2, abort.signal);
  try {
    const c = await rt.containers.runContainer(sandboxId, { name: 'ticker', args: ['sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done'] });
    const { state } = await rt.sandboxes.readSandbox(sandboxId);
    const socket = state.agentChannel?.socket;
    if (!socket || !state.hypervisorState) throw new Error('the sandbox has no agent channel owner');
    const ioPath = channelPaths(state.hypervisorState.paths.runDir).ioSocket;
    for (let i = 0; i < CLIENTS; i++) clients.push(await AgentClient.connect({ kind: 'channel', path: socket, ioPath }, { timeoutMs: 60_000 }));
    console.log(`[clients] ${CLIENTS} clients connected to ${socket}`);
    let ended = 0;
    const bytes = new Array<number>(CLIENTS).fill(0);
    const readers = clients.map(async (client, i) => {
      try {
        for await (const chunk of client.readStream(c.id, c.id, 'stdout', { signal: abort.signal })) bytes[i] = (bytes[i] ?? 0) + chunk.length;
      } catch {
        // counted below
      }
      if (!abort.signal.aborted) ended++;
    });
    const latencies: number[] = [];
    let failures = 0;
    const until = Date.now() + SECONDS * 1000;
    await Promise.all(clients.map(async (client, i) => {
      await new Promise((r) => setTimeout(r, (i * PERIOD_MS) / CLIENTS));
      while (Date.now() < until) {
        const t0 = performance.now();
        try {
          await client.check();
          latencies.push(performance.now() - t0);
        } catch {
          failures++;
        }
        await new Promise((r) => setTimeout(r, PERIOD_MS));
      }
    }));
    abort.abort();
    await Promise.race([Promise.all(readers), new Promise((r) => setTimeout(r, 2_000))]);
    const f = (p: number): string => `${percentile(latencies, p).toFixed(1)} ms`;
    console.log(`[clients] Check x${latencies.length} from ${CLIENTS} clients, one each per ${PERIOD_MS} ms, over ${SECONDS} s: p50 ${f(50)}, p99 ${f(99)}, max ${f(100)}; ${failures} failed (target p99 <= 100 ms)`);
    console.log(`[clients] output streams ended early: ${ended}/${CLIENTS} (target 0); each received ${Math.min(...bytes)}..${Math.max(...bytes)} bytes`);
  } finally {
    abort.abort();
    for (const client of clients) client.close();
    await dispose();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:clients failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
