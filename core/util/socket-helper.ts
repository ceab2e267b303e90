// A helper process a sandbox VM needs next to QEMU (virtiofsd, passt): it
// listens on a unix socket QEMU connects to, and is recorded by pid + start
// time in a JSON file of the sandbox's run dir, so any later process finds it
// again (and never mistakes a reused pid for it) and reaps it.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../store/atomic.js';
import { isSameProcess, readProcStartTime, terminateProcess } from './proc.js';

export const SocketHelperRecord = z.object({ pid: z.number().int().positive(), startTime: z.number().int().nonnegative(), socket: z.string() });
export type SocketHelperRecord = z.infer<typeof SocketHelperRecord>;

export function readHelperRecord(file: string): SocketHelperRecord | null {
  try {
    const parsed = SocketHelperRecord.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The recorded helper, if it is still the process that was started. */
export function runningHelper(file: string): SocketHelperRecord | null {
  const rec = readHelperRecord(file);
  return rec && isSameProcess(rec.pid, rec.startTime) ? rec : null;
}

/** Resolves null once `socket` exists, or why not: the child exited, failed to spawn, or the time ran out. */
export async function waitForSocket(socket: string, child: ChildProcess, timeoutMs: number): Promise<string | null> {
  const exited = new Promise<string>((resolve) => child.once('exit', (code) => resolve(`exited with ${String(code)}`)));
  const failed = new Promise<string>((resolve) => child.once('error', (err) => resolve(err.message)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(socket)) return null;
    const done = await Promise.race([exited, failed, new Promise<null>((r) => setTimeout(() => r(null), 25))]);
    if (done !== null) return done;
    if (Date.now() > deadline) return `no socket after ${Math.round(timeoutMs / 1000)} s`;
  }
}

/** Record a started helper (pid + start time) in `file`. */
export async function recordHelper(file: string, pid: number, socket: string): Promise<SocketHelperRecord> {
  const rec = { pid, startTime: readProcStartTime(pid) ?? 0, socket };
  await writeFileAtomic(file, JSON.stringify(rec));
  return rec;
}

/** Stop the recorded helper (only that process: SIGTERM, then SIGKILL after graceMs) and remove its record and socket. Idempotent. */
export async function stopHelper(file: string, socket: string, graceMs: number): Promise<void> {
  const rec = readHelperRecord(file);
  if (rec) await terminateProcess(rec.pid, rec.startTime, graceMs);
  rmSync(file, { force: true });
  rmSync(socket, { force: true });
}
