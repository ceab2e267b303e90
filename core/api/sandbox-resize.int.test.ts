// vCPU and memory hot add on real QEMU under TCG: a sandbox created with
// room to grow (maxcpus, DIMM slots) gets a vCPU and 512 MiB hot added over
// QMP, the guest agent onlines them (OnlineCPUMem), a container sees two
// CPUs and more MemTotal, and allocates more memory than the VM booted with.
// Shrinking and growing past the room are refused. One VM.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContainerService, SandboxService } from './index.js';
import { SandboxStore } from '../store/index.js';
import { resolveAccel } from '../host/index.js';
import { vmSkipReason } from '../cli/test-helpers.js';
import { resizeSandbox } from './sandbox-resize.js';

const skip = vmSkipReason();
if (skip) console.warn(`skipping vCPU/memory hot add tests: ${skip}`);

describe.skipIf(skip !== null)('vCPU and memory hot add on real QEMU', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'vrs-'));
  const env = { ...process.env, VESSEL_ROOT: root };
  const store = new SandboxStore(root);
  const sandboxes = new SandboxService({
    store, env,
    resolveAccel: (requested, kernelPath, qemuPath) => resolveAccel(requested, { kernelPath, qemuPath, cacheDir: root, env }),
  });
  const containers = new ContainerService(sandboxes, env);

  afterAll(async () => {
    for (const s of await sandboxes.listSandbox()) await sandboxes.deleteSandbox(s.id, { force: true }).catch(() => undefined);
    sandboxes.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('hot-added vCPUs and memory are online in the guest and usable by a container; shrinking or going past the room is refused', async () => {
    const s = await sandboxes.runSandbox({ name: 'grow', vcpus: 1, memoryMiB: 512, maxVcpus: 2, maxMemoryMiB: 1024 });
    const c = await containers.runContainer(s.id, { args: ['sleep', '600'] });
    const probe = async (): Promise<{ cpus: number; memKiB: number }> => {
      const r = await containers.execSync(s.id, c.id, ['sh', '-c', 'nproc; grep MemTotal /proc/meminfo'], { timeoutMs: 60_000 });
      expect(r.exitCode).toBe(0);
      const [cpus, mem] = r.stdout.trim().split('\n');
      return { cpus: Number(cpus), memKiB: Number(/(\d+)/.exec(mem ?? '')?.[1]) };
    };
    const before = await probe();
    expect(before.cpus).toBe(1);

    const r = await resizeSandbox(sandboxes, store, s.id, { vcpus: 2, memoryMiB: 1024 });
    expect(r).toMatchObject({ vcpus: 2, memoryMiB: 1024, addedVcpus: 1, addedMemoryMiB: 512, guestCpus: 2 });
    const after = await probe();
    expect(after.cpus).toBe(2);
    expect(after.memKiB - before.memKiB).toBeGreaterThan(480 * 1024);
    // 600 MiB touched (awk pads a string that long): more than the 512 MiB the VM booted with.
    const alloc = await containers.execSync(s.id, c.id, ['awk', 'BEGIN { s = sprintf("%629145600s", ""); print length(s) }'], { timeoutMs: 300_000 });
    expect(alloc.exitCode, alloc.stderr).toBe(0);
    expect(alloc.stdout.trim()).toBe('629145600');
    expect((await sandboxes.readSandbox(s.id)).config.hypervisorConfig).toMatchObject({ vcpus: 2, memoryMiB: 1024 });

    await expect(resizeSandbox(sandboxes, store, s.id, { vcpus: 1 })).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
    await expect(resizeSandbox(sandboxes, store, s.id, { vcpus: 3 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(/--max-vcpus 3/) });
    await expect(resizeSandbox(sandboxes, store, s.id, { memoryMiB: 2048 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  }, 600_000);
});
