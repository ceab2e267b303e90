import { AsyncLocalStorage } from 'node:async_hooks';
import { lstat, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { z } from 'zod';
import { SANDBOX_ID_PATTERN, SandboxId, VesselError } from '../contract/index.js';
import { fsyncDir, removeDeadTemps, tempSuffix, writeFileAtomic } from './atomic.js';
import { errnoCode, fsError } from './fs-errors.js';
import { acquireLock } from './lock.js';
import type { LockMode, LockOptions } from './lock.js';

/**
 * The per-sandbox persistent store, as virtcontainers' persist/fs driver.
 *
 *   ROOT/sandboxes/ID/config.json   what the sandbox was created with; written once, never changed
 *   ROOT/sandboxes/ID/state.json    runtime state; replaced (atomically) on every transition
 *   ROOT/locks/ID/                  the sandbox's readers-writer lock (see lock.ts)
 *
 * Other components may keep their own files in sandboxDir(ID) (sockets, logs);
 * they go away with the sandbox on delete. Locks live outside the sandbox
 * directory so a sandbox can be locked before it exists (create) and while it
 * is being removed (delete).
 *
 * Both files are envelopes `{schemaVersion, sandboxId, writtenAt, config|state}`:
 * the store checks the envelope, the caller's zod schema checks the payload.
 *
 * Reads take no lock: every write is a rename, so a reader sees a whole old
 * or a whole new file. Callers doing read-modify-write of the state (every
 * transition) hold `withLock(id, 'exclusive', …)` around it. create() and
 * delete() lock by themselves (and compose with an enclosing lock, see withLock).
 */

export const STORE_SCHEMA_VERSION = 1;
export const CONFIG_FILE = 'config.json';
export const STATE_FILE = 'state.json';

type FileKind = 'config' | 'state';

interface HeldEntry {
  readonly key: string;
  readonly mode: LockMode;
  active: boolean;
}

/** Locks held by the current async call chain: makes nested withLock calls re-entrant. */
const heldLocks = new AsyncLocalStorage<readonly HeldEntry[]>();

function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? `${i.path.map(String).join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

function toJson(value: unknown, what: string, id: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, null, 2);
  } catch (err) {
    throw new VesselError('E_INVALID_ARGUMENT', `cannot save the ${what} of sandbox "${id}": it is not JSON-serialisable (${err instanceof Error ? err.message : String(err)})`, { id });
  }
  if (text === undefined) throw new VesselError('E_INVALID_ARGUMENT', `cannot save the ${what} of sandbox "${id}": nothing to save`, { id });
  return `${text}\n`;
}

export class SandboxStore {
  readonly root: string;
  private readonly sandboxesDir: string;
  private readonly locksDir: string;

  constructor(root: string) {
    if (root === '' || root.includes('\0')) throw new VesselError('E_INVALID_ARGUMENT', `invalid store root ${JSON.stringify(root)}`);
    this.root = resolve(root);
    this.sandboxesDir = join(this.root, 'sandboxes');
    this.locksDir = join(this.root, 'locks');
  }

  /**
   * The sandbox's directory. The ID is validated before any path is built,
   * and the result is checked to be a direct child of the store: no ID can
   * name a path outside it. Throws E_INVALID_ID.
   */
  sandboxDir(id: string): string {
    return this.childOf(this.sandboxesDir, id);
  }

  configPath(id: string): string {
    return join(this.sandboxDir(id), CONFIG_FILE);
  }

  statePath(id: string): string {
    return join(this.sandboxDir(id), STATE_FILE);
  }

  private lockDir(id: string): string {
    return this.childOf(this.locksDir, id);
  }

  private childOf(parent: string, id: string): string {
    const parsed = SandboxId.safeParse(id);
    if (!parsed.success) {
      throw new VesselError('E_INVALID_ID', `invalid sandbox ID ${JSON.stringify(id)}: ${parsed.error.issues[0]?.message ?? 'malformed'}`, { id });
    }
    const dir = resolve(parent, parsed.data);
    const rel = relative(parent, dir);
    if (rel !== parsed.data || rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.includes(sep)) {
      throw new VesselError('E_INVALID_ID', `invalid sandbox ID ${JSON.stringify(id)}: it does not name a directory inside ${parent}`, { id });
    }
    return dir;
  }

  /**
   * Run fn holding the sandbox's lock: 'shared' for readers that need a stable
   * view across several reads, 'exclusive' for anything that changes the
   * sandbox. Works across processes and within one (concurrent callers in one
   * process queue like separate processes). E_BUSY after opts.timeoutMs
   * (default 30 s), naming the holder's pid.
   *
   * Re-entrancy: a nested withLock on the same sandbox from inside fn (same
   * async call chain) runs directly when the held lock covers it (shared or
   * exclusive inside exclusive; shared inside shared). Asking for exclusive
   * inside shared would deadlock, so it throws E_INTERNAL (a bug in the caller) instead. The
   * sandbox need not exist; the ID must be valid.
   */
  async withLock<T>(id: string, mode: LockMode, fn: () => Promise<T>, opts?: LockOptions): Promise<T> {
    const dir = this.lockDir(id);
    const outer = heldLocks.getStore() ?? [];
    const already = outer.find((h) => h.key === dir && h.active);
    if (already !== undefined) {
      if (already.mode === 'exclusive' || mode === 'shared') return fn();
      throw new VesselError(
        'E_INTERNAL',
        `cannot take an exclusive lock on sandbox "${id}" while this operation holds a shared lock on it (upgrading would deadlock); take the exclusive lock first`,
        { id },
      );
    }
    const lock = await acquireLock(dir, `sandbox "${id}"`, mode, opts);
    const entry: HeldEntry = { key: dir, mode, active: true };
    try {
      return await heldLocks.run([...outer, entry], fn);
    } finally {
      entry.active = false;
      await lock.release();
    }
  }

  async exists(id: string): Promise<boolean> {
    const dir = this.sandboxDir(id);
    try {
      return (await lstat(dir)).isDirectory();
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw fsError(err, 'look up sandbox at', dir);
    }
  }

  /**
   * Create the sandbox directory (mode 0700) with its configuration and,
   * optionally, a first state. The directory is assembled under a temp name
   * and renamed into place, so nobody ever sees a sandbox without its config.
   * E_ALREADY_EXISTS when the ID is taken.
   */
  async create<C, S = never>(id: string, config: C, initialState?: S, opts?: LockOptions): Promise<void> {
    const dir = this.sandboxDir(id);
    const configText = this.envelope(id, 'config', config);
    const stateText = initialState === undefined ? undefined : this.envelope(id, 'state', initialState);
    await this.withLock(
      id,
      'exclusive',
      async () => {
        if (await this.exists(id)) {
          throw new VesselError('E_ALREADY_EXISTS', `sandbox "${id}" already exists; pick another ID or delete it first`, { id });
        }
        const building = join(this.sandboxesDir, `.creating-${id}.${tempSuffix()}`);
        try {
          await mkdir(this.sandboxesDir, { recursive: true, mode: 0o700 });
          await mkdir(building, { mode: 0o700 });
          await writeFileAtomic(join(building, CONFIG_FILE), configText);
          if (stateText !== undefined) await writeFileAtomic(join(building, STATE_FILE), stateText);
          await rename(building, dir);
          await fsyncDir(this.sandboxesDir);
        } catch (err) {
          await rm(building, { recursive: true, force: true }).catch(() => undefined);
          if (errnoCode(err) === 'EEXIST' || errnoCode(err) === 'ENOTEMPTY') {
            throw new VesselError('E_ALREADY_EXISTS', `sandbox "${id}" already exists; pick another ID or delete it first`, { id });
          }
          throw fsError(err, 'create sandbox at', dir);
        }
      },
      { purpose: 'create sandbox', ...opts },
    );
  }

  /** The configuration given at create, checked against `schema`. */
  async readConfig<T>(id: string, schema: z.ZodType<T>): Promise<T> {
    return this.readFileOf(id, 'config', schema);
  }

  /** The last saved runtime state, checked against `schema`. E_NOT_FOUND if none was saved yet. */
  async readState<T>(id: string, schema: z.ZodType<T>): Promise<T> {
    return this.readFileOf(id, 'state', schema);
  }

  /**
   * Replace the runtime state atomically (temp file, fsync, rename, fsync dir).
   * With `schema`, the state is validated first, so nothing unreadable is ever
   * written. The sandbox must exist (E_NOT_FOUND): a write never resurrects a
   * deleted sandbox. Hold the exclusive lock for read-modify-write.
   */
  async writeState<T>(id: string, state: T, schema?: z.ZodType<T>): Promise<void> {
    const dir = this.sandboxDir(id);
    if (schema !== undefined) {
      const checked = schema.safeParse(state);
      if (!checked.success) {
        throw new VesselError('E_INVALID_ARGUMENT', `refusing to save an invalid state for sandbox "${id}": ${describeZodError(checked.error)}`, { id });
      }
    }
    const text = this.envelope(id, 'state', state);
    try {
      await writeFileAtomic(join(dir, STATE_FILE), text);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw this.notFound(id);
      throw fsError(err, 'save the state of sandbox', dir);
    }
    // Leftovers of writers that crashed mid-write: harmless, but tidy them.
    await removeDeadTemps(dir);
  }

  /** IDs of all sandboxes, sorted. Entries that are not valid IDs (temp dirs, stray files) are ignored. */
  async list(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.sandboxesDir, { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw fsError(err, 'list sandboxes in', this.sandboxesDir);
    }
    return entries
      .filter((e) => e.isDirectory() && SANDBOX_ID_PATTERN.test(e.name))
      .map((e) => e.name)
      .sort();
  }

  /**
   * Remove the sandbox directory and everything in it, even when its files
   * are corrupt. It disappears at once (renamed aside), then is removed; a
   * crash in between leaves a temp directory for gc(). E_NOT_FOUND if absent.
   */
  async delete(id: string, opts?: LockOptions): Promise<void> {
    const dir = this.sandboxDir(id);
    const doomed = join(this.sandboxesDir, `.deleting-${id}.${tempSuffix()}`);
    await this.withLock(
      id,
      'exclusive',
      async () => {
        if (!(await this.exists(id))) throw this.notFound(id);
        try {
          await rename(dir, doomed);
          await fsyncDir(this.sandboxesDir);
        } catch (err) {
          if (errnoCode(err) === 'ENOENT') throw this.notFound(id);
          throw fsError(err, 'delete sandbox at', dir);
        }
      },
      { purpose: 'delete sandbox', ...opts },
    );
    await rm(doomed, { recursive: true, force: true }).catch((err: unknown) => {
      throw fsError(err, 'remove', doomed);
    });
  }

  /**
   * Remove what crashed processes left behind: half-created or half-deleted
   * sandbox directories and temp files of interrupted writes. Only leftovers
   * of processes that are gone are touched. Returns the removed paths.
   */
  async gc(): Promise<string[]> {
    const removed = await removeDeadTemps(this.sandboxesDir);
    for (const id of await this.list()) removed.push(...(await removeDeadTemps(this.sandboxDir(id))));
    return removed;
  }

  private notFound(id: string): VesselError {
    return new VesselError('E_NOT_FOUND', `sandbox "${id}" not found`, { id });
  }

  /** Replace the configuration atomically (a resize records the new size). Hold the exclusive lock. */
  async writeConfig<T>(id: string, config: T): Promise<void> {
    const dir = this.sandboxDir(id);
    if (!existsSync(join(dir, CONFIG_FILE))) throw new VesselError('E_NOT_FOUND', `sandbox "${id}" not found`, { id });
    await writeFileAtomic(join(dir, CONFIG_FILE), this.envelope(id, 'config', config));
  }

  private envelope(id: string, kind: FileKind, payload: unknown): string {
    if (payload === undefined) throw new VesselError('E_INVALID_ARGUMENT', `cannot save the ${kind} of sandbox "${id}": it is undefined`, { id });
    return toJson({ schemaVersion: STORE_SCHEMA_VERSION, sandboxId: id, writtenAt: new Date().toISOString(), [kind]: payload }, kind, id);
  }

  private corrupt(id: string, path: string, problem: string): VesselError {
    return new VesselError(
      'E_CORRUPT_STATE',
      `sandbox "${id}": ${path} ${problem}. If it cannot be repaired, remove the sandbox with \`vessel sandbox delete --force ${id}\``,
      { id, path },
    );
  }

  private async readFileOf<T>(id: string, kind: FileKind, schema: z.ZodType<T>): Promise<T> {
    const dir = this.sandboxDir(id);
    const path = join(dir, kind === 'config' ? CONFIG_FILE : STATE_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw fsError(err, 'read', path);
      if (!(await this.exists(id))) throw this.notFound(id);
      if (kind === 'state') {
        throw new VesselError('E_NOT_FOUND', `sandbox "${id}" has no saved state yet (${path} does not exist)`, { id, path });
      }
      throw this.corrupt(id, path, 'is missing (every sandbox has one from creation)');
    }

    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw this.corrupt(id, path, `is not valid JSON (${err instanceof Error ? err.message : String(err)}); the file may have been truncated`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw this.corrupt(id, path, 'is not a JSON object');
    const record = doc as Record<string, unknown>;

    const version = record['schemaVersion'];
    if (typeof version !== 'number') throw this.corrupt(id, path, 'has no schemaVersion');
    if (version !== STORE_SCHEMA_VERSION) {
      const advice = version > STORE_SCHEMA_VERSION ? 'it was written by a newer Vessel; upgrade Vessel to use this sandbox' : 'it was written by an older, unsupported Vessel';
      throw new VesselError(
        'E_CORRUPT_STATE',
        `sandbox "${id}": ${path} has schemaVersion ${version}, but this Vessel reads only schemaVersion ${STORE_SCHEMA_VERSION}; ${advice}, or remove the sandbox with \`vessel sandbox delete --force ${id}\``,
        { id, path, schemaVersion: version, supported: STORE_SCHEMA_VERSION },
      );
    }
    if (record['sandboxId'] !== id) {
      throw this.corrupt(id, path, `belongs to sandbox ${JSON.stringify(record['sandboxId'])}, not "${id}"`);
    }
    if (!(kind in record)) throw this.corrupt(id, path, `has no "${kind}" field`);
    const checked = schema.safeParse(record[kind]);
    if (!checked.success) throw this.corrupt(id, path, `does not match the expected ${kind} format (${describeZodError(checked.error)})`);
    return checked.data;
  }
}
