import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { VesselError } from '../contract/index.js';
import type { ErrorCode } from '../contract/index.js';
import { readProcStartTime } from '../util/proc.js';
import { SandboxStore } from './index.js';

/*
 * Cross-process tests run the REAL store code in child processes: the child
 * entry below is bundled from TypeScript with esbuild (a dev dependency) into
 * a temp .mjs before the tests, so they need neither a prior `npm run build`
 * nor a TS loader in the children.
 */
const CHILD_SOURCE = `
import { writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { SandboxStore } from './index.js';

const Counter = z.object({ count: z.number().int() });
const [command, json] = process.argv.slice(2);
const args = JSON.parse(json);
const store = new SandboxStore(args.root);

async function main() {
  switch (command) {
    case 'increment':
      for (let i = 0; i < args.n; i++) {
        await store.withLock(args.id, 'exclusive', async () => {
          const { count } = await store.readState(args.id, Counter);
          await sleep(Math.random() * 3);
          await store.writeState(args.id, { count: count + 1 });
        }, { timeoutMs: 60000 });
      }
      return;
    case 'barrier':
      // Hold the lock until 'count' holders are inside at once (or give up).
      await store.withLock(args.id, args.mode, async () => {
        await writeFile(join(args.dir, 'in-' + process.pid), '');
        const until = Date.now() + (args.waitMs ?? 10000);
        while ((await readdir(args.dir)).filter((n) => n.startsWith('in-')).length < args.count) {
          if (Date.now() > until) throw new Error('barrier not reached: holders were not inside together');
          await sleep(10);
        }
        await sleep(50);
      });
      return;
    case 'hold':
      // Take the lock, say so, keep it until the release file appears (or die if told to).
      await store.withLock(args.id, args.mode, async () => {
        process.stdout.write('held\\n');
        while (!(await readdir(args.dir)).includes('release')) await sleep(10);
      }, { purpose: 'test holder' });
      return;
    case 'create':
      try {
        await store.create(args.id, { by: process.pid });
        process.stdout.write('created\\n');
      } catch (err) {
        process.stdout.write((err.code ?? 'unknown') + '\\n');
      }
      return;
  }
  throw new Error('unknown command ' + command);
}
main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
`;

const here = dirname(fileURLToPath(import.meta.url));
let tmp: string;
let childScript: string;
let root: string;
let store: SandboxStore;
const children: ChildProcess[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vessel-lock-'));
  childScript = join(tmp, 'child.mjs');
  await build({
    stdin: { contents: CHILD_SOURCE, resolveDir: here, loader: 'ts', sourcefile: 'lock-child.ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: childScript,
    logLevel: 'silent',
  });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let testDir: string;
beforeEach(async () => {
  testDir = await mkdtemp(join(tmp, 't-'));
  root = join(testDir, 'root');
  store = new SandboxStore(root);
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function runChild(command: string, args: Record<string, unknown>): { child: ChildProcess; exited: Promise<{ code: number | null; stdout: string; stderr: string }>; line: (text: string) => Promise<void> } {
  const child = spawn(process.execPath, [childScript, command, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const w of waiters) w();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
  const line = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (stdout.includes(`${text}\n`)) resolve();
      };
      waiters.push(check);
      check();
      void exited.then(({ code }) => reject(new Error(`child exited (${code}) before printing "${text}": ${stderr}`)));
    });
  return { child, exited, line };
}

async function expectRejects(promise: Promise<unknown>, code: ErrorCode): Promise<VesselError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a VesselError').toBeInstanceOf(VesselError);
  expect((caught as VesselError).code).toBe(code);
  return caught as VesselError;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const lockDir = (id: string): string => join(root, 'locks', id);

/** Wait until the lock directory shows a holder of that kind (no sleeps guessing how long the other side takes). */
async function waitForHolder(id: string, kind: 'exclusive' | 'shared'): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    const names = await readdir(lockDir(id)).catch(() => [] as string[]);
    if (names.some((n) => (kind === 'exclusive' ? n === 'exclusive' : n.startsWith('shared-')))) return;
    if (Date.now() > until) throw new Error(`no ${kind} holder appeared`);
    await sleep(5);
  }
}

describe('locks within one process', () => {
  it('serialises exclusive holders (no lost update)', async () => {
    let count = 0;
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store.withLock('sb', 'exclusive', async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          const seen = count;
          await sleep(1);
          count = seen + 1;
          inside--;
        }),
      ),
    );
    expect(count).toBe(20);
    expect(maxInside).toBe(1);
    // Released locks leave nothing behind.
    expect(existsSync(lockDir('sb'))).toBe(false);
  });

  it('lets shared holders in together', async () => {
    let inside = 0;
    const allIn = deferred();
    const holders = Array.from({ length: 3 }, () =>
      store.withLock('sb', 'shared', async () => {
        inside++;
        if (inside === 3) allIn.resolve();
        await allIn.promise;
        return 'ok';
      }, { timeoutMs: 5000 }),
    );
    expect(await Promise.all(holders)).toEqual(['ok', 'ok', 'ok']);
  });

  it('makes an exclusive holder wait for readers, and keeps new readers out while it waits', async () => {
    const order: string[] = [];
    const releaseReader = deferred();
    const firstReader = store.withLock('sb', 'shared', async () => {
      order.push('reader1 in');
      await releaseReader.promise;
      order.push('reader1 out');
    });
    await waitForHolder('sb', 'shared');
    const writer = store.withLock('sb', 'exclusive', async () => {
      order.push('writer in');
      await sleep(20);
      order.push('writer out');
    });
    await waitForHolder('sb', 'exclusive');
    const lateReader = store.withLock('sb', 'shared', async () => {
      order.push('reader2 in');
    });
    await sleep(100);
    expect(order).toEqual(['reader1 in']);
    releaseReader.resolve();
    await Promise.all([firstReader, writer, lateReader]);
    expect(order).toEqual(['reader1 in', 'reader1 out', 'writer in', 'writer out', 'reader2 in']);
  });

  it('times out with E_BUSY naming the holder', async () => {
    const release = deferred();
    const holder = store.withLock('sb', 'exclusive', () => release.promise, { purpose: 'vessel sandbox start' });
    await waitForHolder('sb', 'exclusive');
    const err = await expectRejects(store.withLock('sb', 'shared', async () => 1, { timeoutMs: 100 }), 'E_BUSY');
    expect(err.message).toContain('sandbox "sb" is busy');
    expect(err.message).toContain(`held by pid ${process.pid} (vessel sandbox start)`);
    expect(err.details).toMatchObject({ holderPid: process.pid, holderMode: 'exclusive' });
    await expectRejects(store.withLock('sb', 'exclusive', async () => 1, { timeoutMs: 0 }), 'E_BUSY');
    release.resolve();
    await holder;
  });

  it('gives up an exclusive request that cannot drain readers, without blocking readers after', async () => {
    const release = deferred();
    const reader = store.withLock('sb', 'shared', () => release.promise);
    await waitForHolder('sb', 'shared');
    const err = await expectRejects(store.withLock('sb', 'exclusive', async () => 1, { timeoutMs: 100 }), 'E_BUSY');
    expect(err.message).toContain('a shared lock is held by pid');
    expect(await store.withLock('sb', 'shared', async () => 'read', { timeoutMs: 100 })).toBe('read');
    release.resolve();
    await reader;
  });

  it('is re-entrant where that is safe, and refuses an upgrade', async () => {
    const result = await store.withLock('sb', 'exclusive', () =>
      store.withLock('sb', 'exclusive', () => store.withLock('sb', 'shared', async () => 'nested')),
    );
    expect(result).toBe('nested');
    expect(await store.withLock('sb', 'shared', () => store.withLock('sb', 'shared', async () => 2))).toBe(2);
    const err = await expectRejects(store.withLock('sb', 'shared', () => store.withLock('sb', 'exclusive', async () => 3)), 'E_INTERNAL');
    expect(err.message).toContain('deadlock');
    // Other sandboxes are independent.
    expect(await store.withLock('sb', 'exclusive', () => store.withLock('other', 'exclusive', async () => 4))).toBe(4);
    // create/delete compose with an enclosing exclusive lock.
    await store.withLock('sb', 'exclusive', async () => {
      await store.create('sb', { a: 1 });
      await store.delete('sb');
    });
  });

  it('releases the lock when fn throws', async () => {
    await expect(store.withLock('sb', 'exclusive', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await store.withLock('sb', 'exclusive', async () => 'again', { timeoutMs: 100 })).toBe('again');
  });
});

describe('stale locks', () => {
  function deadPid(): number {
    return spawnSync(process.execPath, ['-e', '']).pid;
  }
  const record = (pid: number, startTime: number, mode: 'exclusive' | 'shared'): string =>
    JSON.stringify({ pid, startTime, token: 'stale', mode, acquiredAt: new Date().toISOString() });

  it('breaks an exclusive lock whose holder is dead', async () => {
    await mkdir(lockDir('sb'), { recursive: true });
    await writeFile(join(lockDir('sb'), 'exclusive'), record(deadPid(), 12345, 'exclusive'));
    expect(await store.withLock('sb', 'exclusive', async () => 'mine', { timeoutMs: 1000 })).toBe('mine');
  });

  it('breaks a lock whose pid was reused (start time differs)', async () => {
    const ownStart = readProcStartTime(process.pid) ?? 0;
    await mkdir(lockDir('sb'), { recursive: true });
    await writeFile(join(lockDir('sb'), 'exclusive'), record(process.pid, ownStart + 1, 'exclusive'));
    expect(await store.withLock('sb', 'shared', async () => 'mine', { timeoutMs: 1000 })).toBe('mine');
  });

  it('breaks unreadable lock files and dead readers', async () => {
    await mkdir(lockDir('sb'), { recursive: true });
    await writeFile(join(lockDir('sb'), 'exclusive'), '{"pid":');
    await writeFile(join(lockDir('sb'), 'shared-dead'), record(deadPid(), 1, 'shared'));
    await writeFile(join(lockDir('sb'), 'break.guard'), record(deadPid(), 1, 'exclusive'));
    expect(await store.withLock('sb', 'exclusive', async () => 'mine', { timeoutMs: 1000 })).toBe('mine');
    expect(existsSync(lockDir('sb'))).toBe(false);
  });

  it('does not break a live holder', async () => {
    await mkdir(lockDir('sb'), { recursive: true });
    await writeFile(join(lockDir('sb'), 'exclusive'), record(process.pid, readProcStartTime(process.pid) ?? 0, 'exclusive'));
    await expectRejects(store.withLock('sb', 'exclusive', async () => 1, { timeoutMs: 100 }), 'E_BUSY');
  });
});

describe('locks across processes (real store code in child processes)', () => {
  const Counter = z.object({ count: z.number().int() });

  it('loses no update with several processes incrementing under the exclusive lock', async () => {
    await store.create('counter', { kind: 'counter' }, { count: 0 });
    const perChild = 15;
    const runs = Array.from({ length: 4 }, () => runChild('increment', { root, id: 'counter', n: perChild }));
    const results = await Promise.all(runs.map((r) => r.exited));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(await store.readState('counter', Counter)).toEqual({ count: 4 * perChild });
  });

  it('holds shared locks in several processes at once', async () => {
    const dir = join(testDir, 'barrier');
    await mkdir(dir);
    const runs = Array.from({ length: 3 }, () => runChild('barrier', { root, id: 'sb', mode: 'shared', dir, count: 3 }));
    const results = await Promise.all(runs.map((r) => r.exited));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
  });

  it('never has two exclusive holders across processes', async () => {
    const dir = join(testDir, 'barrier');
    await mkdir(dir);
    // Each child waits (up to 1.5 s) for 2 holders inside at once: with an exclusive lock that must fail.
    const runs = Array.from({ length: 2 }, () => runChild('barrier', { root, id: 'sb', mode: 'exclusive', dir, count: 2, waitMs: 1500 }));
    const first = await Promise.race(runs.map((r) => r.exited));
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('barrier not reached');
  }, 30_000);

  it('makes an exclusive locker wait for a reader in another process', async () => {
    const holder = runChild('hold', { root, id: 'sb', mode: 'shared', dir: testDir });
    await holder.line('held');
    const pid = holder.child.pid ?? -1;
    const err = await expectRejects(store.withLock('sb', 'exclusive', async () => 1, { timeoutMs: 150 }), 'E_BUSY');
    expect(err.message).toContain(`held by pid ${pid} (test holder)`);

    const startedAt = Date.now();
    const writer = store.withLock('sb', 'exclusive', async () => Date.now(), { timeoutMs: 10_000 });
    await sleep(200);
    await writeFile(join(testDir, 'release'), '');
    const acquiredAt = await writer;
    expect(acquiredAt - startedAt).toBeGreaterThanOrEqual(200);
    expect((await holder.exited).code).toBe(0);
  });

  it('breaks the lock of a process killed while holding it', async () => {
    const holder = runChild('hold', { root, id: 'sb', mode: 'exclusive', dir: testDir });
    await holder.line('held');
    await expectRejects(store.withLock('sb', 'shared', async () => 1, { timeoutMs: 100 }), 'E_BUSY');
    holder.child.kill('SIGKILL');
    await holder.exited;
    expect(await readdir(lockDir('sb'))).toContain('exclusive');
    expect(await store.withLock('sb', 'exclusive', async () => 'recovered', { timeoutMs: 2000 })).toBe('recovered');
  });

  it('lets exactly one of several processes create a sandbox', async () => {
    const runs = Array.from({ length: 4 }, () => runChild('create', { root, id: 'race' }));
    const results = await Promise.all(runs.map((r) => r.exited));
    const outcomes = results.map((r) => r.stdout.trim()).sort();
    expect(outcomes).toEqual(['E_ALREADY_EXISTS', 'E_ALREADY_EXISTS', 'E_ALREADY_EXISTS', 'created']);
    expect(await store.list()).toEqual(['race']);
  });
});
