/**
 * Idle cost of a VM whose agent port has no host connected (`npm run
 * bench:idle-port`): the real guest image booted by hand (no channel owner),
 * its agent answered once and the client gone, then QEMU's host CPU
 * (utime + stime from /proc/PID/stat) over BENCH_IDLE_S seconds. Two VMs, one
 * after the other in one run: the agent waiting in vessel-portwait (the
 * default), and the agent polling the port every 20 ms (VESSEL_PORTWAIT=0 on
 * the kernel command line, which init passes on to the agent). Not a test: it
 * asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readGuestManifest } from '../core/agent/manifest.js';
import { startRawAgentVm } from '../core/agent/testing/raw-vm.js';
import { readProcUsage } from '../core/util/proc.js';

const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 30);

async function idleCpu(label: string, kernelParams: string[]): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-bench-idleport-'));
  const image = readGuestManifest();
  const vm = await startRawAgentVm({ image, agentSock: path.join(dir, 'agent.sock'), serialLog: path.join(dir, 'serial.log'), sharedDir: dir, kernelParams });
  try {
    await vm.agent.check();
    vm.agent.close(); // nothing connected from here on
    await new Promise((r) => setTimeout(r, 3_000)); // let the boot's tail settle
    const pid = vm.qemu.pid ?? 0;
    const before = readProcUsage(pid)?.cpuTicks ?? 0;
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const ticks = (readProcUsage(pid)?.cpuTicks ?? 0) - before;
    console.log(`[idle-port] ${label}: QEMU ${((ticks / 100 / IDLE_S) * 100).toFixed(1)}% of a host core over ${IDLE_S} s, no host connected`);
  } finally {
    vm.qemu.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await idleCpu('agent waits in vessel-portwait (epoll)', []);
  await idleCpu('agent polls every 20 ms (VESSEL_PORTWAIT=0)', ['VESSEL_PORTWAIT=0']);
}

main().catch((err: unknown) => {
  console.error(`bench:idle-port failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
