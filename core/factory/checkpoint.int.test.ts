// Checkpoint and restore of a whole sandbox on real QEMU under TCG, with the
// real agent and crun: one sandbox (block rootfs: no 9p share mounted) runs
// a container whose counter keeps counting across a checkpoint → restore
// (the same sandbox) and into a fork (new ID, unique); a corrupted
// checkpoint and one of another QEMU build are refused without touching
// anything; a 9p share mounted on demand makes QEMU refuse, said in words,
// and the sandbox runs on. One VM for the file (the fork is a second one).
// As root with the CNI plugins, a template clone whose bridge NIC was hot
// plugged after the restore is checkpointed and restored into itself with
// its NIC back on the same root port, serving as before.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../api/index.js';
import { ensureBusyboxRootfs } from '../api/container-spec.js';
import { makeRoot, vmSkipReason } from '../cli/test-helpers.js';
import { buildTwoLayerImage } from '../image/test-images.js';
import { registryToolsMissing, skopeoPush, startRegistry, type TestRegistry } from '../image/test-registry.js';
import { transportUnavailable } from '../image/rootfs-transport.js';
import { CHECKPOINT_MANIFEST, CHECKPOINT_STATE } from './checkpoint.js';
import { resolveRunDir, writeFactoryConfig } from './config.js';
import { sandboxVmConfig } from './defaults.js';
import { createFactory } from './index.js';
import { pageOf } from '../network/test-net.js';

const skip = vmSkipReason() ?? registryToolsMissing() ?? transportUnavailable('block');
if (skip) console.warn(`skipping checkpoint tests: ${skip}`);
const netSkip = process.getuid?.() !== 0 ? 'needs root (network namespaces, bridges)' : existsSync('/usr/lib/cni/bridge') ? null : 'no CNI plugins in /usr/lib/cni (Debian containernetworking-plugins)';
if (netSkip && !skip) console.warn(`skipping the checkpoint of a template clone with a NIC: ${netSkip}`);

const COUNTER = ['sh', '-c', 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done'];

describe.skipIf(skip !== null)('checkpoint and restore on real QEMU', () => {
  let reg: TestRegistry;
  let work: string;
  let ref: string;
  let rt: Runtime;
  const root = makeRoot('vessel-ckpt-');
  const dirs = mkdtempSync(path.join(os.tmpdir(), 'vessel-ckpt-dirs-'));
  let sandboxId = '';
  let containerId = '';

  const count = async (id: string): Promise<number> => {
    const r = await rt.containers.execSync(id, containerId, ['cat', '/tmp/count'], { timeoutMs: 60_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    return Number(r.stdout.trim());
  };
  const countsOn = async (id: string, from: number): Promise<number> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const n = await count(id);
      if (n > from) return n;
      if (Date.now() > deadline) throw new Error(`counter stuck at ${n}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  beforeAll(async () => {
    reg = await startRegistry();
    work = mkdtempSync(path.join(os.tmpdir(), 'vessel-ckpt-img-'));
    const b = buildTwoLayerImage(work, ensureBusyboxRootfs());
    ref = `${reg.host}/test/two:latest`;
    await skopeoPush(b.layout, 'two', ref);
    rt = createRuntime({ ...process.env, VESSEL_ROOT: root });
    await rt.images.pull(ref, { insecure: true });
    const s = await rt.sandboxes.runSandbox({ name: 'ckpt', vcpus: 1, memoryMiB: 384, network: 'none', rootfsTransport: 'block' });
    sandboxId = s.id;
    containerId = (await rt.containers.runContainer(s.id, { name: 'counter', image: ref, args: COUNTER })).id;
  }, 300_000);

  afterAll(async () => {
    for (const s of await rt?.sandboxes.listSandbox().catch(() => []) ?? []) await rt.sandboxes.deleteSandbox(s.id, { force: true }).catch(() => undefined);
    rt?.close();
    await reg?.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(resolveRunDir(root, { ...process.env, VESSEL_ROOT: root }), { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
    rmSync(dirs, { recursive: true, force: true });
  });

  it('checkpoint stops the sandbox; restore brings the same sandbox back and its container counts on from where it was', async () => {
    const before = await countsOn(sandboxId, 25); // 5 s of counting: a restarted counter would be far below
    const dir = path.join(dirs, 'one');
    const phases: string[] = [];
    const r = await rt.sandboxes.checkpointSandbox(sandboxId, { to: dir }, (_p, m) => phases.push(m));
    expect(r.leftRunning).toBe(false);
    expect(phases.some((m) => /saving memory and device state/.test(m))).toBe(true);
    expect(readFileSync(path.join(dir, CHECKPOINT_STATE)).subarray(0, 4).toString('latin1')).toBe('QEVM');
    const manifest = JSON.parse(readFileSync(path.join(dir, CHECKPOINT_MANIFEST), 'utf8')) as { qemuVersion: string; vm: { devices: { kind: string; bus: string }[] }; sandbox: { containers: unknown[] } };
    expect(manifest.qemuVersion).toMatch(/^\d+\.\d+/);
    expect(manifest.vm.devices.filter((d) => d.kind === 'block')).toHaveLength(1); // the container's EROFS root, on its port
    expect(manifest.sandbox.containers).toHaveLength(1);
    const stopped = await rt.sandboxes.statusSandbox(sandboxId);
    expect(stopped.state).toBe('stopped');
    expect(stopped.stopReason).toContain(dir);

    const back = await rt.sandboxes.restoreSandbox(dir);
    expect(back.id).toBe(sandboxId);
    expect(back.state).toBe('running');
    expect(back.vmOrigin?.source).toBe('checkpoint');
    const c = await rt.containers.statusContainer(sandboxId, containerId);
    expect(c.state).toBe('running');
    const after = await count(sandboxId);
    // The same process: it went on from the saved value (a restarted one would start again from 1).
    expect(after).toBeGreaterThanOrEqual(before);
    await countsOn(sandboxId, after);
  }, 400_000);

  it('checkpoint --leave-running, then restore while the original runs: a fork with its own ID, name, machine-id and RNG; both count on', async () => {
    const dir = path.join(dirs, 'two');
    const original = await rt.containers.execSync(sandboxId, containerId, ['sh', '-c', 'cat /etc/machine-id 2>/dev/null; hostname'], { timeoutMs: 60_000 });
    const r = await rt.sandboxes.checkpointSandbox(sandboxId, { to: dir, leaveRunning: true });
    expect(r.leftRunning).toBe(true);
    expect((await rt.sandboxes.statusSandbox(sandboxId)).state).toBe('running');
    const atCheckpoint = await count(sandboxId);
    const fork = await rt.sandboxes.restoreSandbox(dir);
    try {
      expect(fork.id).not.toBe(sandboxId);
      expect(fork.name).toMatch(/^ckpt-fork-/);
      expect(fork.vmOrigin?.source).toBe('checkpoint');
      await countsOn(fork.id, Math.max(0, atCheckpoint - 10));
      await countsOn(sandboxId, atCheckpoint);
      const ident = async (id: string) => {
        const { state } = await rt.sandboxes.readSandbox(id);
        if (!state.hypervisorState) throw new Error('no VM');
        return rt.sandboxes.withAgent(id, state.hypervisorState, (a) => a.getGuestIdentity());
      };
      const [a, b] = await Promise.all([ident(sandboxId), ident(fork.id)]);
      expect(b.hostname).toBe(fork.name);
      expect(a.hostname).toBe('ckpt');
      expect(b.machineId).not.toBe(a.machineId);
      expect(b.urandomSample.equals(a.urandomSample)).toBe(false);
      expect(original.exitCode).toBe(0);
    } finally {
      await rt.sandboxes.deleteSandbox(fork.id, { force: true });
    }
  }, 400_000);

  it('bad input: a corrupted checkpoint and one of another QEMU build are refused with the reason, and no sandbox is made', async () => {
    const good = path.join(dirs, 'two');
    const before = (await rt.sandboxes.listSandbox()).map((s) => s.id).sort();
    const corrupt = path.join(dirs, 'corrupt');
    cpSync(good, corrupt, { recursive: true });
    const state = readFileSync(path.join(corrupt, CHECKPOINT_STATE));
    state.fill(0x5a, 4096, 8192);
    writeFileSync(path.join(corrupt, CHECKPOINT_STATE), state);
    await expect(rt.sandboxes.restoreSandbox(corrupt)).rejects.toMatchObject({ code: 'E_CORRUPT_STATE', message: expect.stringMatching(/sha256/) });
    const other = path.join(dirs, 'other-qemu');
    cpSync(good, other, { recursive: true });
    const m = JSON.parse(readFileSync(path.join(other, CHECKPOINT_MANIFEST), 'utf8')) as { qemuVersion: string };
    writeFileSync(path.join(other, CHECKPOINT_MANIFEST), JSON.stringify({ ...m, qemuVersion: '6.0.0 (not this one)' }));
    await expect(rt.sandboxes.restoreSandbox(other)).rejects.toMatchObject({ code: 'E_UNSUPPORTED', message: expect.stringMatching(/saved by QEMU 6\.0\.0.*this host runs QEMU/) });
    await expect(rt.sandboxes.restoreSandbox(path.join(dirs, 'missing'))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    expect((await rt.sandboxes.listSandbox()).map((s) => s.id).sort()).toEqual(before);
  }, 120_000);

  it('a 9p share mounted on demand (a container from a directory) makes QEMU refuse: said in words, the sandbox runs on, no file left', async () => {
    await rt.containers.runContainer(sandboxId, { name: 'from-dir', args: ['sleep', '600'] });
    const dir = path.join(dirs, 'refused');
    await expect(rt.sandboxes.checkpointSandbox(sandboxId, { to: dir })).rejects.toMatchObject({ code: 'E_UNSUPPORTED', message: expect.stringMatching(/9p.*--rootfs-transport block/) });
    expect(existsSync(dir)).toBe(false);
    expect((await rt.sandboxes.statusSandbox(sandboxId)).state).toBe('running');
    await countsOn(sandboxId, await count(sandboxId));
  }, 300_000);

  it.skipIf(netSkip !== null)('a template clone with its bridge NIC hot plugged: checkpoint, restore into itself, the NIC back on its root port and serving', async () => {
    const env = { ...process.env, VESSEL_ROOT: root };
    const lab = `ck${process.pid % 100000}`;
    await rt.network.networks.create({ name: lab });
    const request = { name: 'ckpt-net', vcpus: 1, memoryMiB: 384, rootfsTransport: 'block' as const };
    await writeFactoryConfig(root, { enable_template: true, vm_cache_number: 0 });
    let id = '';
    try {
      const parts = createFactory(root, env);
      await parts.templates.build(await parts.templates.specFor(await sandboxVmConfig(root, request, env)));
      const s = await rt.sandboxes.runSandbox({ ...request, network: lab });
      id = s.id;
      expect(s.vmOrigin?.source, s.vmOrigin?.fallbackReason).toBe('template');
      const ipAddr = s.network?.nics[0]?.ips[0]?.split('/')[0] ?? 'x';
      await rt.containers.runContainer(id, { name: 'web', image: ref, args: ['sh', '-c', 'mkdir -p /www && echo ckpt-page > /www/index.html && exec httpd -f -p 80 -h /www'] });
      // The host reaches the sandbox through the test network's bridge (a namespace this test made).
      const page = (): Promise<string> => pageOf(`http://${ipAddr}/`, 30_000);
      expect(await page()).toBe('ckpt-page\n');
      const dir = path.join(dirs, 'with-nic');
      await rt.sandboxes.checkpointSandbox(id, { to: dir });
      const manifest = JSON.parse(readFileSync(path.join(dir, CHECKPOINT_MANIFEST), 'utf8')) as { vm: { nics: number; nicPorts: Record<string, string> } };
      expect(manifest.vm.nics).toBe(1);
      expect(manifest.vm.nicPorts.net0).toMatch(/^rp\d+$/);
      const back = await rt.sandboxes.restoreSandbox(dir);
      expect(back.id).toBe(id);
      expect(back.vmOrigin?.source).toBe('checkpoint');
      expect(await page()).toBe('ckpt-page\n');
    } finally {
      if (id) await rt.sandboxes.deleteSandbox(id, { force: true }).catch(() => undefined);
      await writeFactoryConfig(root, { enable_template: false, vm_cache_number: 0 });
      await rt.network.networks.remove(lab).catch(() => undefined);
    }
  }, 600_000);
});
