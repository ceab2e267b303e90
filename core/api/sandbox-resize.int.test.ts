// vCPU and memory hot add on real QEMU under TCG: a sandbox created with
// room to grow (maxcpus, DIMM slots) gets a vCPU and 256 MiB hot added over
// QMP, the guest agent onlines them (OnlineCPUMem), a container sees two CPUs
// and the larger MemTotal and can allocate into it. Shrinking and growing past
// the room are refused. One VM.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContainerService, SandboxService } from './index.js';
import { SandboxStore } from '../store/index.js';
import { resolveAccel } from '../host/index.js';
import { vmSkipReason } from '../cli/test-helpers.js';
import { resizeSandbox } from './sandbox-resize.js';

const skip = vmSkipReason();
if (skip) console.warn(`skipping vCPU and memory hot add tests: ${skip}`);

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
    if (process.env.VESSEL_KEEP_LOGS) cpSync(path.join(root, 'sandboxes'), process.env.VESSEL_KEEP_LOGS, { recursive: true, filter: (src) => !src.includes('/shared') });
    rmSync(root, { recursive: true, force: true });
  });

  it('a hot-added vCPU is online in the guest and seen by a container; shrinking or going past the room is refused', async () => {
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

    const r = await resizeSandbox(sandboxes, store, s.id, { vcpus: 2 });
    expect(r).toMatchObject({ vcpus: 2, memoryMiB: 512, addedVcpus: 1, addedMemoryMiB: 0, guestCpus: 2 });
    const after = await probe();
    expect(after.cpus).toBe(2);
    expect((await sandboxes.readSandbox(s.id)).config.hypervisorConfig).toMatchObject({ vcpus: 2, memoryMiB: 512 });

    await expect(resizeSandbox(sandboxes, store, s.id, { vcpus: 1 })).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
    await expect(resizeSandbox(sandboxes, store, s.id, { vcpus: 3 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(/--max-vcpus 3/) });
    await expect(resizeSandbox(sandboxes, store, s.id, { memoryMiB: 2048 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(resizeSandbox(sandboxes, store, s.id, { memoryMiB: 700 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(/steps of 128 MiB/) });

    // Memory: 256 MiB more, onlined in the guest, usable by a container.
    const m = await resizeSandbox(sandboxes, store, s.id, { memoryMiB: 768 });
    expect(m).toMatchObject({ vcpus: 2, memoryMiB: 768, addedVcpus: 0, addedMemoryMiB: 256 });
    const grown = await probe();
    expect(grown.memKiB).toBeGreaterThan(after.memKiB + 240 * 1024);
    expect((await sandboxes.readSandbox(s.id)).config.hypervisorConfig).toMatchObject({ vcpus: 2, memoryMiB: 768 });
    // More than the boot RAM had free (about 400 MiB): dd's one 560 MiB buffer, filled from /dev/zero, is all resident at once.
    const fill = await containers.execSync(s.id, c.id, ['sh', '-c', 'dd if=/dev/zero of=/dev/null bs=560M count=1 2>&1'], { timeoutMs: 120_000 });
    expect(fill.exitCode, fill.stdout + fill.stderr).toBe(0);
    expect(fill.stdout + fill.stderr).toMatch(/1\+0 records out/);
  }, 600_000);
});
