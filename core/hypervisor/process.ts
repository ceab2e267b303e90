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

/** Poll until (pid, startTime) is gone. Resolves true if gone within timeoutMs. */
export async function waitForExit(pid: number, startTime: number, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isSameProcess(pid, startTime)) return true;
    if (Date.now() >= deadline) return false;
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
