import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Start time of a process in clock ticks since boot (/proc/PID/stat field 22),
 * or null when the process does not exist. A pid alone is never trusted:
 * pids get reused, (pid, start time) does not.
 */
export function readProcStartTime(pid: number): number | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm (field 2) may contain spaces and parentheses: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field 22 is rest[19].
  if (rest[0] === 'Z' || rest[0] === 'X') return null; // a zombie is not alive
  const start = Number(rest[19]);
  return Number.isFinite(start) ? start : null;
}

/** True when pid is alive and started at exactly startTime. */
export function isSameProcess(pid: number, startTime: number): boolean {
  return readProcStartTime(pid) === startTime;
}

/** CPU time (user+system, in clock ticks) and RSS (bytes) of a process, or null. */
export function readProcUsage(pid: number): { cpuTicks: number; rssBytes: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    const rssPages = Number(rest[21]);
    return { cpuTicks: utime + stime, rssBytes: rssPages * 4096 };
  } catch {
    return null;
  }
}

/**
 * Stop our helper process (pid, start time): SIGTERM, up to graceMs for it to
 * go, then SIGKILL. Nothing is sent to a pid that is no longer ours.
 */
export async function terminateProcess(pid: number, startTime: number, graceMs: number, pollMs = 25): Promise<void> {
  if (!isSameProcess(pid, startTime)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + graceMs;
  while (isSameProcess(pid, startTime) && Date.now() < deadline) await delay(pollMs);
  if (isSameProcess(pid, startTime)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
