/**
 * Container stdout throughput (`npm run bench:stdout`): a busybox container
 * writes 64 MiB to its stdout (dd from /dev/zero); the host reads it through
 * the agent (ReadStdout long-polls over virtio-serial) with the container
 * API's ioStream, the path `vessel run` and the app use. Prints MB/s per
 * round and the median. Target (issue 3): at least 20 MB/s under TCG.
 * Not a test: it asserts nothing.
 */
import { benchSandbox, percentile } from './sandbox-fixture.js';

const MIB = 1024 * 1024;
const TOTAL_MIB = Number(process.env.BENCH_MIB ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function main(): Promise<void> {
  const { rt, sandboxId, dispose } = await benchSandbox('stdout');
  const { containers } = rt;
  const rates: number[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const c = await containers.createContainer(sandboxId, { name: `dd-${round}`, args: ['dd', 'if=/dev/zero', `bs=${MIB}`, `count=${TOTAL_MIB}`] });
      const io = await containers.ioStream(sandboxId, c.id, c.id);
      try {
        const t0 = performance.now();
        await containers.startContainer(sandboxId, c.id);
        let bytes = 0;
        for await (const chunk of io.stdout) bytes += chunk.length;
        const ms = performance.now() - t0;
        const exit = await io.wait();
        if (bytes !== TOTAL_MIB * MIB || exit.exitCode !== 0) throw new Error(`round ${round}: got ${bytes} bytes, exit ${exit.exitCode}`);
        const rate = bytes / 1e6 / (ms / 1000);
        rates.push(rate);
        console.log(`[stdout] round ${round}: ${TOTAL_MIB} MiB in ${(ms / 1000).toFixed(2)} s = ${rate.toFixed(1)} MB/s`);
      } finally {
        io.release();
      }
      await containers.deleteContainer(sandboxId, c.id, { force: true });
    }
    console.log(`[stdout] median ${percentile(rates, 50).toFixed(1)} MB/s over ${ROUNDS} rounds of ${TOTAL_MIB} MiB (target >= 20 MB/s)`);
  } finally {
    await dispose();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:stdout failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
