// Container resource use from cgroup v2 interface files. Pure parsers over
// the files' text, plus one reader that takes a function to read a file, so
// the parsing is tested on fixtures and the reader on a fake cgroup tree.

export interface CpuStats {
  usageNs: number;
  userNs: number;
  systemNs: number;
  throttledPeriods: number;
  throttledNs: number;
}

export interface MemoryStats {
  usage: number;
  /** 0 = unlimited ("max"). */
  limit: number;
  cache: number;
  rss: number;
  oomKills: number;
}

export interface PidsStats {
  current: number;
  /** 0 = unlimited ("max"). */
  limit: number;
}

export interface BlkioDeviceStats {
  major: number;
  minor: number;
  readBytes: number;
  writeBytes: number;
  readIos: number;
  writeIos: number;
}

export interface ContainerStats {
  cpu: CpuStats;
  memory: MemoryStats;
  pids: PidsStats;
  blkio: BlkioDeviceStats[];
}

function safeNumber(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) return 0;
  return n;
}

/** "key value" lines (cpu.stat, memory.stat, memory.events) into a map; malformed lines are skipped. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_.]+)\s+(\d+)\s*$/.exec(line);
    if (m?.[1] && m[2]) out.set(m[1], safeNumber(m[2]));
  }
  return out;
}

/** A single-value file that may say "max" (memory.max, pids.max): "max" → 0 (unlimited). */
export function parseLimit(text: string): number {
  const t = text.trim();
  if (t === 'max' || t === '') return 0;
  return safeNumber(t);
}

export function parseCpuStat(text: string): CpuStats {
  const kv = parseFlatKeyed(text);
  const usec = (k: string): number => (kv.get(k) ?? 0) * 1000;
  return {
    usageNs: usec('usage_usec'),
    userNs: usec('user_usec'),
    systemNs: usec('system_usec'),
    throttledPeriods: kv.get('nr_throttled') ?? 0,
    throttledNs: usec('throttled_usec'),
  };
}

/** io.stat: "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.. dbytes=.. dios=..". */
export function parseIoStat(text: string): BlkioDeviceStats[] {
  const out: BlkioDeviceStats[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+)\s+(.*)$/.exec(line.trim());
    if (!m?.[1] || !m[2]) continue;
    const fields = new Map<string, number>();
    for (const pair of (m[3] ?? '').split(/\s+/)) {
      const [k, v] = pair.split('=');
      if (k && v !== undefined) fields.set(k, safeNumber(v));
    }
    out.push({
      major: safeNumber(m[1]),
      minor: safeNumber(m[2]),
      readBytes: fields.get('rbytes') ?? 0,
      writeBytes: fields.get('wbytes') ?? 0,
      readIos: fields.get('rios') ?? 0,
      writeIos: fields.get('wios') ?? 0,
    });
    if (out.length >= 256) break;
  }
  return out;
}

/** cgroup.procs: one pid per line. */
export function parseCgroupProcs(text: string): number[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => /^\d+$/.test(l)).map(Number);
}

/** /proc/PID/cmdline (NUL-separated) as a readable command line. */
export function formatCmdline(raw: Buffer, maxChars = 4096): string {
  let end = raw.length;
  while (end > 0 && raw[end - 1] === 0) end--;
  return raw.subarray(0, end).toString('utf8').replaceAll('\0', ' ').slice(0, maxChars);
}

/** Reads a file of the container's cgroup, or null when it does not exist (controller not enabled). */
export type CgroupFileReader = (name: string) => string | null;

export function readContainerStats(read: CgroupFileReader): ContainerStats {
  const memStat = parseFlatKeyed(read('memory.stat') ?? '');
  const memEvents = parseFlatKeyed(read('memory.events') ?? '');
  return {
    cpu: parseCpuStat(read('cpu.stat') ?? ''),
    memory: {
      usage: parseLimit(read('memory.current') ?? ''),
      limit: parseLimit(read('memory.max') ?? 'max'),
      cache: memStat.get('file') ?? 0,
      rss: memStat.get('anon') ?? 0,
      oomKills: memEvents.get('oom_kill') ?? 0,
    },
    pids: {
      current: parseLimit(read('pids.current') ?? ''),
      limit: parseLimit(read('pids.max') ?? 'max'),
    },
    blkio: parseIoStat(read('io.stat') ?? ''),
  };
}
