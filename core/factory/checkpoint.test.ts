import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configRefusal } from '../api/sandbox-checkpoint.js';
import type { SandboxConfigRecord } from '../api/records.js';
import { classifyDevice } from '../hypervisor/qemu/checkpoint-devices.js';
import { coldPlugArgs } from '../hypervisor/qemu/root-ports.js';
import { CHECKPOINT_MANIFEST, CHECKPOINT_STATE, configHash, prepareCheckpointDir, readCheckpoint, type CheckpointManifest } from './checkpoint.js';

const config: SandboxConfigRecord = {
  schemaVersion: 1, id: 'a'.repeat(32), name: 'ck', hypervisor: 'qemu', createdAt: '2026-01-01T00:00:00.000Z',
  hypervisorConfig: { hypervisorPath: '/usr/bin/qemu-system-x86_64', machineType: 'q35', vcpus: 1, memoryMiB: 384, kernelPath: '/k', kernelParams: [], accel: 'tcg', rootfsTransport: 'block' },
  agent: { transport: 'virtio-serial' },
};

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A checkpoint directory with a fake (but well-formed) state stream. */
function makeCheckpoint(edit: (m: CheckpointManifest) => unknown = (m) => m): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-ckpt-unit-'));
  dirs.push(dir);
  const state = Buffer.concat([Buffer.from([0x51, 0x45, 0x56, 0x4d, 0, 0, 0, 3]), Buffer.alloc(1000, 7)]);
  writeFileSync(path.join(dir, CHECKPOINT_STATE), state);
  const manifest: CheckpointManifest = {
    format: 'vessel-checkpoint', formatVersion: 1, checkpointId: '0123456789abcdef', createdAt: '2026-01-01T00:00:00.000Z',
    qemuVersion: '7.2.22', configHash: configHash(config),
    sandbox: { config, state: 'running', startedAt: null, guest: null, containers: [] },
    vm: { accel: 'tcg', namedRam: false, devices: [], nics: 0, nicPorts: {} },
    stateFile: CHECKPOINT_STATE, stateBytes: state.length, stateSha256: createHash('sha256').update(state).digest('hex'),
  };
  writeFileSync(path.join(dir, CHECKPOINT_MANIFEST), JSON.stringify(edit(manifest)));
  return dir;
}

describe('checkpoint files: bad input is refused with the reason', () => {
  it('a good checkpoint reads back', async () => {
    const { manifest } = await readCheckpoint(makeCheckpoint(), { qemuVersion: '7.2.22' });
    expect(manifest.checkpointId).toBe('0123456789abcdef');
  });

  it('a manifest from before hot-plugged NICs were recorded reads as having none; a bad root port is refused', async () => {
    const { nicPorts: _none, ...older } = { accel: 'tcg' as const, namedRam: false, devices: [], nics: 1, nicPorts: {} };
    const { manifest } = await readCheckpoint(makeCheckpoint((m) => ({ ...m, vm: older as never })), { qemuVersion: '7.2.22' });
    expect(manifest.vm.nicPorts).toEqual({});
    const bad = makeCheckpoint((m) => ({ ...m, vm: { ...m.vm, nicPorts: { net0: 'pcie.0,addr=3' } } }));
    await expect(readCheckpoint(bad)).rejects.toMatchObject({ code: 'E_CORRUPT_STATE' });
  });

  it('a missing directory, or one without a manifest', async () => {
    await expect(readCheckpoint('/nonexistent/vessel-ckpt')).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringMatching(/does not exist/) });
    const dir = makeCheckpoint();
    rmSync(path.join(dir, CHECKPOINT_MANIFEST));
    await expect(readCheckpoint(dir)).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringMatching(/not a checkpoint, or one that did not finish/) });
  });

  it('a manifest that is not JSON, or not ours', async () => {
    const dir = makeCheckpoint();
    writeFileSync(path.join(dir, CHECKPOINT_MANIFEST), '{"format": "vessel-checkpoint", ');
    await expect(readCheckpoint(dir)).rejects.toMatchObject({ code: 'E_CORRUPT_STATE', message: expect.stringMatching(/not valid JSON/) });
    const other = makeCheckpoint((m) => ({ ...m, format: 'something-else' }));
    await expect(readCheckpoint(other)).rejects.toMatchObject({ code: 'E_CORRUPT_STATE', message: expect.stringMatching(/format/) });
  });

  it('another QEMU build', async () => {
    await expect(readCheckpoint(makeCheckpoint(), { qemuVersion: '8.1.0' })).rejects.toMatchObject({ code: 'E_UNSUPPORTED', message: expect.stringMatching(/saved by QEMU 7\.2\.22 and this host runs QEMU 8\.1\.0/) });
  });

  it('a truncated or altered state file, or a missing one', async () => {
    const dir = makeCheckpoint();
    writeFileSync(path.join(dir, CHECKPOINT_STATE), Buffer.alloc(10));
    await expect(readCheckpoint(dir)).rejects.toMatchObject({ code: 'E_CORRUPT_STATE', message: expect.stringMatching(/truncated/) });
    const altered = makeCheckpoint((m) => ({ ...m, stateSha256: 'f'.repeat(64) }));
    await expect(readCheckpoint(altered)).rejects.toMatchObject({ code: 'E_CORRUPT_STATE', message: expect.stringMatching(/sha256/) });
    const gone = makeCheckpoint();
    rmSync(path.join(gone, CHECKPOINT_STATE));
    await expect(readCheckpoint(gone)).rejects.toMatchObject({ code: 'E_CORRUPT_STATE', message: expect.stringMatching(/missing/) });
  });

  it('a disk of the checkpoint that is gone (its image removed)', async () => {
    const dir = makeCheckpoint((m) => ({ ...m, vm: { ...m.vm, devices: [{ id: 'rootfs-x', kind: 'block', bus: 'rp0', source: { file: '/nonexistent/rootfs.erofs', format: 'raw', hostDevice: false, readOnly: true } }] } }));
    await expect(readCheckpoint(dir)).rejects.toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringMatching(/rootfs-x.*gone/) });
  });

  it('--to: a new or empty directory only; files are never overwritten', () => {
    const dir = makeCheckpoint();
    expect(() => prepareCheckpointDir(dir)).toThrow(/not empty/);
    const fresh = path.join(dir, 'sub', 'new');
    prepareCheckpointDir(fresh);
    expect(readdirSync(fresh)).toEqual([]);
    writeFileSync(path.join(dir, 'file'), 'x');
    expect(() => prepareCheckpointDir(path.join(dir, 'file'))).toThrow(/not a directory/);
    mkdirSync(path.join(dir, 'empty'));
    expect(() => prepareCheckpointDir(path.join(dir, 'empty'))).not.toThrow();
  });
});

describe('what makes a checkpoint impossible', () => {
  it('a 9p or virtio-fs share: use --rootfs-transport block', () => {
    expect(configRefusal({ ...config, hypervisorConfig: { ...config.hypervisorConfig, rootfsTransport: '9p' } })).toMatch(/virtio-9p.*--rootfs-transport block/);
    expect(configRefusal({ ...config, hypervisorConfig: { ...config.hypervisorConfig, rootfsTransport: 'virtio-fs' } })).toMatch(/virtio-fs.*--rootfs-transport block/);
    expect(configRefusal(config)).toBeNull();
  });

  it('a VFIO device or a vhost-user backend is a blocker; a disk and an emulated device are recreated on their port', () => {
    expect(classifyDevice('gpu0', 'vfio-pci', undefined, 'rp1')).toMatchObject({ blocker: expect.stringMatching(/VFIO.*detach/) });
    expect(classifyDevice('d0', 'vhost-user-blk-pci', undefined, 'rp1')).toMatchObject({ blocker: expect.stringMatching(/backend process/) });
    expect(classifyDevice('d1', 'virtio-blk-pci', { file: '/x.erofs', ro: true, drv: 'raw' }, 'rp2')).toEqual({ device: { id: 'd1', kind: 'block', bus: 'rp2', source: { file: '/x.erofs', format: 'raw', hostDevice: false, readOnly: true } } });
    expect(classifyDevice('e0', 'edu', undefined, 'rp0')).toEqual({ device: { id: 'e0', kind: 'pci', bus: 'rp0', model: { kind: 'emulated', model: 'edu' } } });
    expect(classifyDevice('n0', 'virtio-net-pci', undefined, 'rp3')).toEqual({ nic: true });
  });

  it('devices pinned to root ports keep them; the others fill the free ones in order', () => {
    const args = coldPlugArgs(4, [
      { id: 'pinned', kind: 'pci', model: { kind: 'emulated', model: 'edu' }, bus: 'rp0' },
      { id: 'free', kind: 'pci', model: { kind: 'emulated', model: 'edu' } },
    ]).join(' ');
    expect(args).toContain('edu,id=pinned,bus=rp0');
    expect(args).toContain('edu,id=free,bus=rp1');
    expect(() => coldPlugArgs(2, [{ id: 'x', kind: 'pci', model: { kind: 'emulated', model: 'edu' }, bus: 'rp5' }])).toThrow(/not one of the 2 root ports/);
  });
});
