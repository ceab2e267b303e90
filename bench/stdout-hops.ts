/**
 * Where container stdout time goes (`npm run bench:stdout-hops`), hop by hop,
 * in one VM and one run:
 *   1. generation in the guest: dd from /dev/zero to /dev/null (no pipe);
 *   2. + one pipe in the guest: dd | dd (the kernel copies a pipe costs);
 *   3. end to end: an exec'd dd's stdout read through the data plane
 *      (process -> agent -> vessel.io port -> QEMU -> channel owner -> here),
 *      with the host CPU of QEMU, the channel owner and this process, and the
 *      guest's own CPU split (user / system / idle, from the guest's /proc/stat)
 *      over the transfer, so the slow hop shows up as the busy one.
 * Not a test: it asserts nothing.
 */
import type { Runtime } from '../core/api/index.js';
import { readProcUsage } from '../core/util/proc.js';
import { benchSandbox } from './sandbox-fixture.js';

const MIB = 1024 * 1024;
const TOTAL_MIB = Number(process.env.BENCH_MIB ?? 32);
const TICKS = 100;

function ticks(pid: number | undefined): number {
  return pid ? (readProcUsage(pid)?.cpuTicks ?? 0) : 0;
}

async function guestCpu(rt: Runtime, sandboxId: string, cid: string): Promise<number[]> {
  const r = await rt.containers.execSync(sandboxId, cid, ['head', '-n', '1', '/proc/stat'], { timeoutMs: 60_000 });
  return r.stdout.trim().split(/\s+/).slice(1).map(Number);
}

async function main(): Promise<void> {
  const { rt, sandboxId, dispose } = await benchSandbox('stdout-hops');
  const { containers } = rt;
  try {
    const c = await containers.runContainer(sandboxId, { name: 'idle', args: ['sleep', '3600'] });
    const inGuest = async (label: string, script: string): Promise<void> => {
      // Timed inside the guest (/proc/uptime, 10 ms steps): no exec or transport cost in the figure.
      const r = await containers.execSync(sandboxId, c.id, ['sh', '-c', `read a x < /proc/uptime; ${script}; read b x < /proc/uptime; echo "$a $b"`], { timeoutMs: 300_000 });
      const [a, b] = r.stdout.trim().split('\n').pop()?.split(' ').map(Number) ?? [];
      const s = (b ?? Number.NaN) - (a ?? Number.NaN);
      console.log(`[hops] ${label}: ${TOTAL_MIB} MiB in ${s.toFixed(2)} s = ${((TOTAL_MIB * MIB) / 1e6 / s).toFixed(1)} MB/s`);
    };
    await inGuest('1 generation (dd /dev/zero -> /dev/null, 1 MiB blocks)', `dd if=/dev/zero of=/dev/null bs=1M count=${TOTAL_MIB} 2>/dev/null`);
    await inGuest('2 + a guest pipe (dd | dd, 64 KiB pipe reads)', `dd if=/dev/zero bs=1M count=${TOTAL_MIB} 2>/dev/null | dd of=/dev/null bs=64k 2>/dev/null`);

    const { state } = await rt.sandboxes.readSandbox(sandboxId);
    const qemuPid = state.hypervisorState?.pid;
    const ownerPid = state.agentChannel?.pid;
    const g0 = await guestCpu(rt, sandboxId, c.id);
    const { containerId, execId } = await containers.enterContainer(sandboxId, c.id, { args: ['dd', 'if=/dev/zero', `bs=${MIB}`, `count=${TOTAL_MIB}`] });
    const io = await containers.ioStream(sandboxId, containerId, execId);
    const h0 = { q: ticks(qemuPid), o: ticks(ownerPid), me: process.cpuUsage() };
    const t0 = performance.now();
    let bytes = 0;
    try {
      await io.closeStdin();
      for await (const chunk of io.stdout) bytes += chunk.length;
      await io.wait();
    } finally {
      io.release();
    }
    const s = (performance.now() - t0) / 1000;
    const me = process.cpuUsage(h0.me);
    const q = (ticks(qemuPid) - h0.q) / TICKS;
    const o = (ticks(ownerPid) - h0.o) / TICKS;
    const g1 = await guestCpu(rt, sandboxId, c.id);
    const d = g1.map((v, i) => v - (g0[i] ?? 0));
    const total = d.reduce((a, b) => a + b, 0) || 1;
    const pct = (i: number): string => `${((100 * (d[i] ?? 0)) / total).toFixed(0)}%`;
    console.log(`[hops] 3 end to end (exec'd dd -> data plane -> here): ${bytes} bytes in ${s.toFixed(2)} s = ${(bytes / 1e6 / s).toFixed(1)} MB/s`);
    console.log(`[hops]   host CPU over the transfer (% of one core): QEMU ${((100 * q) / s).toFixed(0)}%, channel owner ${((100 * o) / s).toFixed(0)}%, this client ${((100 * (me.user + me.system)) / 1e6 / s).toFixed(0)}%`);
    console.log(`[hops]   guest CPU over the transfer (+ two execs around it): user ${pct(0)}, system ${pct(2)}, idle ${pct(3)}, irq+softirq ${pct(5)}/${pct(6)}`);
  } finally {
    await dispose();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:stdout-hops failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
