// The VM factory on real QEMU under TCG: a template is built (RAM in a shared
// file, device state saved with x-ignore-shared), two clones run containers
// at once and are unique, a changed kernel parameter makes the template stale
// (direct boot with the reason, rebuilt in the background by a detached
// process), and bad input is refused without touching anything.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerService, SandboxService } from '../api/index.js';
import { SandboxStore } from '../store/index.js';
import { resolveAccel } from '../host/index.js';
import { QemuHypervisor } from '../hypervisor/qemu/qemu.js';
import { QemuSnapshotDriver } from '../hypervisor/qemu/snapshot.js';
import type { AgentGuestIdentity } from '../agent/client.js';
import { vmSkipReason, waitFor } from '../cli/test-helpers.js';
import { sandboxVmConfig } from './defaults.js';
import { STORE_MARKER, templateHash, TemplateStore } from './template.js';
import { VmFactory } from './vm-factory.js';
import { VesselError } from '../contract/index.js';

const skip = vmSkipReason();
if (skip) console.warn(`skipping VM factory tests: ${skip}`);

describe.skipIf(skip !== null)('VM factory on real QEMU (templates)', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'vf9-'));
  const tplDir = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'vf9t-'));
  const env = { ...process.env, VESSEL_ROOT: root };
  const qemu = new QemuHypervisor();
  const snapshot = new QemuSnapshotDriver(qemu);
  const templates = new TemplateStore({ dir: path.join(tplDir, 'templates'), driver: qemu, snapshot, env });
  const factory = new VmFactory({ config: { enable_template: true, vm_cache_number: 0 }, templates, snapshot });
  const store = new SandboxStore(root);
  const sandboxes = new SandboxService({
    store, env, factory,
    resolveAccel: (requested, kernelPath, qemuPath) => resolveAccel(requested, { kernelPath, qemuPath, cacheDir: root, env }),
  });
  const containers = new ContainerService(sandboxes, env);
  let baseHash = '';

  beforeAll(async () => {
    const spec = await templates.specFor(await sandboxVmConfig(root, {}, env));
    baseHash = templateHash(spec);
    await templates.build(spec);
  }, 300_000);

  afterAll(async () => {
    for (const s of await sandboxes.listSandbox()) await sandboxes.deleteSandbox(s.id, { force: true }).catch(() => undefined);
    sandboxes.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(tplDir, { recursive: true, force: true });
  });

  it('a template is a private (0700) directory with its RAM file and a small device state, keyed by its content hash', () => {
    const t = templates.find(baseHash);
    expect(t).not.toBeNull();
    if (!t) return;
    expect(statSync(templates.dir).mode & 0o777).toBe(0o700);
    expect(statSync(t.dir).mode & 0o777).toBe(0o700);
    expect(statSync(t.memoryFile).mode & 0o777).toBe(0o600);
    expect(statSync(t.memoryFile).size).toBe(512 * 1048576);
    // x-ignore-shared: the RAM stayed in the file, the state is only devices.
    expect(t.meta.stateBytes).toBeLessThan(8 * 1048576);
    expect(readFileSync(t.stateFile).subarray(0, 4).toString('latin1')).toBe('QEVM');
  });

  it('two clones of one template run containers at once and differ in urandom, machine-id and hostname', async () => {
    const [a, b] = await Promise.all([sandboxes.createSandbox({ name: 'clone-a' }), sandboxes.createSandbox({ name: 'clone-b' })]);
    expect(a.vmOrigin?.source, a.vmOrigin?.fallbackReason).toBe('template');
    expect(b.vmOrigin?.source, b.vmOrigin?.fallbackReason).toBe('template');
    expect(a.vmOrigin?.templateHash).toBe(baseHash);
    const identity = async (id: string): Promise<AgentGuestIdentity> => {
      const { state } = await sandboxes.readSandbox(id);
      if (!state.hypervisorState) throw new Error('no VM');
      return sandboxes.withAgent(id, state.hypervisorState, (c) => c.getGuestIdentity());
    };
    const [ia, ib] = await Promise.all([identity(a.id), identity(b.id)]);
    expect(ia.urandomSample.equals(ib.urandomSample)).toBe(false);
    expect(ia.machineId).toMatch(/^[0-9a-f]{32}$/);
    expect(ia.machineId).not.toBe(ib.machineId);
    expect(ia.hostname).toBe('clone-a');
    expect(ib.hostname).toBe('clone-b');
    await Promise.all([sandboxes.startSandbox(a.id), sandboxes.startSandbox(b.id)]);
    const run = async (id: string, word: string): Promise<string> => {
      const c = await containers.runContainer(id, { args: ['sleep', '600'] });
      const r = await containers.execSync(id, c.id, ['sh', '-c', `echo ${word}; head -c 8 /dev/urandom | od -An -tx1`], { timeoutMs: 60_000 });
      expect(r.exitCode).toBe(0);
      return r.stdout;
    };
    const [oa, ob] = await Promise.all([run(a.id, 'from-a'), run(b.id, 'from-b')]);
    expect(oa).toContain('from-a');
    expect(ob).toContain('from-b');
    expect(oa.split('\n')[1]).not.toBe(ob.split('\n')[1]);
    expect(templates.find(baseHash)?.meta.hits).toBeGreaterThanOrEqual(2);
    await Promise.all([a.id, b.id].map((id) => sandboxes.deleteSandbox(id, { force: true })));
  }, 400_000);

  it('a changed kernel parameter: direct boot that says why, the template is rebuilt in the background and used next time', async () => {
    const s = await sandboxes.createSandbox({ name: 'stale-1', kernelParams: ['vessel.factory_test=1'] });
    expect(s.vmOrigin?.source).toBe('direct');
    expect(s.vmOrigin?.fallbackReason).toMatch(/stale.*kernel parameters changed \(\+vessel\.factory_test=1\).*rebuilding it in the background/);
    await sandboxes.deleteSandbox(s.id, { force: true });
    const spec = await templates.specFor(await sandboxVmConfig(root, { kernelParams: ['vessel.factory_test=1'] }, env));
    const hash = templateHash(spec);
    await waitFor(() => templates.find(hash) !== null, 300_000, 500);
    expect(templates.list().templates.map((t) => t.meta.hash).sort()).toEqual([baseHash, hash].sort());
    const again = await sandboxes.createSandbox({ name: 'stale-2', kernelParams: ['vessel.factory_test=1'] });
    expect(again.vmOrigin?.source, again.vmOrigin?.fallbackReason).toBe('template');
    expect(again.vmOrigin?.templateHash).toBe(hash);
    await sandboxes.deleteSandbox(again.id, { force: true });
  }, 700_000);

  it('a template directory that is not ours is refused, and nothing in it is touched', async () => {
    const foreign = path.join(tplDir, 'not-ours');
    mkdirSync(foreign, { mode: 0o700 });
    writeFileSync(path.join(foreign, 'precious.txt'), 'keep me');
    const other = new TemplateStore({ dir: foreign, driver: qemu, snapshot, env });
    const spec = await templates.specFor(await sandboxVmConfig(root, {}, env));
    await expect(other.build(spec)).rejects.toMatchObject({ code: 'E_PERMISSION', message: expect.stringMatching(/not a Vessel template directory/) });
    expect(() => other.destroy()).toThrow(VesselError);
    expect(readdirSync(foreign)).toEqual(['precious.txt']);
    expect(existsSync(path.join(foreign, STORE_MARKER))).toBe(false);
  });

  it('a corrupted template state makes the clone fall back to a direct boot with the reason, and leaves no QEMU behind', async () => {
    const t = templates.find(baseHash);
    if (!t) throw new Error('template missing');
    const good = readFileSync(t.stateFile);
    const bad = Buffer.from(good);
    bad.fill(0x5a, 64, 4096); // header intact, device sections garbage
    writeFileSync(t.stateFile, bad);
    try {
      const s = await sandboxes.createSandbox({ name: 'corrupt' });
      expect(s.vmOrigin?.source).toBe('direct');
      expect(s.vmOrigin?.fallbackReason).toMatch(/template path failed/);
      await sandboxes.deleteSandbox(s.id, { force: true });
    } finally {
      writeFileSync(t.stateFile, good);
    }
  }, 400_000);

  it('a request bigger than the template with hot-add room: the base-sized template with that room is built, then cloned and grown by CPU and memory hot add', async () => {
    const big = { vcpus: 2, memoryMiB: 768, maxVcpus: 2, maxMemoryMiB: 1024 };
    const first = await sandboxes.createSandbox({ name: 'grow-1', ...big });
    expect(first.vmOrigin?.source).toBe('direct');
    expect(first.vmOrigin?.fallbackReason).toMatch(/no template of 1 vCPU \/ 512 MiB with this hot-add room to grow to 2 vCPU \/ 768 MiB; building it in the background/);
    await sandboxes.deleteSandbox(first.id, { force: true });
    const hash = templateHash(await templates.specFor(await sandboxVmConfig(root, { ...big, vcpus: 1, memoryMiB: 512 }, env)));
    await waitFor(() => templates.find(hash) !== null, 300_000, 500);
    const s = await sandboxes.createSandbox({ name: 'grow-2', ...big });
    expect(s.vmOrigin?.source, s.vmOrigin?.fallbackReason).toBe('template');
    expect(s.vmOrigin?.templateHash).toBe(hash);
    expect(s.guest?.cpus).toBe(2);
    await sandboxes.startSandbox(s.id);
    const c = await containers.runContainer(s.id, { args: ['sleep', '600'] });
    const r = await containers.execSync(s.id, c.id, ['sh', '-c', 'nproc; grep MemTotal /proc/meminfo'], { timeoutMs: 60_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const [nproc, mem] = r.stdout.trim().split('\n');
    expect(nproc).toBe('2');
    // 512 MiB at boot + a 256 MiB DIMM, less what the kernel keeps for itself.
    expect(Number(/(\d+) kB/.exec(mem ?? '')?.[1] ?? 0) / 1024).toBeGreaterThan(680);
    await sandboxes.deleteSandbox(s.id, { force: true });
  }, 700_000);
});
