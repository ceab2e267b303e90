// The VM cache on real QEMU under TCG: a cache server (detached, under its
// supervisor) holds one paused VM; a sandbox takes it (moved into the
// sandbox's directory, resumed, made unique, runs a container) and the pool
// refills; the server killed with SIGKILL leaves no orphan QEMU behind and
// the next sandbox boots directly, saying why. Then the cache wraps a
// template: its clones are warmed before they wait, and each is still made
// unique when it is handed out. The warm pool is resized live and shrinks
// under (faked) host memory pressure, growing back after. At most two
// cached VMs at a time.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContainerService, SandboxService } from '../api/index.js';
import { SandboxStore } from '../store/index.js';
import { resolveAccel } from '../host/index.js';
import { isSameProcess, readProcStartTime } from '../util/proc.js';
import { vmSkipReason, waitFor } from '../cli/test-helpers.js';
import { resolveRunDir, writeFactoryConfig } from './config.js';
import { createFactory } from './index.js';
import { startCacheServer, stopCacheServer } from './cache-client.js';
import { liveCacheServer } from './cache-server.js';
import { factoryStatus, setCacheSize } from './status.js';
import { sandboxVmConfig } from './defaults.js';
import type { AgentGuestIdentity } from '../agent/client.js';

const skip = vmSkipReason();
if (skip) console.warn(`skipping VM cache tests: ${skip}`);

describe.skipIf(skip !== null)('VM cache on real QEMU', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'vc9-'));
  const env = { ...process.env, VESSEL_ROOT: root };
  const store = new SandboxStore(root);
  const sandboxes = new SandboxService({
    store, env, factory: createFactory(root, env).factory,
    resolveAccel: (requested, kernelPath, qemuPath) => resolveAccel(requested, { kernelPath, qemuPath, cacheDir: root, env }),
  });
  const containers = new ContainerService(sandboxes, env);
  const readyVms = (): { id: string; pid: number }[] => factoryStatus(root, env).cache.vms.filter((v) => v.state === 'ready');

  afterAll(async () => {
    await stopCacheServer(root).catch(() => undefined);
    for (const s of await sandboxes.listSandbox()) await sandboxes.deleteSandbox(s.id, { force: true }).catch(() => undefined);
    sandboxes.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(resolveRunDir(root, env), { recursive: true, force: true });
  });

  it('hands out a pre-booted VM that runs a container, refills itself, and a SIGKILLed server leaves no QEMU behind', async () => {
    await writeFactoryConfig(root, { enable_template: false, vm_cache_number: 1 });
    const server = await startCacheServer(root, env);
    expect(statSync(server.endpoint).mode & 0o777).toBe(0o600);
    await waitFor(() => readyVms().length === 1, 300_000, 500);
    const status = factoryStatus(root, env);
    expect(status.cache.running).toBe(true);
    expect(status.cache.pid).toBe(server.pid);
    const first = readyVms()[0];
    if (!first) throw new Error('no cached VM');

    // Taken: the sandbox's VM is the cached QEMU, now in the sandbox's own directory.
    const a = await sandboxes.createSandbox({ name: 'from-cache' });
    expect(a.vmOrigin?.source, a.vmOrigin?.fallbackReason).toBe('cache');
    const { state } = await sandboxes.readSandbox(a.id);
    expect(state.hypervisorState?.pid).toBe(first.pid);
    expect(state.hypervisorState?.paths.runDir).toBe(store.sandboxDir(a.id));
    await sandboxes.startSandbox(a.id);
    const c = await containers.runContainer(a.id, { args: ['sleep', '600'] });
    const r = await containers.execSync(a.id, c.id, ['sh', '-c', 'echo from-cached-vm; hostname'], { timeoutMs: 60_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('from-cached-vm');
    expect(r.stdout).toContain('from-cache');

    // Refilled in the background with a new VM.
    await waitFor(() => readyVms().some((v) => v.id !== first.id), 300_000, 500);
    const second = readyVms()[0];
    if (!second) throw new Error('the cache did not refill');
    expect(second.pid).not.toBe(first.pid);
    const secondStart = readProcStartTime(second.pid);
    expect(secondStart).not.toBeNull();

    // SIGKILL: the supervisor kills the VM the server still held; the sandbox's VM is not the cache's any more and lives on.
    process.kill(server.pid, 'SIGKILL');
    await waitFor(() => !isSameProcess(second.pid, secondStart ?? -1), 30_000, 200);
    expect(liveCacheServer(root)).toBeNull();
    const alive = await sandboxes.readSandbox(a.id);
    expect(alive.state.state).toBe('running');

    const b = await sandboxes.createSandbox({ name: 'after-kill' });
    expect(b.vmOrigin?.source).toBe('direct');
    expect(b.vmOrigin?.fallbackReason).toMatch(/no VM cache server is running/);
    await Promise.all([a.id, b.id].map((id) => sandboxes.deleteSandbox(id, { force: true })));
  }, 900_000);

  it('wraps a template: hands out warmed clones, each made unique at hand-out (urandom, machine-id, hostname)', async () => {
    await writeFactoryConfig(root, { enable_template: true, vm_cache_number: 1 });
    const parts = createFactory(root, env);
    parts.templates.ensureDir();
    await parts.templates.build(await parts.templates.specFor(await sandboxVmConfig(root, {}, env)));
    await startCacheServer(root, env);
    try {
      const take = async (name: string): Promise<{ id: string; identity: AgentGuestIdentity }> => {
        await waitFor(() => factoryStatus(root, env).cache.vms.some((v) => v.state === 'ready' && v.source === 'template'), 300_000, 500);
        const s = await sandboxes.createSandbox({ name });
        expect(s.vmOrigin?.source, s.vmOrigin?.fallbackReason).toBe('cache');
        const { state } = await sandboxes.readSandbox(s.id);
        if (!state.hypervisorState) throw new Error('no VM');
        return { id: s.id, identity: await sandboxes.withAgent(s.id, state.hypervisorState, (c) => c.getGuestIdentity()) };
      };
      const a = await take('cached-clone-a');
      const b = await take('cached-clone-b');
      expect(a.identity.urandomSample.equals(b.identity.urandomSample)).toBe(false);
      expect(a.identity.machineId).toMatch(/^[0-9a-f]{32}$/);
      expect(a.identity.machineId).not.toBe(b.identity.machineId);
      expect(a.identity.hostname).toBe('cached-clone-a');
      expect(b.identity.hostname).toBe('cached-clone-b');
      await sandboxes.startSandbox(a.id);
      const c = await containers.runContainer(a.id, { args: ['sleep', '600'] });
      const r = await containers.execSync(a.id, c.id, ['echo', 'from-a-warmed-clone'], { timeoutMs: 60_000 });
      expect(r.stdout).toContain('from-a-warmed-clone');
      await Promise.all([a.id, b.id].map((id) => sandboxes.deleteSandbox(id, { force: true })));
    } finally {
      await stopCacheServer(root).catch(() => undefined);
    }
  }, 900_000);

  it('the warm pool: resized live (the VM it holds stays); a host short of memory shrinks it, each QEMU stopped and the status saying why; comfortable again, it grows back', async () => {
    // TEST SEAM: the cache server reads this fake /proc/meminfo (this machine cannot be put under memory pressure by a test).
    const meminfo = path.join(root, 'meminfo');
    const available = (kib: number): void => writeFileSync(meminfo, `MemTotal:       24000000 kB\nMemAvailable:   ${kib} kB\n`);
    available(20_000_000);
    const penv = { ...env, VESSEL_MEMINFO_FILE: meminfo, VESSEL_PSI_MEMORY_FILE: path.join(root, 'no-psi'), VESSEL_CACHE_PRESSURE_MS: '500' };
    await writeFactoryConfig(root, { enable_template: true, vm_cache_number: 0 });
    try {
      await setCacheSize(root, 1, penv);
      await waitFor(() => readyVms().length === 1, 300_000, 500);
      const first = readyVms()[0];
      if (!first) throw new Error('no cached VM');
      const firstStart = readProcStartTime(first.pid) ?? -1;
      const server = liveCacheServer(root);
      const grown = await setCacheSize(root, 2, penv);
      expect(grown.vmCacheNumber).toBe(2);
      expect(grown.cache.pid).toBe(server?.pid); // resized, not restarted
      await waitFor(() => readyVms().length === 2, 300_000, 500);
      expect(readyVms().map((v) => v.id)).toContain(first.id);

      available(500_000);
      await waitFor(() => readyVms().length === 0 && factoryStatus(root, env).cache.target === 0, 60_000, 250);
      expect(factoryStatus(root, env).cache.pressure).toMatch(/^shrunk to 0 of 2: host memory is low \(0\.5 GiB of 22\.9 GiB available\)/);
      expect(isSameProcess(first.pid, firstStart)).toBe(false);
      const s = await sandboxes.createSandbox({ name: 'while-short' });
      expect(s.vmOrigin?.source).not.toBe('cache');
      await sandboxes.deleteSandbox(s.id, { force: true });

      available(20_000_000);
      await waitFor(() => readyVms().length === 2 && factoryStatus(root, env).cache.pressure === null, 300_000, 500);
      expect(factoryStatus(root, env).cache.target).toBe(2);
    } finally {
      await setCacheSize(root, 0, penv).catch(() => undefined);
    }
  }, 900_000);
});
