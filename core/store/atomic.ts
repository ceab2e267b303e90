import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isSameProcess, readProcStartTime } from '../util/proc.js';

/**
 * Crash-safe file replacement: write a temp file in the same directory (same
 * filesystem, so rename is atomic), fsync it, rename it over the target, fsync
 * the directory so the rename itself is durable. A crash at any point leaves
 * either the old or the new content under the target name, never a mix; at
 * worst a temp file is left behind, which readers ignore and
 * {@link removeDeadTemps} removes.
 *
 * Temp names carry the writer's pid and process start time
 * (`.NAME.tmp-PID-START-RANDOM`) so a cleaner can tell a dead writer's
 * leftovers from a write in progress.
 */

const ownStartTime = readProcStartTime(process.pid) ?? 0;

export function tempSuffix(): string {
  return `tmp-${process.pid}-${ownStartTime}-${randomBytes(6).toString('hex')}`;
}

/** Matches names made with {@link tempSuffix}; captures pid and start time. */
const TEMP_NAME = /(?:^|\.)tmp-(\d+)-(\d+)-[0-9a-f]+$/;

export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** True for a temp name whose writer is gone (dead, or its pid now names another process). */
export function isDeadTemp(name: string): boolean {
  const m = TEMP_NAME.exec(name);
  if (!m) return false;
  return !isSameProcess(Number(m[1]), Number(m[2]));
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeFileAtomic(target: string, data: string, mode = 0o600): Promise<void> {
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${tempSuffix()}`);
  const handle = await open(temp, 'wx', mode);
  let renamed = false;
  try {
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    renamed = true;
    await fsyncDir(dir);
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
}

/** Remove temp files/dirs left in `dir` by writers that died. Returns the removed paths. */
export async function removeDeadTemps(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith('.') || !isDeadTemp(name)) continue;
    const path = join(dir, name);
    await rm(path, { recursive: true, force: true }).then(
      () => removed.push(path),
      () => undefined,
    );
  }
  return removed;
}
