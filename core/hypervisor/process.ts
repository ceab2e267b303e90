import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { isSameProcess } from '../util/proc.js';

/*
 * Process helpers shared by the drivers. A VM process is identified by
 * (pid, start time), never by pid alone: a pid can be reused by an unrelated
 * process once ours is gone, and we must never signal that one.
 */

/** Send `signal` only if (pid, startTime) is still our process. Returns whether it was sent. */
export function signalIfSame(pid: number, startTime: number, signal: NodeJS.Signals): boolean {
  if (!isSameProcess(pid, startTime)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false; // exited between the check and the signal
  }
}

/**
 * Threads of a process whose leader is already a zombie: a killed
 * multi-threaded process (QEMU) shows its leader as Z while the other threads
 * still exit, and its files (a tap, an image lock) stay open until the last
 * one is gone. 0 once the process is reaped or another process has the pid.
 */
function threadsLeft(pid: number, startTime: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[19]) !== startTime) return 0;
    return readdirSync(`/proc/${pid}/task`).length;
  } catch {
    return 0;
  }
}

/**
 * Poll until (pid, startTime) is gone, and with it every thread (so its open
 * files are closed and a restart can take them). Resolves true if gone within
 * timeoutMs.
 */
export async function waitForExit(pid: number, startTime: number, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isSameProcess(pid, startTime) && threadsLeft(pid, startTime) <= 1) return true;
    if (Date.now() >= deadline) return !isSameProcess(pid, startTime);
    await delay(intervalMs);
  }
}

/**
 * Call onGone once when (pid, startTime) disappears, checked every intervalMs
 * through /proc (the VM process is not our child, so there is no exit event).
 * The timer does not keep the Node process alive. Returns a stop function.
 */
export function watchProcess(pid: number, startTime: number, intervalMs: number, onGone: () => void): () => void {
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped || isSameProcess(pid, startTime)) return;
    stop();
    onGone();
  }, intervalMs);
  timer.unref();
  const stop = (): void => {
    stopped = true;
    clearInterval(timer);
  };
  return stop;
}
