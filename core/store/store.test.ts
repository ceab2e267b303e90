import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { VesselError } from '../contract/index.js';
import type { ErrorCode } from '../contract/index.js';
import { SandboxStore, resolveStoreRoot } from './index.js';

const Config = z.object({ vcpus: z.number().int(), name: z.string() });
const State = z.object({ state: z.enum(['ready', 'running', 'paused', 'stopped']), pid: z.number().nullable() });

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

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid;
}

let tmp: string;
let store: SandboxStore;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vessel-store-'));
  store = new SandboxStore(resolveStoreRoot({ VESSEL_ROOT: join(tmp, 'root') }));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('sandbox IDs', () => {
  const bad = ['../x', 'a/b', '.', '', 'a'.repeat(65), '..', '/abs', '-leading', 'a b', 'a\0b', '..%2f'];

  it.each(bad)('rejects %j before touching the disk', async (id) => {
    const root = join(tmp, 'root');
    let caught: unknown;
    try {
      store.sandboxDir(id);
    } catch (err) {
      caught = err;
    }
    expect((caught as VesselError).code).toBe('E_INVALID_ID');
    expect((caught as VesselError).message).toContain(JSON.stringify(id));
    await expectRejects(store.create(id, { vcpus: 1, name: 'x' }), 'E_INVALID_ID');
    await expectRejects(store.writeState(id, { state: 'ready', pid: null }), 'E_INVALID_ID');
    await expectRejects(store.readConfig(id, Config), 'E_INVALID_ID');
    await expectRejects(store.readState(id, State), 'E_INVALID_ID');
    await expectRejects(store.exists(id), 'E_INVALID_ID');
    await expectRejects(store.delete(id), 'E_INVALID_ID');
    await expectRejects(store.withLock(id, 'exclusive', async () => 1), 'E_INVALID_ID');
    expect(existsSync(root)).toBe(false);
  });

  it('accepts 64 characters and puts the sandbox under the root', () => {
    const id = `a${'b'.repeat(63)}`;
    expect(store.sandboxDir(id)).toBe(join(tmp, 'root', 'sandboxes', id));
  });
});

describe('SandboxStore', () => {
  it('round-trips config and state, and deletes', async () => {
    expect(await store.list()).toEqual([]);
    expect(await store.exists('sb1')).toBe(false);
    await store.create('sb1', { vcpus: 2, name: 'one' });
    expect(await store.exists('sb1')).toBe(true);
    expect((await stat(store.sandboxDir('sb1'))).mode & 0o777).toBe(0o700);
    expect(await store.readConfig('sb1', Config)).toEqual({ vcpus: 2, name: 'one' });
    await expectRejects(store.readState('sb1', State), 'E_NOT_FOUND');

    await store.writeState('sb1', { state: 'ready', pid: null }, State);
    expect(await store.readState('sb1', State)).toEqual({ state: 'ready', pid: null });
    await store.writeState('sb1', { state: 'running', pid: 42 });
    expect(await store.readState('sb1', State)).toEqual({ state: 'running', pid: 42 });

    const onDisk = JSON.parse(await readFile(store.statePath('sb1'), 'utf8')) as Record<string, unknown>;
    expect(onDisk).toMatchObject({ schemaVersion: 1, sandboxId: 'sb1', state: { state: 'running', pid: 42 } });
    expect(JSON.parse(await readFile(store.configPath('sb1'), 'utf8'))).toMatchObject({ schemaVersion: 1, config: { vcpus: 2 } });

    await store.delete('sb1');
    expect(await store.exists('sb1')).toBe(false);
    expect(await store.list()).toEqual([]);
    expect(await readdir(join(tmp, 'root', 'sandboxes'))).toEqual([]);
    const err = await expectRejects(store.delete('sb1'), 'E_NOT_FOUND');
    expect(err.message).toContain('"sb1"');
  });

  it('writes an initial state with create', async () => {
    await store.create('sb1', { vcpus: 1, name: 'x' }, { state: 'ready', pid: null });
    expect(await store.readState('sb1', State)).toEqual({ state: 'ready', pid: null });
  });

  it('refuses to create twice', async () => {
    await store.create('sb1', { vcpus: 1, name: 'x' });
    const err = await expectRejects(store.create('sb1', { vcpus: 9, name: 'y' }), 'E_ALREADY_EXISTS');
    expect(err.message).toContain('"sb1"');
    expect(await store.readConfig('sb1', Config)).toEqual({ vcpus: 1, name: 'x' });
  });

  it('reports a missing sandbox as E_NOT_FOUND with its ID', async () => {
    const ops = [() => store.readConfig('ghost', Config), () => store.readState('ghost', State), () => store.writeState('ghost', { state: 'ready', pid: null })];
    for (const op of ops) {
      const err = await expectRejects(op(), 'E_NOT_FOUND');
      expect(err.message).toContain('"ghost"');
      expect(err.details).toMatchObject({ id: 'ghost' });
    }
    // A write must not resurrect a deleted sandbox.
    expect(await store.exists('ghost')).toBe(false);
  });

  it('refuses to write a state that fails its schema, or is not JSON', async () => {
    await store.create('sb1', { vcpus: 1, name: 'x' });
    const bad = { state: 'flying', pid: null } as unknown as z.infer<typeof State>;
    await expectRejects(store.writeState('sb1', bad, State), 'E_INVALID_ARGUMENT');
    await expectRejects(store.writeState('sb1', { n: 1n }), 'E_INVALID_ARGUMENT');
    await expectRejects(store.create('sb2', undefined), 'E_INVALID_ARGUMENT');
    expect(await store.exists('sb2')).toBe(false);
  });

  it('lists sandboxes, ignoring temp files and entries that are not IDs', async () => {
    await store.create('b', { vcpus: 1, name: 'b' });
    await store.create('a', { vcpus: 1, name: 'a' });
    const dir = join(tmp, 'root', 'sandboxes');
    await mkdir(join(dir, '.creating-c.tmp-1-2-abc'));
    await mkdir(join(dir, 'not valid'));
    await writeFile(join(dir, 'file'), 'x');
    expect(await store.list()).toEqual(['a', 'b']);
  });

  it('keeps the old state when a write crashed before the rename, and gc removes the leftover', async () => {
    await store.create('sb1', { vcpus: 1, name: 'x' }, { state: 'running', pid: 1 });
    // What a writer that died mid-write leaves: a torn temp file next to the target.
    const leftover = join(store.sandboxDir('sb1'), `.state.json.tmp-${deadPid()}-123-deadbeef`);
    await writeFile(leftover, '{"schemaVersion":1,"sandboxId":"sb1","state":{"sta');
    expect(await store.readState('sb1', State)).toEqual({ state: 'running', pid: 1 });
    expect(await store.list()).toEqual(['sb1']);
    expect(await store.gc()).toEqual([leftover]);
    expect(existsSync(leftover)).toBe(false);
  });

  it('gc leaves the temp files of live writers alone', async () => {
    await store.create('sb1', { vcpus: 1, name: 'x' });
    const mine = join(store.sandboxDir('sb1'), '.state.json.tmp-1-0-abcdef'); // pid 1 is alive, start time 0 is not its
    const ownStart = (await readFile(`/proc/${process.pid}/stat`, 'utf8')).split(') ')[1]?.split(' ')[19];
    const live = join(store.sandboxDir('sb1'), `.state.json.tmp-${process.pid}-${ownStart}-abcdef`);
    await writeFile(mine, '');
    await writeFile(live, '');
    expect(await store.gc()).toEqual([mine]);
    expect(existsSync(live)).toBe(true);
  });

  it('writeState tidies up dead temp files', async () => {
    await store.create('sb1', { vcpus: 1, name: 'x' });
    const leftover = join(store.sandboxDir('sb1'), `.state.json.tmp-${deadPid()}-1-aa`);
    await writeFile(leftover, '{');
    await store.writeState('sb1', { state: 'ready', pid: null });
    expect(await readdir(store.sandboxDir('sb1'))).toEqual(['config.json', 'state.json']);
  });

  describe('corruption', () => {
    beforeEach(async () => {
      await store.create('good', { vcpus: 1, name: 'good' }, { state: 'running', pid: 7 });
      await store.create('bad', { vcpus: 1, name: 'bad' }, { state: 'running', pid: 8 });
    });

    async function expectCorrupt(promise: Promise<unknown>, path: string): Promise<VesselError> {
      const err = await expectRejects(promise, 'E_CORRUPT_STATE');
      expect(err.message).toContain('"bad"');
      expect(err.message).toContain(path);
      expect(err.message).toContain('vessel sandbox delete --force bad');
      // Other sandboxes stay readable.
      expect(await store.readState('good', State)).toEqual({ state: 'running', pid: 7 });
      expect(await store.readConfig('good', Config)).toEqual({ vcpus: 1, name: 'good' });
      return err;
    }

    it('reports a torn (truncated) state.json', async () => {
      const full = await readFile(store.statePath('bad'), 'utf8');
      await writeFile(store.statePath('bad'), full.slice(0, full.length / 2));
      const err = await expectCorrupt(store.readState('bad', State), store.statePath('bad'));
      expect(err.message).toContain('not valid JSON');
      expect(await store.list()).toEqual(['bad', 'good']);
    });

    it('reports an empty file and a non-object', async () => {
      await writeFile(store.statePath('bad'), '');
      await expectCorrupt(store.readState('bad', State), store.statePath('bad'));
      await writeFile(store.statePath('bad'), '[1,2]');
      await expectCorrupt(store.readState('bad', State), store.statePath('bad'));
    });

    it('reports a payload that does not match the schema', async () => {
      await writeFile(store.configPath('bad'), JSON.stringify({ schemaVersion: 1, sandboxId: 'bad', config: { vcpus: 'two', name: 'bad' } }));
      const err = await expectCorrupt(store.readConfig('bad', Config), store.configPath('bad'));
      expect(err.message).toContain('vcpus');
    });

    it('reports a file that belongs to another sandbox, or lacks fields', async () => {
      await writeFile(store.statePath('bad'), JSON.stringify({ schemaVersion: 1, sandboxId: 'good', state: { state: 'ready', pid: null } }));
      expect((await expectCorrupt(store.readState('bad', State), store.statePath('bad'))).message).toContain('belongs to sandbox "good"');
      await writeFile(store.statePath('bad'), JSON.stringify({ sandboxId: 'bad', state: {} }));
      expect((await expectCorrupt(store.readState('bad', State), store.statePath('bad'))).message).toContain('no schemaVersion');
      await writeFile(store.statePath('bad'), JSON.stringify({ schemaVersion: 1, sandboxId: 'bad' }));
      expect((await expectCorrupt(store.readState('bad', State), store.statePath('bad'))).message).toContain('no "state" field');
    });

    it('reports a missing config.json', async () => {
      await rm(store.configPath('bad'));
      expect((await expectCorrupt(store.readConfig('bad', Config), store.configPath('bad'))).message).toContain('missing');
    });

    it('explains an unknown schemaVersion', async () => {
      await writeFile(store.statePath('bad'), JSON.stringify({ schemaVersion: 99, sandboxId: 'bad', state: {} }));
      const err = await expectCorrupt(store.readState('bad', State), store.statePath('bad'));
      expect(err.message).toContain('schemaVersion 99');
      expect(err.message).toContain('reads only schemaVersion 1');
      expect(err.message).toContain('upgrade Vessel');
      expect(err.details).toMatchObject({ schemaVersion: 99, supported: 1 });
    });

    it('still deletes a corrupt sandbox', async () => {
      await writeFile(store.statePath('bad'), '{{{');
      await writeFile(store.configPath('bad'), '');
      await store.delete('bad');
      expect(await store.list()).toEqual(['good']);
    });
  });
});
