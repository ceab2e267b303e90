// Devices in a real VM (QEMU under TCG, the real guest agent, crun). The host
// side is SIMULATED (this machine has no IOMMU and no VFIO device): a fixture
// sysfs tree with the sysfs simulator, and the simulation switch makes each
// fixture device hot plug as QEMU's emulated edu / pci-testdev on the same
// root port. Everything else is real: root ports, device_add/device_del with
// DEVICE_DELETED, qom-get PCI paths, the guest kernel's hotplug, blockdev-add,
// an ext4 image made by mkfs.ext4, qemu-storage-daemon for vhost-user-blk.
// One sandbox is shared by the tests of this file (two boots: hot, then cold).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VesselError } from '../contract/index.js';
import { createRuntime, type Runtime } from '../api/index.js';
import { guestImageDir } from '../agent/index.js';
import { buildSysfsFixture, type SysfsFixture } from './testing/fixture-sysfs.js';

function skipReason(): string | null {
  if (spawnSync('qemu-system-x86_64', ['--version']).status !== 0) return 'qemu-system-x86_64 is not installed (qemu-system-x86)';
  if (spawnSync('mkfs.ext4', ['-V']).status !== 0) return 'mkfs.ext4 is not installed (e2fsprogs)';
  if (spawnSync('qemu-storage-daemon', ['--version']).status !== 0) return 'qemu-storage-daemon is not installed (qemu-system-common)';
  if (!existsSync(path.join(guestImageDir(), 'manifest.json'))) return `no guest image in ${guestImageDir()} (npm run build && npm run build:guest)`;
  return null;
}
const reason = skipReason();
if (reason) console.log(`[devices.int] skipped: ${reason}`);

function driverOf(fx: SysfsFixture, address: string): string | null {
  try {
    return path.basename(readlinkSync(path.join(fx.sysfsRoot, 'bus/pci/devices', address, 'driver')));
  } catch {
    return null;
  }
}

describe.skipIf(reason !== null)('devices in a real VM (SIMULATED host devices as emulated edu/pci-testdev)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-dev-int-'));
  let fx: SysfsFixture;
  let rt: Runtime;
  let sandboxId = '';
  const image = path.join(dir, 'disk.img');

  beforeAll(async () => {
    mkdirSync(path.join(dir, 'fixture'));
    fx = buildSysfsFixture(path.join(dir, 'fixture'));
    // An ext4 image with a file in it, made by the real mkfs.ext4 (-d copies a directory in).
    const content = path.join(dir, 'content');
    mkdirSync(content);
    writeFileSync(path.join(content, 'hello.txt'), 'hello from a hot-plugged disk\n');
    const mk = spawnSync('mkfs.ext4', ['-q', '-F', '-d', content, image, '16M']);
    expect(mk.status, mk.stderr.toString()).toBe(0);
    rt = createRuntime({ ...process.env, VESSEL_ROOT: path.join(dir, 'store'), VESSEL_SYSFS_ROOT: fx.sysfsRoot, VESSEL_MOUNTS_FILE: fx.mountsFile, VESSEL_DEVICE_SIMULATION: '1' });
    const s = await rt.sandboxes.runSandbox({ name: `devint-${process.pid}`, memoryMiB: 512, accel: 'tcg', pcieRootPorts: 4, sharedMemory: true });
    sandboxId = s.id;
    await rt.containers.runContainer(sandboxId, { name: 'c1', args: ['sleep', '3600'] });
  });

  afterAll(async () => {
    if (sandboxId) await rt.sandboxes.deleteSandbox(sandboxId, { force: true }).catch(() => undefined);
    rt?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function guestSees(pciPath: string): Promise<{ address: string; vendorId: string; deviceId: string; driver: string; blockDevice: string }> {
    const { state } = await rt.sandboxes.readSandbox(sandboxId);
    const vm = state.hypervisorState;
    if (!vm) throw new Error('no VM');
    return rt.sandboxes.withAgent(sandboxId, vm, (agent) => agent.findPciDevice(pciPath, 15_000));
  }

  it('hot plugs the GPU group onto root ports, the guest finds it at the QMP-reported PCI path; unplug gives the host driver back', async () => {
    const progress: string[] = [];
    // vfio mode needs a vIOMMU, which this VM was started without: refused before anything is touched.
    await expect(rt.devices.attachPci({ sandboxId, address: '0000:01:00.0', mode: 'vfio' })).rejects.toThrow(/vIOMMU.*--mode guest-kernel/);
    expect(driverOf(fx, '0000:01:00.0')).toBe('nouveau');
    // No mode given: guest-kernel here, and it says why.
    const added = await rt.devices.attachPci({ sandboxId, address: '0000:01:00.0' }, (m) => progress.push(m));
    expect(progress.some((m) => m.startsWith('guest-kernel mode: sandbox'))).toBe(true);
    expect(added.map((d) => [d.source, d.simulatedAs, d.state, d.mode])).toEqual([['0000:01:00.0', 'edu', 'attached', 'guest-kernel'], ['0000:01:00.1', 'pci-testdev', 'attached', 'guest-kernel']]);
    // No guest driver claims QEMU's edu: said as such, and no /dev/vfio for containers.
    expect(added[0]?.guest).toMatchObject({ driver: '', vfioGroup: null });
    expect(rt.sandboxes.containerDeviceNodes(sandboxId)).toEqual([]);
    expect(driverOf(fx, '0000:01:00.0')).toBe('vfio-pci');
    const gpu = added[0];
    expect(gpu?.guestPciPath).toMatch(/^[0-9a-f]{2}\/00$/);
    const seen = await guestSees(gpu?.guestPciPath as string);
    expect([seen.vendorId, seen.deviceId]).toEqual(['1234', '11e8']); // QEMU edu
    const audio = await guestSees(added[1]?.guestPciPath as string);
    expect([audio.vendorId, audio.deviceId]).toEqual(['1b36', '0005']); // pci-testdev
    // The same device seen from inside a container, through sysfs.
    const ls = await rt.containers.execSync(sandboxId, 'c1', ['cat', `/sys/bus/pci/devices/${seen.address}/device`], { timeoutMs: 20_000 });
    expect(ls.stdout.trim()).toBe('0x11e8');
    expect(progress.some((m) => m.includes('drivers_probe'))).toBe(true);

    // In use: refused to nobody else here, but a bridge and the root disk are refused outright.
    await expect(rt.devices.attachPci({ sandboxId, address: '0000:00:1c.0' })).rejects.toThrow(/bridge/);
    await expect(rt.devices.attachPci({ sandboxId, address: '0000:00:17.0' })).rejects.toThrow(/root filesystem/);

    const detached = await rt.devices.detachPci(sandboxId, '0000:01:00.0', {}, (m) => progress.push(m));
    expect(detached).toEqual({ detached: ['0000:01:00.0', '0000:01:00.1'], restored: true });
    await expect(guestSees(gpu?.guestPciPath as string)).rejects.toThrow(/no device at PCI path/);
    expect(driverOf(fx, '0000:01:00.0')).toBe('nouveau');
    expect(driverOf(fx, '0000:01:00.1')).toBe('snd_hda_intel');
    expect(rt.devices.manager.readRecords(sandboxId)).toEqual([]);
  });

  it('hot plugs an ext4 image, a container reads its file, then unplug unmounts first', async () => {
    await expect(rt.devices.attachBlock({ sandboxId, source: path.join(dir, 'missing.img'), container: 'c1', path: '/mnt/data' })).rejects.toThrow(/does not exist/);
    const dev = await rt.devices.attachBlock({ sandboxId, source: image, container: 'c1', path: '/mnt/data', readOnly: true });
    expect(dev.guestPciPath).toMatch(/^[0-9a-f]{2}\/00$/);
    const cat = await rt.containers.execSync(sandboxId, 'c1', ['cat', '/mnt/data/hello.txt'], { timeoutMs: 20_000 });
    expect(cat.stdout).toBe('hello from a hot-plugged disk\n');
    await rt.devices.detachBlock(sandboxId, dev.id);
    const after = await rt.containers.execSync(sandboxId, 'c1', ['ls', '/mnt/data'], { timeoutMs: 20_000 });
    expect(after.stdout.trim()).toBe('');
    await expect(guestSees(dev.guestPciPath as string)).rejects.toThrow(/no device/);
  });

  it('serves an image over vhost-user-blk from qemu-storage-daemon, read by a container; the daemon goes with the device', async () => {
    const dev = await rt.devices.attachBlock({ sandboxId, source: image, container: 'c1', path: '/mnt/vub', readOnly: true, vhostUser: true });
    expect(dev.kind).toBe('vhost-user-blk');
    const cat = await rt.containers.execSync(sandboxId, 'c1', ['cat', '/mnt/vub/hello.txt'], { timeoutMs: 20_000 });
    expect(cat.stdout).toBe('hello from a hot-plugged disk\n');
    const runDir = rt.sandboxes.runDirOf(sandboxId);
    expect(existsSync(path.join(runDir, `${dev.id}.qsd.pid`))).toBe(true);
    await rt.devices.detachBlock(sandboxId, '/mnt/vub');
    expect(existsSync(path.join(runDir, `${dev.id}.qsd.pid`))).toBe(false);
  });

  it('passes a host character device into a container (--device /dev/null:/dev/hostnull)', async () => {
    await rt.containers.runContainer(sandboxId, { name: 'withdev', args: ['sleep', '600'], devices: ['/dev/null:/dev/hostnull'] });
    const ls = await rt.containers.execSync(sandboxId, 'withdev', ['sh', '-c', 'ls -l /dev/hostnull && echo data > /dev/hostnull && echo written'], { timeoutMs: 20_000 });
    expect(ls.stdout).toMatch(/^c.* 1, +3 .*\/dev\/hostnull\nwritten\n$/);
  });

  it('records a cold plug while running; the next boot has the device on a root port, behind a vIOMMU, bound to the guest vfio-pci; a new container opens /dev/vfio/N', async () => {
    const pending = await rt.devices.attachPci({ sandboxId, address: '0000:05:00.0', cold: true });
    expect(pending.map((d) => [d.state, d.mode])).toEqual([['pending', 'vfio']]);
    await rt.sandboxes.stopSandbox(sandboxId, { force: true });
    await rt.sandboxes.startSandbox(sandboxId);
    const { state } = await rt.sandboxes.readSandbox(sandboxId);
    expect(state.hypervisorState?.viommu).toBe(true);
    const [rec] = rt.devices.manager.readRecords(sandboxId);
    expect(rec).toMatchObject({ source: '0000:05:00.0', state: 'attached', rootPort: 'rp0' });
    const seen = await guestSees(rec?.guestPciPath as string);
    expect([seen.vendorId, seen.deviceId, seen.driver]).toEqual(['1b36', '0005', 'vfio-pci']);
    const group = rec?.guest?.vfioGroup;
    expect(group).toEqual(expect.any(Number));
    // Kata's vfio mode: the container gets the VFIO container device and the group, and can open the group.
    await rt.containers.runContainer(sandboxId, { name: 'vf', args: ['sleep', '600'] });
    const ls = await rt.containers.execSync(sandboxId, 'vf', ['sh', '-c', `ls /dev/vfio && exec 3<>/dev/vfio/${String(group)} && echo opened`], { timeoutMs: 20_000 });
    expect(ls.stdout).toBe(`${String(group)}\nvfio\nopened\n`);
    const err = await rt.devices.detachPci(sandboxId, '0000:09:00.0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VesselError);
    await rt.devices.detachPci(sandboxId, '0000:05:00.0');
    expect(driverOf(fx, '0000:05:00.0')).toBeNull(); // it was driverless in the host, and is again
  });
});
