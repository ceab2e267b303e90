import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, readFile, readdir, rmdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { VesselError } from '../contract/index.js';
import { isSameProcess, readProcStartTime } from '../util/proc.js';
import { isDeadTemp, tempSuffix } from './atomic.js';
import { errnoCode, fsError } from './fs-errors.js';

/**
 * A readers-writer lock made of files in one directory, working across
 * processes (the CLI and the app) and within one process, with no native code
 * (Node has no flock).
 *
 *   DIR/exclusive        the writer's record; its presence blocks new readers
 *   DIR/shared-TOKEN     one file per reader
 *   DIR/break.guard      held briefly by whoever removes a stale `exclusive`
 *
 * Every record says who holds it: pid + process start time (+ a random token).
 * A record is published complete and atomically: written to a temp file, then
 * hard-linked to its name (link fails with EEXIST if the name is taken, like
 * O_EXCL, but the content is never seen half-written).
 *
 * A holder is alive iff /proc/PID exists with the same start time, so a lock
 * left by a crashed process (or whose pid was reused) is stale and is broken by
 * the next contender. Breaking `exclusive` happens under `break.guard`, so two
 * contenders can never both remove it, and the one removing it checks (by
 * inode) that it removes the very file it judged stale, not a fresh one.
 * Reader files have unique names, so a stale one is simply unlinked.
 *
 * Writer: link `exclusive` (retrying while a live holder has it), then wait
 * until no live reader file remains. Reader: wait while `exclusive` exists,
 * create its file, then look at `exclusive` again; if a writer appeared
 * meanwhile it backs off (removes its file) and retries. Each side writes
 * before it reads what the other wrote, so at least one of them sees the
 * other: never a writer and a reader at once. Waiting writers keep new readers
 * out, so readers cannot starve a writer.
 *
 * Limits: holders are identified by pid, so all processes must share one pid
 * namespace and /proc; a holder that is alive but hung keeps the lock (the
 * waiter gets E_BUSY naming its pid). The store is local, not NFS.
 */

export type LockMode = 'exclusive' | 'shared';

export interface LockOptions {
  /** Give up with E_BUSY after this long. Default 30 s; 0 means try once. */
  timeoutMs?: number;
  /** Why the lock is taken, recorded for the E_BUSY message of others (e.g. "vessel sandbox start"). */
  purpose?: string;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

const LockRecord = z.object({
  pid: z.number().int().positive(),
  startTime: z.number().int().nonnegative(),
  token: z.string().min(1),
  mode: z.enum(['exclusive', 'shared']),
  acquiredAt: z.string(),
  purpose: z.string().optional(),
});
type LockRecord = z.infer<typeof LockRecord>;

const EXCLUSIVE = 'exclusive';
const READER_PREFIX = 'shared-';
const BREAK_GUARD = 'break.guard';

const ownStartTime = readProcStartTime(process.pid) ?? 0;

/** What stands in the way, for the E_BUSY message. */
type Observed = { kind: 'missing' } | { kind: 'stale'; ino: number } | { kind: 'live'; record: LockRecord; ino: number };

async function observe(path: string): Promise<Observed> {
  let ino: number;
  let text: string;
  try {
    ino = (await lstat(path)).ino;
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { kind: 'missing' };
    throw fsError(err, 'read lock', path);
  }
  let record: LockRecord;
  try {
    record = LockRecord.parse(JSON.parse(text));
  } catch {
    // Records are published whole (link), so an unreadable one was torn by a
    // crash of the machine or written by hand: nobody can be holding it.
    return { kind: 'stale', ino };
  }
  return isSameProcess(record.pid, record.startTime) ? { kind: 'live', record, ino } : { kind: 'stale', ino };
}

/** Publish `record` under `name`, complete or not at all. False when the name is taken. */
async function publish(dir: string, name: string, record: LockRecord): Promise<boolean> {
  const temp = join(dir, `.${name}.${tempSuffix()}`);
  await writeFile(temp, JSON.stringify(record), { flag: 'wx', mode: 0o600 });
  try {
    await link(temp, join(dir, name));
    return true;
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function unlinkQuietly(path: string): Promise<void> {
  await unlink(path).catch((err: unknown) => {
    if (errnoCode(err) !== 'ENOENT') throw fsError(err, 'remove lock', path);
  });
}

function newRecord(mode: LockMode, purpose: string | undefined): LockRecord {
  const record: LockRecord = {
    pid: process.pid,
    startTime: ownStartTime,
    token: randomBytes(8).toString('hex'),
    mode,
    acquiredAt: new Date().toISOString(),
  };
  if (purpose !== undefined) record.purpose = purpose;
  return record;
}

/**
 * Remove `exclusive` if it is still the stale file (same inode) we saw.
 * Returns without doing anything when another process is already breaking it.
 */
async function breakStaleExclusive(dir: string, staleIno: number): Promise<boolean> {
  const guardPath = join(dir, BREAK_GUARD);
  const guard = newRecord('exclusive', 'breaking a stale lock');
  let gotGuard: boolean;
  try {
    gotGuard = await publish(dir, BREAK_GUARD, guard);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw fsError(err, 'lock', dir);
  }
  if (!gotGuard) {
    // A breaker that died mid-break leaves the guard behind: it is stale too.
    // (Two processes clearing a dead guard at once is the one race left, and it
    // needs a breaker to crash in the few microseconds it holds the guard.)
    const seen = await observe(guardPath);
    if (seen.kind === 'stale') await unlinkQuietly(guardPath);
    return false;
  }
  try {
    const now = await observe(join(dir, EXCLUSIVE));
    if (now.kind === 'stale' && now.ino === staleIno) await unlinkQuietly(join(dir, EXCLUSIVE));
    return true;
  } finally {
    await unlinkQuietly(guardPath);
  }
}

/** Live reader records; stale reader files are removed on the way. */
async function liveReaders(dir: string): Promise<LockRecord[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw fsError(err, 'list locks in', dir);
  }
  const live: LockRecord[] = [];
  for (const name of names) {
    if (name.startsWith(READER_PREFIX)) {
      const seen = await observe(join(dir, name));
      if (seen.kind === 'live') live.push(seen.record);
      else if (seen.kind === 'stale') await unlinkQuietly(join(dir, name));
    } else if (name.startsWith('.') && isDeadTemp(name)) {
      await unlinkQuietly(join(dir, name));
    }
  }
  return live;
}

class Backoff {
  private delay = 2;
  async wait(deadline: number): Promise<void> {
    const remaining = deadline - Date.now();
    const jittered = this.delay / 2 + Math.random() * this.delay;
    await sleep(Math.max(1, Math.min(jittered, remaining)));
    this.delay = Math.min(this.delay * 1.6, 100);
  }
}

export interface HeldLock {
  readonly mode: LockMode;
  release(): Promise<void>;
}

function busy(label: string, mode: LockMode, holder: LockRecord, timeoutMs: number): VesselError {
  const what = holder.mode === 'exclusive' ? 'an exclusive lock' : 'a shared lock';
  const purpose = holder.purpose === undefined ? '' : ` (${holder.purpose})`;
  return new VesselError(
    'E_BUSY',
    `${label} is busy: ${what} is held by pid ${holder.pid}${purpose} since ${holder.acquiredAt}; ` +
      `gave up waiting for a${mode === 'exclusive' ? 'n exclusive' : ' shared'} lock after ${timeoutMs} ms. ` +
      'Try again when that operation has finished.',
    { holderPid: holder.pid, holderMode: holder.mode, holderPurpose: holder.purpose, timeoutMs },
  );
}

/**
 * Take the lock in `dir` (created as needed). `label` names the locked thing
 * in error messages, e.g. 'sandbox "abc"'.
 */
export async function acquireLock(dir: string, label: string, mode: LockMode, options: LockOptions = {}): Promise<HeldLock> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const record = newRecord(mode, options.purpose);
  const backoff = new Backoff();
  const exclusivePath = join(dir, EXCLUSIVE);

  let vanished = 0;
  for (;;) {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      if (mode === 'exclusive') {
        if (await publish(dir, EXCLUSIVE, record)) {
          return await waitForReaders(dir, label, record, deadline, timeoutMs);
        }
      } else {
        const before = await observe(exclusivePath);
        if (before.kind === 'missing') {
          const mine = join(dir, `${READER_PREFIX}${record.token}`);
          await publish(dir, `${READER_PREFIX}${record.token}`, record);
          const after = await observe(exclusivePath);
          if (after.kind === 'missing') {
            return { mode, release: () => releaseFile(dir, mine) };
          }
          // A writer got in between: let it go first.
          await unlinkQuietly(mine);
        }
      }
    } catch (err) {
      // The directory was removed by a releasing holder between our steps: start over.
      if (errnoCode(err) === 'ENOENT' && ++vanished < 1000) continue;
      throw fsError(err, 'lock', dir);
    }

    const holder = await observe(exclusivePath);
    if (holder.kind === 'missing') continue; // released meanwhile: try again at once
    if (holder.kind === 'stale' && (await breakStaleExclusive(dir, holder.ino))) continue;
    if (Date.now() >= deadline) {
      if (holder.kind === 'live') throw busy(label, mode, holder.record, timeoutMs);
      throw new VesselError('E_BUSY', `${label} is busy: another process is clearing a stale lock in ${dir}; try again`, { timeoutMs });
    }
    await backoff.wait(deadline);
  }
}

async function waitForReaders(dir: string, label: string, record: LockRecord, deadline: number, timeoutMs: number): Promise<HeldLock> {
  const exclusivePath = join(dir, EXCLUSIVE);
  const backoff = new Backoff();
  for (;;) {
    const readers = (await liveReaders(dir)).filter((r) => r.token !== record.token);
    if (readers.length === 0) {
      return { mode: 'exclusive', release: () => releaseExclusive(dir, record.token) };
    }
    if (Date.now() >= deadline) {
      await unlinkQuietly(exclusivePath);
      await rmdir(dir).catch(() => undefined);
      throw busy(label, 'exclusive', readers[0] as LockRecord, timeoutMs);
    }
    await backoff.wait(deadline);
  }
}

async function releaseFile(dir: string, path: string): Promise<void> {
  await unlinkQuietly(path);
  // Tidy up; fails harmlessly (ENOTEMPTY) while others hold or wait.
  await rmdir(dir).catch(() => undefined);
}

async function releaseExclusive(dir: string, token: string): Promise<void> {
  const path = join(dir, EXCLUSIVE);
  // Only remove our own record: if ours was (wrongly) broken, the file is someone else's now.
  const seen = await observe(path);
  if (seen.kind === 'live' && seen.record.token !== token) return;
  await releaseFile(dir, path);
}
