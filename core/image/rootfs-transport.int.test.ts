import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../api/index.js';
import { mountsUnder } from '../api/container-rootfs.js';
import { ensureBusyboxRootfs } from '../api/container-spec.js';
import type { RootfsTransport } from '../contract/index.js';
import { VesselError } from '../contract/index.js';
import { makeRoot, vmSkipReason } from '../cli/test-helpers.js';
import { buildTwoLayerImage } from './test-images.js';
import { registryToolsMissing, skopeoPush, startRegistry, type TestRegistry } from './test-registry.js';
import { transportUnavailable } from './rootfs-transport.js';

/**
 * The three rootfs transports on real QEMU with the real agent and crun: a
 * container made from an image (pushed to a loopback registry and pulled)
 * reads a file of the image's second layer and writes to its root; deleting
 * it and the sandbox leaves no virtiofsd or qemu-storage-daemon process, no
 * mount, no per-container file. One VM per transport (the transport is a
 * property of the VM), the three in sequence, sharing one store and image.
 */

const skip = vmSkipReason() ?? registryToolsMissing();
if (skip) console.warn(`skipping rootfs transport tests: ${skip}`);

/** Processes whose command line names dir (virtiofsd, qemu-storage-daemon, QEMU of a sandbox). */
function processesNaming(dir: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (cmd.includes(dir) && !/\) [ZX] /.test(stat)) out.push(`${pid}: ${cmd.slice(0, 160)}`);
    } catch {
      // gone
    }
  }
  return out;
}

function erofsImages(root: string): string[] {
  const dir = path.join(root, 'images', 'rootfs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((d) => existsSync(path.join(dir, d, 'rootfs.erofs')));
}

describe.skipIf(skip !== null)('rootfs transports on real QEMU: 9p, virtio-fs, block', () => {
  let reg: TestRegistry;
  let work: string;
  let ref: string;
  let rt: Runtime;
  const root = makeRoot('vessel-rfs-');

  beforeAll(async () => {
    reg = await startRegistry();
    work = mkdtempSync(path.join(os.tmpdir(), 'vessel-rfs-img-'));
    const b = buildTwoLayerImage(work, ensureBusyboxRootfs());
    ref = `${reg.host}/test/two:latest`;
    await skopeoPush(b.layout, 'two', ref);
    rt = createRuntime({ ...process.env, VESSEL_ROOT: root });
    await rt.images.pull(ref, { insecure: true });
  }, 180_000);

  afterAll(async () => {
    for (const s of await rt?.sandboxes.listSandbox().catch(() => []) ?? []) await rt.sandboxes.deleteSandbox(s.id, { force: true }).catch(() => undefined);
    rt?.close();
    await reg?.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  for (const transport of ['9p', 'virtio-fs', 'block'] as RootfsTransport[]) {
    const unavailable = transportUnavailable(transport);
    it.skipIf(unavailable !== null)(`${transport}: a container reads its image, writes its root; delete leaves no helper process and no file${unavailable ? ` (skipped: ${unavailable})` : ''}`, async () => {
      const s = await rt.sandboxes.runSandbox({ vcpus: 1, memoryMiB: 384, network: 'none', rootfsTransport: transport });
      const sandboxDir = rt.store.sandboxDir(s.id);
      try {
        const config = (await rt.sandboxes.readSandbox(s.id)).config;
        expect(config.hypervisorConfig.rootfsTransport).toBe(transport);
        if (transport === 'virtio-fs') expect(processesNaming(path.join(sandboxDir, 'virtiofs.sock')).filter((p) => p.includes('virtiofsd')).length).toBe(1);
        const c = await rt.containers.runContainer(s.id, { name: 'c1', image: ref, args: ['sleep', '3600'] });
        expect(c.rootfsMode).toBe(transport === 'block' ? 'block' : 'overlay');
        const r = await rt.containers.execSync(s.id, c.id, ['sh', '-c', 'cat /second/link.txt; echo written-by-c1 > /root-file.txt; cat /root-file.txt; grep -c " / " /proc/mounts >/dev/null; test ! -e /data/gone.txt && echo gone-ok'], { timeoutMs: 120_000 });
        expect(r.stderr).toBe('');
        expect(r.stdout).toBe('hello from layer two\nwritten-by-c1\ngone-ok\n');
        expect(r.exitCode).toBe(0);
        // The guest says which filesystem carries the shared directory / the root.
        const mounts = await rt.containers.execSync(s.id, c.id, ['cat', '/proc/self/mountinfo'], { timeoutMs: 60_000 });
        const rootFs = { '9p': '9p', 'virtio-fs': 'virtiofs', block: 'overlay' }[transport];
        expect(mounts.stdout).toMatch(new RegExp(` / \\S+ - ${rootFs} `));
        await rt.containers.deleteContainer(s.id, c.id, { force: true });
        expect(existsSync(path.join(rt.sandboxes.sharedDir(s.id), c.id))).toBe(false);
        expect(mountsUnder(sandboxDir)).toEqual([]);
        if (transport === 'block') {
          // The image's EROFS stays with the image (shared by its containers); the disk left the VM.
          expect(erofsImages(root).length).toBe(1);
          expect(processesNaming(sandboxDir).filter((p) => p.includes('qemu-storage-daemon'))).toEqual([]);
        }
      } finally {
        await rt.sandboxes.deleteSandbox(s.id, { force: true });
      }
      expect(processesNaming(sandboxDir)).toEqual([]);
      expect(existsSync(sandboxDir)).toBe(false);
      expect(mountsUnder(root)).toEqual([]);
      if (transport === 'block') {
        // image rm takes the image's EROFS with its unpacked tree.
        await rt.images.remove(ref);
        expect(erofsImages(root)).toEqual([]);
      }
    }, 400_000);
  }

  it('bad input: an unknown transport, and virtio-fs where virtiofsd is missing, fail clearly and leave no sandbox', async () => {
    await expect(rt.sandboxes.createSandbox({ rootfsTransport: 'nfs' as RootfsTransport })).rejects.toThrow(/rootfs transport must be 9p, virtio-fs or block/);
    const noVfs = createRuntime({ ...process.env, VESSEL_ROOT: root, VESSEL_VIRTIOFSD: '/nonexistent/virtiofsd' });
    try {
      const err = await noVfs.sandboxes.createSandbox({ rootfsTransport: 'virtio-fs' }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(VesselError);
      expect((err as VesselError).code).toBe('E_MISSING_DEPENDENCY');
      expect((err as VesselError).message).toMatch(/rootfs transport virtio-fs cannot be used on this host: virtiofsd not found at \/nonexistent\/virtiofsd \(apt-get install qemu-system-common\)/);
    } finally {
      noVfs.close();
    }
    expect(await rt.sandboxes.listSandbox()).toEqual([]);
  });
});
