import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MockHypervisor } from '../hypervisor/mock.js';
import { vmPathsIn, type HypervisorConfig, type HypervisorState, type NicHotplugRequest, type VmNetworkConfig } from '../hypervisor/hypervisor.js';
import type { SnapshotDriver } from '../hypervisor/snapshot.js';
import { QEMU_STATE_MAGIC } from '../hypervisor/qemu/snapshot.js';
import { templateDirName, templateHash, TemplateStore } from './template.js';
import { growableBase, VmFactory } from './vm-factory.js';
import type { AgentAccess } from './factory.js';

// MOCK hypervisor and MOCK snapshot driver: the factory's decisions (which
// source, which reason, what is cleaned up) without a VM. The real path is
// core/factory/factory.int.test.ts.

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'vf9f-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A MOCK snapshot driver whose loadState is the test's. */
function mockSnapshot(loadState: SnapshotDriver['loadState']): SnapshotDriver {
  return { saveState: () => Promise.reject(new Error('MOCK: not used')), loadState, checkpointDevices: () => Promise.reject(new Error('MOCK: not used')), version: () => Promise.resolve('MOCK 1.0') };
}

const hvPath = process.execPath; // any real file: it is hashed as "the QEMU binary"

function setup(loadState: SnapshotDriver['loadState']) {
  const dir = tmp();
  const driver = new MockHypervisor();
  const snapshot = mockSnapshot(loadState);
  const templates = new TemplateStore({ dir: path.join(dir, 'templates'), driver, snapshot });
  const kernel = path.join(dir, 'vmlinuz');
  writeFileSync(kernel, 'kernel');
  const config: HypervisorConfig = { sandboxId: 'sb1', hypervisorPath: hvPath, machineType: 'q35', vcpus: 1, memoryMiB: 64, kernelPath: kernel, kernelParams: ['a=1'], accel: 'tcg' };
  const paths = vmPathsIn(path.join(dir, 'run'));
  const agentCalls: string[] = [];
  const agent: AgentAccess = async (_vm, fn) => fn({
    reseedRandomDev: (d: Buffer) => { agentCalls.push(`reseed ${d.length}`); return Promise.resolve(); },
    setGuestDateTime: () => { agentCalls.push('clock'); return Promise.resolve(); },
    setGuestIdentity: (id: string) => { agentCalls.push(`machine-id ${id.length}`); return Promise.resolve(); },
  } as never);
  return { dir, driver, templates, config, paths, agent, agentCalls };
}

async function plant(templates: TemplateStore, config: HypervisorConfig): Promise<string> {
  const spec = await templates.specFor(config);
  const hash = templateHash(spec);
  templates.ensureDir();
  const d = path.join(templates.dir, templateDirName(hash));
  mkdirSync(d);
  writeFileSync(path.join(d, 'memory'), '');
  truncateSync(path.join(d, 'memory'), spec.memoryMiB * 1048576); // sparse
  writeFileSync(path.join(d, 'state'), QEMU_STATE_MAGIC);
  writeFileSync(path.join(d, 'template.json'), JSON.stringify({ kind: 'vessel-template', hash, spec, createdAt: new Date().toISOString(), buildMs: 1, stateBytes: 8 }));
  return hash;
}

describe('VmFactory (MOCK hypervisor)', () => {
  it('templates off: a direct boot, no reason, no statistics', async () => {
    const t = setup(() => Promise.resolve());
    const f = new VmFactory({ config: { enable_template: false, vm_cache_number: 0 }, templates: t.templates, snapshot: {} as SnapshotDriver });
    const got = await f.getVM({ config: t.config, paths: t.paths, driver: t.driver, agent: t.agent });
    expect(got.origin).toMatchObject({ source: 'direct' });
    expect(got.origin.fallbackReason).toBeUndefined();
    await t.driver.stopVM(got.vm, { force: true });
    expect(f.stats.read().requests).toBe(0);
  });

  it('a template that matches: a clone, loaded and made unique (512 bytes of entropy, clock, machine-id)', async () => {
    const loaded: string[] = [];
    const t = setup(() => Promise.resolve());
    const hash = await plant(t.templates, t.config);
    const hooks: string[] = [];
    const f = new VmFactory({
      config: { enable_template: true, vm_cache_number: 0 }, templates: t.templates,
      snapshot: mockSnapshot((_vm, file) => { loaded.push(file); return Promise.resolve(); }),
      afterRestore: () => { hooks.push('nics'); return Promise.resolve(); },
    });
    const got = await f.getVM({ config: t.config, paths: t.paths, driver: t.driver, agent: t.agent });
    expect(got.origin).toMatchObject({ source: 'template', templateHash: hash });
    expect(loaded).toEqual([path.join(t.templates.dir, templateDirName(hash), 'state')]);
    expect(t.agentCalls).toEqual(['reseed 512', 'clock', 'machine-id 32']);
    expect(hooks).toEqual(['nics']);
    expect(t.templates.find(hash)?.meta.hits).toBe(1);
    await t.driver.stopVM(got.vm, { force: true });
  });

  it('a stale template: a direct boot whose reason names the difference', async () => {
    const t = setup(() => Promise.resolve());
    await plant(t.templates, t.config);
    const f = new VmFactory({ config: { enable_template: true, vm_cache_number: 0 }, templates: t.templates, snapshot: {} as SnapshotDriver, rebuildInBackground: false });
    const got = await f.getVM({ config: { ...t.config, kernelParams: ['a=1', 'b=2'] }, paths: t.paths, driver: t.driver, agent: t.agent });
    expect(got.origin.source).toBe('direct');
    expect(got.origin.fallbackReason).toMatch(/is stale for this request: kernel parameters changed \(\+b=2\)$/);
    expect(f.stats.read().fallbacks[0]?.reason).toBe(got.origin.fallbackReason);
    await t.driver.stopVM(got.vm, { force: true });
  });

  it('a clone whose state does not load: its VM is stopped, and the request boots directly with the reason', async () => {
    const t = setup(() => Promise.resolve());
    await plant(t.templates, t.config);
    const clones: HypervisorState[] = [];
    const f = new VmFactory({
      config: { enable_template: true, vm_cache_number: 0 }, templates: t.templates,
      snapshot: mockSnapshot((vm) => { clones.push(vm); return Promise.reject(new Error('MOCK: bad stream')); }),
    });
    const got = await f.getVM({ config: t.config, paths: t.paths, driver: t.driver, agent: t.agent });
    expect(got.origin.source).toBe('direct');
    expect(got.origin.fallbackReason).toMatch(/template path failed: MOCK: bad stream/);
    expect(clones).toHaveLength(1);
    expect(t.driver.isAlive(clones[0] as HypervisorState)).toBe(false);
    expect(t.driver.isAlive(got.vm)).toBe(true);
    await t.driver.stopVM(got.vm, { force: true });
  });
});

/** The MOCK hypervisor with NIC hot plug: records what was plugged, and with which configuration each VM started. */
class NicMockHypervisor extends MockHypervisor {
  readonly plugged: string[] = [];
  readonly started: HypervisorConfig[] = [];
  override startVM(config: HypervisorConfig, paths: Parameters<MockHypervisor['startVM']>[1]): ReturnType<MockHypervisor['startVM']> {
    this.started.push(config);
    return super.startVM(config, paths);
  }
  hotplugNic(_vm: HypervisorState, nic: NicHotplugRequest): Promise<void> {
    this.plugged.push(`${nic.id} ${nic.kind} ${nic.mac}`);
    return Promise.resolve();
  }
  unplugNic(): Promise<void> {
    return Promise.resolve();
  }
}

describe('VmFactory: NICs of a template clone (MOCK hypervisor)', () => {
  const network: VmNetworkConfig = {
    netnsPath: '/run/netns/vsl-sb1',
    nics: [
      { kind: 'tap', id: 'net0', tap: 'tap0', mac: '02:00:00:00:00:01' },
      { kind: 'user', id: 'net1', mac: '02:00:00:00:00:02', hostForwards: [] },
    ],
  };

  it('the clone starts as its template did, without NICs, and gets them hot plugged in order after it is made unique', async () => {
    const t = setup(() => Promise.resolve());
    const hash = await plant(t.templates, t.config);
    const driver = new NicMockHypervisor();
    const f = new VmFactory({ config: { enable_template: true, vm_cache_number: 0 }, templates: t.templates, snapshot: mockSnapshot(() => Promise.resolve()) });
    const got = await f.getVM({ config: { ...t.config, network }, paths: t.paths, driver, agent: t.agent });
    expect(got.origin).toMatchObject({ source: 'template', templateHash: hash });
    expect(driver.started).toHaveLength(1);
    expect(driver.started[0]?.network).toBeUndefined();
    expect(driver.plugged).toEqual(['net0 tap 02:00:00:00:00:01', 'net1 user 02:00:00:00:00:02']);
    expect(t.agentCalls).toEqual(['reseed 512', 'clock', 'machine-id 32']);
    expect((await f.expectedSource({ ...t.config, network })).reason).toMatch(/then 2 NIC\(s\) hot plugged/);
    await driver.stopVM(got.vm, { force: true });
  });

  it('a NIC that cannot be hot plugged, or a driver without NIC hot plug: a direct boot with the NICs at boot, and the reason', async () => {
    const t = setup(() => Promise.resolve());
    await plant(t.templates, t.config);
    const f = new VmFactory({ config: { enable_template: true, vm_cache_number: 0 }, templates: t.templates, snapshot: mockSnapshot(() => Promise.reject(new Error('MOCK: not expected'))) });
    const driver = new NicMockHypervisor();
    const vhost: VmNetworkConfig = { nics: [{ kind: 'vhost-user', id: 'net0', mac: '02:00:00:00:00:03', socketPath: '/tmp/x.sock' }] };
    const a = await f.getVM({ config: { ...t.config, network: vhost }, paths: t.paths, driver, agent: t.agent });
    expect(a.origin.source).toBe('direct');
    expect(a.origin.fallbackReason).toMatch(/NIC net0 is vhost-user, which is not hot plugged/);
    expect(driver.started[0]?.network).toEqual(vhost);
    expect(driver.plugged).toEqual([]);
    await driver.stopVM(a.vm, { force: true });
    const b = await f.getVM({ config: { ...t.config, network }, paths: vmPathsIn(path.join(t.dir, 'run2')), driver: t.driver, agent: t.agent });
    expect(b.origin.fallbackReason).toMatch(/this driver cannot hot plug them/);
    await t.driver.stopVM(b.vm, { force: true });
  });

  it('a failed hot plug stops the clone and boots directly with the reason', async () => {
    const t = setup(() => Promise.resolve());
    await plant(t.templates, t.config);
    const driver = new NicMockHypervisor();
    driver.hotplugNic = () => Promise.reject(new Error('MOCK: no free root port'));
    const f = new VmFactory({ config: { enable_template: true, vm_cache_number: 0 }, templates: t.templates, snapshot: mockSnapshot(() => Promise.resolve()) });
    const got = await f.getVM({ config: { ...t.config, network }, paths: t.paths, driver, agent: t.agent });
    expect(got.origin.source).toBe('direct');
    expect(got.origin.fallbackReason).toMatch(/template path failed: MOCK: no free root port/);
    expect(driver.started.map((c) => c.network === undefined)).toEqual([true, false]);
    expect(driver.isAlive(got.vm)).toBe(true);
    await driver.stopVM(got.vm, { force: true });
  });
});

describe('VmFactory: a request bigger than its template (MOCK hypervisor)', () => {
  it('growableBase: the default base size with the request\'s room, only when the request can grow to its size from it', () => {
    const c = { sandboxId: 's', hypervisorPath: hvPath, machineType: 'q35' as const, vcpus: 2, memoryMiB: 768, kernelPath: '/k', kernelParams: [], accel: 'tcg' as const };
    expect(growableBase({ ...c, maxVcpus: 4, maxMemoryMiB: 2048 })).toMatchObject({ vcpus: 1, memoryMiB: 512, maxVcpus: 4, maxMemoryMiB: 2048 });
    expect(growableBase({ ...c, vcpus: 1, memoryMiB: 512, maxVcpus: 4 })).toBeNull(); // already the base
    expect(growableBase({ ...c, maxMemoryMiB: 2048 })).toBeNull(); // no vCPU room
    expect(growableBase({ ...c, memoryMiB: 700, maxVcpus: 4, maxMemoryMiB: 2048 })).toBeNull(); // 188 MiB more: not whole 128 MiB blocks
    expect(growableBase({ ...c, vcpus: 1, memoryMiB: 256, maxMemoryMiB: 1024 })).toBeNull(); // smaller than the base: its own template
  });

  it('no exact template: the base-sized one with the same room is cloned, then grown by hot add until the guest reports the size', async () => {
    const t = setup(() => Promise.resolve());
    const room = { maxVcpus: 2, maxMemoryMiB: 1024 };
    const baseHash = await plant(t.templates, { ...t.config, vcpus: 1, memoryMiB: 512, ...room });
    const driver = new NicMockHypervisor();
    const resized: string[] = [];
    const grown = Object.assign(driver, { resizeVM: (_vm: HypervisorState, to: { vcpus: number; memoryMiB: number }) => { resized.push(`${to.vcpus}/${to.memoryMiB}`); return Promise.resolve({ addedVcpus: 1, addedMemoryMiB: 256 }); } });
    let cpus = 1;
    const onlined: number[] = [];
    const agent: AgentAccess = async (_vm, fn) => fn({
      reseedRandomDev: () => Promise.resolve(), setGuestDateTime: () => Promise.resolve(), setGuestIdentity: () => Promise.resolve(),
      getGuestDetails: () => Promise.resolve({ cpus, memoryKiB: cpus === 1 ? 500 * 1024 : 750 * 1024 }),
      onlineCpuMem: (n: number) => { onlined.push(n); cpus = 2; return Promise.resolve(); },
    } as never);
    const f = new VmFactory({ config: { enable_template: true, vm_cache_number: 0 }, templates: t.templates, snapshot: mockSnapshot(() => Promise.resolve()), rebuildInBackground: false });
    const got = await f.getVM({ config: { ...t.config, vcpus: 2, memoryMiB: 768, ...room }, paths: t.paths, driver: grown, agent });
    expect(got.origin).toMatchObject({ source: 'template', templateHash: baseHash });
    expect(driver.started[0]).toMatchObject({ vcpus: 1, memoryMiB: 512, ...room });
    expect(resized).toEqual(['2/768']);
    expect(onlined).toEqual([1]);
    await driver.stopVM(got.vm, { force: true });
  });

  it('neither template: a direct boot at the asked size, and the base-sized template is the one named and built', async () => {
    const t = setup(() => Promise.resolve());
    const f = new VmFactory({ config: { enable_template: true, vm_cache_number: 0 }, templates: t.templates, snapshot: mockSnapshot(() => Promise.resolve()), rebuildInBackground: false });
    const got = await f.getVM({ config: { ...t.config, vcpus: 2, memoryMiB: 768, maxVcpus: 2, maxMemoryMiB: 1024 }, paths: t.paths, driver: t.driver, agent: t.agent });
    expect(got.origin.source).toBe('direct');
    expect(got.origin.fallbackReason).toMatch(/no template of 1 vCPU \/ 512 MiB with this hot-add room to grow to 2 vCPU \/ 768 MiB/);
    await t.driver.stopVM(got.vm, { force: true });
  });
});

describe('VmFactory: what the create dialog is told (MOCK hypervisor)', () => {
  it('the warm pool when it has a VM of this configuration ready, else the template, else a cold boot; estimates are the median of the last boots', async () => {
    const t = setup(() => Promise.resolve());
    const hash = await plant(t.templates, t.config);
    let ready = false;
    const cache = { take: () => Promise.resolve({ miss: 'MOCK' }), hasReady: (h: string) => ready && h === hash };
    const f = new VmFactory({ config: { enable_template: true, vm_cache_number: 1 }, templates: t.templates, snapshot: mockSnapshot(() => Promise.resolve()), cache });
    expect(await f.expectedSource(t.config)).toMatchObject({ source: 'template', expectedMs: 2_000 });
    for (const ms of [900, 300, 500]) await f.stats.record('template', undefined, ms);
    expect((await f.expectedSource(t.config)).expectedMs).toBe(500);
    ready = true;
    expect(await f.expectedSource(t.config)).toMatchObject({ source: 'cache', reason: expect.stringMatching(/paused VM/) });
    expect((await f.expectedSource({ ...t.config, kernelParams: ['other'] })).source).toBe('direct');
  });
});
