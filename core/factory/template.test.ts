import { mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MockHypervisor } from '../hypervisor/mock.js';
import type { SnapshotDriver } from '../hypervisor/snapshot.js';
import { looksLikeQemuState, QEMU_STATE_MAGIC } from '../hypervisor/qemu/snapshot.js';
import { bootDevices, specDifferences, STORE_MARKER, templateDirName, templateHash, TemplateStore, type TemplateSpec } from './template.js';

const spec: TemplateSpec = {
  layout: {},
  format: 1, hypervisorPath: '/usr/bin/qemu-system-x86_64', hypervisorVersion: '7.2.22', hypervisorHash: 'q'.repeat(64),
  machineType: 'q35', accel: 'tcg', vcpus: 1, memoryMiB: 64, kernelPath: '/k', initrdPath: '/i', guestHash: 'guest-image:abc',
  kernelParams: ['console=ttyS0', 'quiet'], devices: ['serial:ttyS0', 'virtio-serial:vessel.agent'],
};

/** A MOCK snapshot driver: these tests never load or save a VM. */
const mockSnapshot: SnapshotDriver = {
  saveState: () => Promise.reject(new Error('MOCK: not used')),
  loadState: () => Promise.reject(new Error('MOCK: not used')),
  checkpointDevices: () => Promise.reject(new Error('MOCK: not used')),
  version: () => Promise.resolve('7.2.22'),
};

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'vf9u-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Writes a template as a build would leave it (a sparse memory file, a state with QEMU's header). */
function plant(store: TemplateStore, s: TemplateSpec): string {
  const hash = templateHash(s);
  const dir = path.join(store.dir, templateDirName(hash));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'memory'), '');
  truncateSync(path.join(dir, 'memory'), s.memoryMiB * 1048576);
  writeFileSync(path.join(dir, 'state'), Buffer.concat([QEMU_STATE_MAGIC, Buffer.alloc(100)]));
  writeFileSync(path.join(dir, 'template.json'), JSON.stringify({ kind: 'vessel-template', hash, spec: s, createdAt: new Date().toISOString(), buildMs: 1, stateBytes: 108 }));
  return hash;
}

function newStore(dir = path.join(tmp(), 'templates')): TemplateStore {
  return new TemplateStore({ dir, driver: new MockHypervisor(), snapshot: mockSnapshot });
}

describe('template keys', () => {
  it('the hash changes with every field a clone must share, and only with those', () => {
    const base = templateHash(spec);
    expect(templateHash({ ...spec })).toBe(base);
    for (const change of [{ kernelParams: [...spec.kernelParams, 'x=1'] }, { vcpus: 2 }, { memoryMiB: 128 }, { hypervisorVersion: '8.0' }, { guestHash: 'other' }, { devices: [] }]) {
      expect(templateHash({ ...spec, ...change })).not.toBe(base);
    }
  });

  it('differences are said in words: added and removed kernel parameters, sizes, the QEMU version', () => {
    expect(specDifferences({ ...spec, kernelParams: ['console=ttyS0', 'loglevel=7'] }, spec)).toEqual(['kernel parameters changed (+loglevel=7) (-quiet)']);
    expect(specDifferences({ ...spec, vcpus: 2, hypervisorVersion: '8.2' }, spec)).toEqual(['QEMU version changed', 'vCPUs 1 → 2']);
    expect(specDifferences(spec, spec)).toEqual([]);
  });

  it('boot devices follow the config: the 9p share and an image disk only when present', () => {
    const cfg = { sandboxId: 'x', hypervisorPath: '/q', machineType: 'q35' as const, vcpus: 1, memoryMiB: 64, kernelPath: '/k', kernelParams: [], accel: 'tcg' as const };
    expect(bootDevices(cfg)).not.toContain('virtio-9p:vessel-shared');
    expect(bootDevices({ ...cfg, sharedDir: '/s', imagePath: '/img' })).toEqual(expect.arrayContaining(['virtio-9p:vessel-shared', 'virtio-blk:rootfs']));
  });
});

describe('template store', () => {
  it('finds a whole template, names the nearest stale one, and ignores half-made ones', () => {
    const store = newStore();
    store.ensureDir();
    const hash = plant(store, spec);
    expect(store.find(hash)?.meta.hash).toBe(hash);
    const wanted = { ...spec, kernelParams: [...spec.kernelParams, 'vessel.x=1'] };
    expect(store.find(templateHash(wanted))).toBeNull();
    expect(store.missReason(wanted)).toBe(`template ${hash.slice(0, 12)} is stale for this request: kernel parameters changed (+vessel.x=1)`);
    // A template whose memory file has the wrong size is not whole.
    truncateSync(path.join(store.dir, templateDirName(hash), 'memory'), 4096);
    expect(store.find(hash)).toBeNull();
    expect(store.list().foreign).toEqual([templateDirName(hash)]);
  });

  it('with no template at all the reason says so', () => {
    const store = newStore();
    expect(store.missReason(spec)).toBe('no template yet for this configuration');
  });

  it('a non-empty directory without our marker is refused, untouched; an empty one becomes ours (0700)', () => {
    const dir = path.join(tmp(), 'someone-elses');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'data.bin'), 'x');
    const store = newStore(dir);
    expect(() => store.ensureDir()).toThrow(/not a Vessel template directory/);
    expect(() => store.list()).toThrow(/not a Vessel template directory/);
    expect(() => store.destroy()).toThrow(/not a Vessel template directory/);
    expect(readdirSync(dir)).toEqual(['data.bin']);
    const fresh = newStore(path.join(tmp(), 'fresh'));
    fresh.ensureDir();
    expect(existsSync(path.join(fresh.dir, STORE_MARKER))).toBe(true);
  });

  it('destroy removes our templates and leaves entries that are not templates', () => {
    const store = newStore();
    store.ensureDir();
    plant(store, spec);
    mkdirSync(path.join(store.dir, 'user-stuff'));
    expect(store.destroy()).toHaveLength(1);
    expect(readdirSync(store.dir).sort()).toEqual([STORE_MARKER, 'user-stuff'].sort());
  });
});

describe('QEMU state files', () => {
  it('a state file is recognised by its QEVM header; anything else is not', () => {
    const d = tmp();
    writeFileSync(path.join(d, 'good'), Buffer.concat([QEMU_STATE_MAGIC, Buffer.alloc(10)]));
    writeFileSync(path.join(d, 'bad'), 'not a state');
    expect(looksLikeQemuState(path.join(d, 'good'))).toBe(true);
    expect(looksLikeQemuState(path.join(d, 'bad'))).toBe(false);
    expect(looksLikeQemuState(path.join(d, 'missing'))).toBe(false);
  });
});
