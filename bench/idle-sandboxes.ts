// What the footprint and density benchmarks share: start idle sandboxes,
// measure each one's host memory (PSS of QEMU and its helpers, from
// smaps_rollup), its host CPU while idle, and how fast its agent answers Check.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Runtime } from '../core/api/index.js';
import { readProcUsage } from '../core/util/proc.js';
import { addMemory, processesMentioning, readProcessMemory, type ProcessMemory } from '../core/util/pss.js';

export const CLOCK_TICKS_PER_SECOND = 100;

export interface IdleSandbox {
  id: string;
  pid: number;
  dir: string;
  bootMs: number;
}

export async function startIdle(rt: Runtime, root: string, name: string, memoryMiB: number): Promise<IdleSandbox> {
  const t0 = performance.now();
  const s = await rt.sandboxes.runSandbox({ name, vcpus: 1, memoryMiB, machineType: 'q35', accel: 'tcg' });
  if (s.pid === null) throw new Error(`sandbox ${name} has no VM process`);
  return { id: s.id, pid: s.pid, dir: path.join(root, 'sandboxes', s.id), bootMs: performance.now() - t0 };
}

/** PSS of every process of the sandbox (QEMU + helpers whose argv names its directory). */
export function sandboxMemory(s: IdleSandbox): { mem: ProcessMemory; processes: number } {
  const pids = [...new Set([s.pid, ...processesMentioning(s.dir)])];
  const mems = pids.map((p) => readProcessMemory(p)).filter((m): m is ProcessMemory => m !== null);
  return { mem: addMemory(mems), processes: mems.length };
}

export function cpuTicks(pids: number[]): number {
  return pids.reduce((n, p) => n + (readProcUsage(p)?.cpuTicks ?? 0), 0);
}

/** Host CPU per sandbox over `ms` of idling, in % of one core. */
export async function idleCpu(list: IdleSandbox[], ms: number): Promise<number[]> {
  const before = list.map((s) => cpuTicks([s.pid]));
  await new Promise((r) => setTimeout(r, ms));
  return list.map((s, i) => ((cpuTicks([s.pid]) - (before[i] ?? 0)) / CLOCK_TICKS_PER_SECOND) / (ms / 1000) * 100);
}

/** Milliseconds for the agent to answer Health.Check (over the cached connection). */
export async function checkMs(rt: Runtime, s: IdleSandbox): Promise<number> {
  const { state } = await rt.sandboxes.readSandbox(s.id);
  const vm = state.hypervisorState;
  if (!vm) throw new Error(`sandbox ${s.id} is not running`);
  const t0 = performance.now();
  await rt.sandboxes.withAgent(s.id, vm, (agent) => agent.check(), 5_000);
  return performance.now() - t0;
}

export function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

/** Host memory in use (MemTotal − MemAvailable), bytes. */
export function hostMemUsed(): number {
  const t = readFileSync('/proc/meminfo', 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0) * 1024;
  return kb('MemTotal') - kb('MemAvailable');
}

export function describe(m: ProcessMemory): string {
  return `PSS ${mib(m.pssBytes)} MiB (anon ${mib(m.pssAnonBytes)}, file ${mib(m.pssFileBytes)}, shmem ${mib(m.pssShmemBytes)}; RSS ${mib(m.rssBytes)}, shared ${mib(m.sharedBytes)})`;
}

/** Where one QEMU's PSS goes, from its smaps: guest RAM, the TCG translation cache, the image files it maps, the rest. */
export interface QemuBreakdown { guestRam: number; tcgCache: number; rootImage: number; kernel: number; initrd: number; binaries: number; otherAnon: number }

export function qemuBreakdown(pid: number, memoryMiB: number): QemuBreakdown | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return null;
  }
  const out: QemuBreakdown = { guestRam: 0, tcgCache: 0, rootImage: 0, kernel: 0, initrd: 0, binaries: 0, otherAnon: 0 };
  let key: keyof QemuBreakdown = 'otherAnon';
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const size = Number.parseInt(head[2] as string, 16) - Number.parseInt(head[1] as string, 16);
      const perms = head[3] as string;
      const file = (head[4] ?? '').replace(/ \(deleted\)$/, '');
      if (file.endsWith('.erofs')) key = 'rootImage';
      else if (/vmlinu[xz]$/.test(file)) key = 'kernel';
      else if (file.endsWith('initrd.img')) key = 'initrd';
      else if (file.startsWith('/')) key = 'binaries';
      else if (perms === 'rwxp') key = 'tcgCache';
      else if (size >= memoryMiB * 1048576 && size <= (memoryMiB + 4) * 1048576) key = 'guestRam';
      else key = 'otherAnon';
      continue;
    }
    const pss = /^Pss:\s+(\d+) kB$/.exec(line);
    if (pss) out[key] += Number(pss[1]) * 1024;
  }
  return out;
}

/** One line: the QEMU breakdown and what the sandbox's other processes hold. */
export function describeBreakdown(s: IdleSandbox, memoryMiB: number): string {
  const q = qemuBreakdown(s.pid, memoryMiB);
  if (!q) return 'QEMU breakdown unavailable';
  const helpers = processesMentioning(s.dir).filter((p) => p !== s.pid).map((p) => readProcessMemory(p)).filter((m): m is ProcessMemory => m !== null);
  const h = addMemory(helpers);
  return `QEMU: guest RAM ${mib(q.guestRam)}, TCG translation cache ${mib(q.tcgCache)}, QEMU heap and other anon ${mib(q.otherAnon)}, root image ${mib(q.rootImage)}, kernel ${mib(q.kernel)}, initrd ${mib(q.initrd)}, QEMU binary and libraries ${mib(q.binaries)}; other processes (${helpers.length}, the agent channel owner): ${mib(h.pssBytes)} (anon ${mib(h.pssAnonBytes)}, file ${mib(h.pssFileBytes)}) MiB`;
}
