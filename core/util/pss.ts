// Honest per-process memory: PSS from /proc/PID/smaps_rollup, where a page
// shared by N processes counts 1/N to each (RSS counts it fully to all). The
// breakdown says what is shared: file-backed pages (the guest root image in
// the host page cache, QEMU's own binary and libraries) vs anonymous (guest
// RAM the guest touched, QEMU's heap, the TCG translation cache).
import { readFileSync, readdirSync } from 'node:fs';
import { z } from 'zod';
import type { SandboxHostMemory } from '../contract/index.js';

export const ProcessMemory = z.object({
  /** Proportional set size: shared pages split between the processes mapping them. */
  pssBytes: z.number().int().nonnegative(),
  /** Anonymous part of PSS (private to the process unless forked). */
  pssAnonBytes: z.number().int().nonnegative(),
  /** File-backed part of PSS (page cache, possibly shared with other VMs). */
  pssFileBytes: z.number().int().nonnegative(),
  /** Shmem part of PSS (memfd / shared memory backends). */
  pssShmemBytes: z.number().int().nonnegative(),
  rssBytes: z.number().int().nonnegative(),
  /** Resident pages also mapped by another process (counted fully in RSS, split in PSS). */
  sharedBytes: z.number().int().nonnegative(),
  swapBytes: z.number().int().nonnegative(),
});
export type ProcessMemory = z.infer<typeof ProcessMemory>;

/** Parses smaps_rollup text (values in kB). Throws on a text without a Pss line. */
export function parseSmapsRollup(text: string): ProcessMemory {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_]+):\s+(\d+) kB$/.exec(line.trim());
    if (m?.[1] && m[2]) kb.set(m[1], Number(m[2]) * 1024);
  }
  const pss = kb.get('Pss');
  if (pss === undefined) throw new Error('smaps_rollup has no Pss line');
  const anon = kb.get('Pss_Anon');
  const shmem = kb.get('Pss_Shmem') ?? 0;
  const file = kb.get('Pss_File');
  return ProcessMemory.parse({
    pssBytes: pss,
    // Kernels before 5.9 have no Pss_Anon/Pss_File: count it all as anonymous then.
    pssAnonBytes: anon ?? pss,
    pssFileBytes: file ?? 0,
    pssShmemBytes: shmem,
    rssBytes: kb.get('Rss') ?? 0,
    sharedBytes: (kb.get('Shared_Clean') ?? 0) + (kb.get('Shared_Dirty') ?? 0),
    swapBytes: kb.get('Swap') ?? 0,
  });
}

/** The process's memory from /proc/PID/smaps_rollup, or null when it is gone or unreadable. */
export function readProcessMemory(pid: number, procRoot = '/proc'): ProcessMemory | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    return parseSmapsRollup(readFileSync(`${procRoot}/${pid}/smaps_rollup`, 'utf8'));
  } catch {
    return null;
  }
}

/** Sum over several processes (a sandbox's QEMU and its helpers). */
export function addMemory(list: ProcessMemory[]): ProcessMemory {
  const sum = (k: keyof ProcessMemory): number => list.reduce((n, m) => n + m[k], 0);
  return {
    pssBytes: sum('pssBytes'), pssAnonBytes: sum('pssAnonBytes'), pssFileBytes: sum('pssFileBytes'), pssShmemBytes: sum('pssShmemBytes'),
    rssBytes: sum('rssBytes'), sharedBytes: sum('sharedBytes'), swapBytes: sum('swapBytes'),
  };
}

/**
 * The pids whose command line mentions `dir` (a sandbox's run directory): its
 * QEMU (sockets live there) and every helper started for it (a channel owner,
 * virtiofsd, passt...), however they were spawned.
 */
export function processesMentioning(dir: string, procRoot = '/proc'): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return pids;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`${procRoot}/${e}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.includes(dir))) pids.push(Number(e));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

/**
 * A sandbox's host memory for stats: PSS of its VM process and of every helper
 * whose argv names its run directory. Empty when nothing could be read.
 */
export function hostMemoryOf(pid: number, runDir: string): { memory?: SandboxHostMemory } {
  const pids = [...new Set([pid, ...processesMentioning(runDir)])];
  const mems = pids.map((p) => readProcessMemory(p)).filter((m): m is ProcessMemory => m !== null);
  if (mems.length === 0) return {};
  const m = addMemory(mems);
  return { memory: { pssBytes: m.pssBytes, pssAnonBytes: m.pssAnonBytes, pssFileBytes: m.pssFileBytes, pssShmemBytes: m.pssShmemBytes, sharedBytes: m.sharedBytes, processes: mems.length } };
}
