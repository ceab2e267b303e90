/**
 * Container stdout throughput (`npm run bench:stdout`): a busybox container
 * writes BENCH_MIB MiB to its stdout (dd from /dev/zero); the host reads it
 * two ways in the same run, round by round, so machine load hits both alike:
 *   data plane: the container API's ioStream (framed streams with credits over
 *     the vessel.io port, through the sandbox's channel owner), the path
 *     `vessel run` and the app use;
 *   RPC: ReadStdout long-polls (one gRPC call per chunk), the previous path,
 *     through the same owner.
 * Prints MB/s per round and the medians, from the start of the container
 * (what a user waits for) and from its first byte (the transfer alone), and
 * the first round on its own: a fresh sandbox's first container, slower (its
 * guest runs crun, the kernel's container paths and dd for the first time).
 * Target (issue 3/10): at least 20 MB/s under TCG. Not a test: it asserts nothing.
 */
import { AgentClient } from '../core/agent/index.js';
import { benchSandbox, percentile } from './sandbox-fixture.js';

const MIB = 1024 * 1024;
const TOTAL_MIB = Number(process.env.BENCH_MIB ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

async function main(): Promise<void> {
  const { rt, sandboxId, dispose } = await benchSandbox('stdout');
  const { containers } = rt;
  const rates: Record<'data plane' | 'RPC', number[]> = { 'data plane': [], RPC: [] };
  /** The same transfers from the first byte on (without the container's start). */
  const streamRates: Record<'data plane' | 'RPC', number[]> = { 'data plane': [], RPC: [] };
  let rpcClient: AgentClient | null = null;
  try {
    const { state } = await rt.sandboxes.readSandbox(sandboxId);
    if (!state.agentChannel) throw new Error('the sandbox has no agent channel owner');
    // No ioPath: this client reads through the RPCs only.
    rpcClient = await AgentClient.connect({ kind: 'channel', path: state.agentChannel.socket }, { timeoutMs: 60_000 });
    for (let round = 1; round <= ROUNDS; round++) {
      for (const mode of ['data plane', 'RPC'] as const) {
        const c = await containers.createContainer(sandboxId, { name: `dd-${round}-${mode === 'RPC' ? 'rpc' : 'io'}`, args: ['dd', 'if=/dev/zero', `bs=${MIB}`, `count=${TOTAL_MIB}`] });
        process.env.VESSEL_DATA_PLANE_READS = mode === 'RPC' ? '0' : '1';
        const io = await containers.ioStream(sandboxId, c.id, c.id);
        try {
          const t0 = performance.now();
          await containers.startContainer(sandboxId, c.id);
          let bytes = 0;
          let first = 0;
          const stdout = mode === 'RPC' ? rpcClient.readStream(c.id, c.id, 'stdout') : io.stdout;
          for await (const chunk of stdout) {
            if (bytes === 0) first = performance.now();
            bytes += chunk.length;
          }
          const ms = performance.now() - t0;
          const streamMs = performance.now() - first;
          const exit = await io.wait();
          if (bytes !== TOTAL_MIB * MIB || exit.exitCode !== 0) throw new Error(`round ${round} (${mode}): got ${bytes} bytes, exit ${exit.exitCode}`);
          const rate = bytes / 1e6 / (ms / 1000);
          rates[mode].push(rate);
          streamRates[mode].push(bytes / 1e6 / (streamMs / 1000));
          console.log(`[stdout] round ${round}, ${mode}: ${TOTAL_MIB} MiB in ${(ms / 1000).toFixed(2)} s = ${rate.toFixed(1)} MB/s from the start of the container (first byte after ${((first - t0) / 1000).toFixed(2)} s; ${(streamMs / 1000).toFixed(2)} s from the first byte to the last)`);
        } finally {
          io.release();
        }
        await containers.deleteContainer(sandboxId, c.id, { force: true });
      }
    }
    const m = (k: 'data plane' | 'RPC', from = rates): string => `${percentile(from[k], 50).toFixed(1)} MB/s`;
    console.log(`[stdout] median over ${ROUNDS} rounds of ${TOTAL_MIB} MiB, from the start of the container: data plane ${m('data plane')}, RPC ${m('RPC')} (target >= 20 MB/s)`);
    console.log(`[stdout] the same from the first byte to the last: data plane ${m('data plane', streamRates)}, RPC ${m('RPC', streamRates)}`);
    console.log(`[stdout] the first round alone (a fresh sandbox's first container), from its start: data plane ${(rates['data plane'][0] ?? Number.NaN).toFixed(1)} MB/s`);
  } finally {
    rpcClient?.close();
    await dispose();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:stdout failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
