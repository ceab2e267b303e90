import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VesselError } from '../contract/index.js';
import { SandboxStore } from '../store/index.js';
import { DeviceManager, newSandboxDevice } from './manager.js';
import { parsePciIds } from './pci-ids.js';
import { parseResource } from './sysfs-inventory.js';
import { buildSysfsFixture, FIXTURE_DEVICES, type SysfsFixture } from './testing/fixture-sysfs.js';
import { SimulatedCrash, SysfsSimulator } from './testing/sysfs-simulator.js';

// All tests run on a fixture sysfs tree (SIMULATED hardware) with the
// kernel-like SysfsSimulator: this machine has no IOMMU and no VFIO device,
// and the real /sys is never written.

let dir: string;
let fx: SysfsFixture;
let store: SandboxStore;

function manager(writer = new SysfsSimulator(fx.sysfsRoot)): DeviceManager {
  return new DeviceManager({ store, host: { sysfsRoot: fx.sysfsRoot, mountsFile: fx.mountsFile }, simulated: true, writer });
}

function driverOf(address: string): string | null {
  try {
    return path.basename(readlinkSync(path.join(fx.sysfsRoot, 'bus/pci/devices', address, 'driver')));
  } catch {
    return null;
  }
}

function overrideOf(address: string): string {
  return readFileSync(path.join(fx.sysfsRoot, 'bus/pci/devices', address, 'driver_override'), 'utf8').trim();
}

function snapshot(): Record<string, [string | null, string]> {
  return Object.fromEntries(FIXTURE_DEVICES.map((d) => [d.address, [driverOf(d.address), overrideOf(d.address)]]));
}

async function expectError(p: Promise<unknown>, code: string, pattern: RegExp): Promise<VesselError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(VesselError);
  const e = err as VesselError;
  expect(e.code).toBe(code);
  expect(e.message).toMatch(pattern);
  return e;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vessel-dev-test-'));
  fx = buildSysfsFixture(path.join(dir));
  store = new SandboxStore(path.join(dir, 'store'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pci.ids and sysfs parsing', () => {
  it('parses vendors, devices and classes', () => {
    const p = parsePciIds('# c\n10de  NVIDIA Corporation\n\t1b80  GP104 [GeForce GTX 1080]\n\t\t1462 3362  GTX 1080 Gaming X\nC 03  Display controller\n\t00  VGA compatible controller\n\t\t00  VGA controller\n');
    expect(p.vendors.get('10de')).toBe('NVIDIA Corporation');
    expect(p.devices.get('10de:1b80')).toBe('GP104 [GeForce GTX 1080]');
    expect(p.classes.get('0300')).toBe('VGA compatible controller');
    expect(p.classes.get('030000')).toBe('VGA controller');
  });
  it('reads BAR sizes from resource', () => {
    expect(parseResource('0x00000000f6000000 0x00000000f6ffffff 0x0000000000040200\n0x0000000000000000 0x0000000000000000 0x0000000000000000\n0x00000000e0000000 0x00000000efffffff 0x000000000014220c\n'))
      .toEqual([{ index: 0, sizeBytes: 16 << 20 }, { index: 2, sizeBytes: 256 << 20 }]);
  });
});

describe('host inventory on the fixture tree', () => {
  it('lists devices with IDs, names from pci.ids, driver, group, PCIe, BARs, NUMA, reset and SR-IOV', async () => {
    const inv = await manager().inventory();
    expect(inv.iommuEnabled).toBe(true);
    expect(inv.simulated).toBe(true);
    const gpu = inv.devices.find((d) => d.address === '0000:01:00.0');
    expect(gpu).toMatchObject({ vendorId: '10de', deviceId: '1b80', subsystemVendorId: '1462', classCode: '030000', driver: 'nouveau', iommuGroup: 1, pcie: true, isBridge: false, resetMethods: ['flr', 'bus'] });
    expect(gpu?.vendorName).toMatch(/NVIDIA/);
    expect(gpu?.deviceName).toMatch(/GTX 1080/);
    expect(gpu?.className).toMatch(/VGA/);
    expect(gpu?.bars.map((b) => b.sizeBytes)).toEqual([16 << 20, 256 << 20, 32 << 20]);
    expect(gpu?.hostLoss.displays).toEqual(['/dev/dri/card0', '/dev/fb0']);
    const nic = inv.devices.find((d) => d.address === '0000:03:00.0');
    expect(nic?.sriov).toEqual({ physfn: null, virtfns: ['0000:03:10.0'], totalVfs: 7 });
    expect(nic?.hostLoss.netInterfaces).toEqual(['enp3s0f0']);
    expect(inv.devices.find((d) => d.address === '0000:03:10.0')?.sriov.physfn).toBe('0000:03:00.0');
    expect(inv.devices.find((d) => d.address === '0000:04:00.0')?.numaNode).toBe(0);
    expect(inv.devices.find((d) => d.address === '0000:00:17.0')?.pcie).toBe(false);
    expect(inv.devices.find((d) => d.address === '0000:00:1f.6')?.iommuGroup).toBeNull();
  });

  it('tells what the host would lose: block devices with their mounts, and the root filesystem controller', async () => {
    const inv = await manager().inventory();
    const sata = inv.devices.find((d) => d.address === '0000:00:17.0');
    expect(sata?.hostLoss.blockDevices).toEqual([{ name: 'sda', mounts: ['/', '/boot/efi'] }]);
    expect(sata?.hostLoss.rootFilesystem).toBe(true);
    const nvme = inv.devices.find((d) => d.address === '0000:04:00.0');
    expect(nvme?.hostLoss).toMatchObject({ blockDevices: [{ name: 'nvme0n1', mounts: ['/data'] }], rootFilesystem: false });
  });

  it('groups devices, excludes bridges with the reason, and judges viability by the kernel rule', async () => {
    const inv = await manager().inventory();
    const g1 = inv.groups.find((g) => g.id === 1);
    expect(g1?.members).toEqual(['0000:00:01.0', '0000:01:00.0', '0000:01:00.1']);
    expect(g1?.assignable).toEqual(['0000:01:00.0', '0000:01:00.1']);
    expect(g1?.excluded[0]?.reason).toMatch(/PCI bridge: vfio-pci does not bind bridges/);
    expect(g1?.viable).toBe(false);
    expect(g1?.blockers).toEqual([{ address: '0000:01:00.0', driver: 'nouveau' }, { address: '0000:01:00.1', driver: 'snd_hda_intel' }]);
    expect(inv.groups.find((g) => g.id === 7)?.viable).toBe(true); // driverless
    expect(inv.groups.find((g) => g.id === 5)?.refusal).toMatch(/root filesystem/);
    expect(inv.groups.find((g) => g.id === 0)?.refusal).toMatch(/only bridges/);
  });

  it('notices when the IOMMU is off', async () => {
    rmSync(dir, { recursive: true, force: true });
    fx = buildSysfsFixture(dir, { iommu: false });
    const m = manager();
    expect((await m.inventory()).iommuEnabled).toBe(false);
    await expectError(m.planBind('0000:01:00.0'), 'E_UNSUPPORTED', /intel_iommu=on iommu=pt .* amd_iommu=on/);
  });

  it('refuses a malformed sysfs value instead of trusting it', async () => {
    writeFileSync(path.join(fx.sysfsRoot, 'bus/pci/devices/0000:05:00.0/vendor'), 'garbage\n');
    await expectError(manager().inventory(), 'E_CORRUPT_STATE', /unexpected vendor ID/);
  });
});

describe('bind, unbind and restore through the sysfs simulator', () => {
  it('a dry run lists the exact writes and changes nothing', async () => {
    const sim = new SysfsSimulator(fx.sysfsRoot);
    const before = snapshot();
    const { writes, group } = await manager(sim).planBind('0000:01:00.1');
    expect(group.id).toBe(1);
    const dev = (a: string, f: string): string => path.join(fx.sysfsRoot, 'bus/pci/devices', a, f);
    expect(writes.map(({ path: p, value }) => [p, value])).toEqual([
      [dev('0000:01:00.0', 'driver_override'), 'vfio-pci'],
      [path.join(fx.sysfsRoot, 'bus/pci/drivers/nouveau/unbind'), '0000:01:00.0'],
      [path.join(fx.sysfsRoot, 'bus/pci/drivers_probe'), '0000:01:00.0'],
      [dev('0000:01:00.1', 'driver_override'), 'vfio-pci'],
      [path.join(fx.sysfsRoot, 'bus/pci/drivers/snd_hda_intel/unbind'), '0000:01:00.1'],
      [path.join(fx.sysfsRoot, 'bus/pci/drivers_probe'), '0000:01:00.1'],
    ]);
    expect(sim.log).toEqual([]);
    expect(snapshot()).toEqual(before);
  });

  it('binds a whole group to vfio-pci (bridge left alone), then restores the original drivers', async () => {
    const sim = new SysfsSimulator(fx.sysfsRoot);
    const m = manager(sim);
    const before = snapshot();
    const bound = await m.bind('0000:01:00.0');
    expect(bound.viable).toBe(true);
    expect(driverOf('0000:01:00.0')).toBe('vfio-pci');
    expect(driverOf('0000:01:00.1')).toBe('vfio-pci');
    expect(driverOf('0000:00:01.0')).toBe('pcieport');
    expect(overrideOf('0000:01:00.0')).toBe('vfio-pci');
    const restored = await m.restore('0000:01:00.0');
    expect(restored.viable).toBe(false);
    expect(snapshot()).toEqual(before);
    expect(sim.log.some((w) => w.value === '\n' && w.path.endsWith('0000:01:00.0/driver_override'))).toBe(true);
  });

  it('a crash (SIGKILL simulated) half-way leaves a journal that the next process undoes', async () => {
    const before = snapshot();
    const dying = manager(new SysfsSimulator(fx.sysfsRoot, { dieAfterWrites: 4 }));
    const err = await dying.bind('0000:01:00.0').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(VesselError); // the write error, translated; the rollback died too
    expect(String((err as VesselError).message)).toMatch(/simulated crash/);
    // Half-done: the GPU went to vfio-pci, the audio function kept its override but no unbind.
    expect(driverOf('0000:01:00.0')).toBe('vfio-pci');
    const journal = JSON.parse(readFileSync(path.join(store.root, 'devices/host-bindings.json'), 'utf8')) as { pending: { devices: unknown[] } | null };
    expect(journal.pending?.devices).toEqual([{ address: '0000:01:00.0', originalDriver: 'nouveau' }, { address: '0000:01:00.1', originalDriver: 'snd_hda_intel' }]);
    // A fresh process (new manager, live writer) recovers on its first command.
    const next = manager();
    const messages = await next.recover();
    expect(messages[0]).toMatch(/interrupted bind of IOMMU group 1 .* undone/);
    expect(snapshot()).toEqual(before);
    expect(JSON.parse(readFileSync(path.join(store.root, 'devices/host-bindings.json'), 'utf8'))).toMatchObject({ pending: null, bound: {} });
  });

  it('the simulator behaves like the kernel: unbind from the wrong driver is ENODEV, vfio-pci refuses a bridge, /sys is refused', () => {
    const sim = new SysfsSimulator(fx.sysfsRoot);
    expect(() => sim.write(path.join(fx.sysfsRoot, 'bus/pci/drivers/igb/unbind'), '0000:01:00.0')).toThrow(/ENODEV/);
    sim.write(path.join(fx.sysfsRoot, 'bus/pci/drivers/pcieport/unbind'), '0000:00:01.0');
    expect(() => sim.write(path.join(fx.sysfsRoot, 'bus/pci/drivers/vfio-pci/bind'), '0000:00:01.0')).toThrow(/EINVAL/);
    expect(() => sim.write('/sys/bus/pci/drivers_probe', '0000:00:01.0')).toThrow(/outside/);
    expect(() => new SysfsSimulator('/sys')).toThrow(/never writes to the real \/sys/);
  });
});

describe('refusals, with a fix a user can act on, sysfs left as it was', () => {
  it('malformed address, unknown device, a bridge, no group, the root disk controller, mounted disks', async () => {
    const m = manager();
    const before = snapshot();
    await expectError(m.bind('01:00.0'), 'E_INVALID_ARGUMENT', /not a PCI address/);
    await expectError(m.bind('0000:09:00.0'), 'E_NOT_FOUND', /no PCI device 0000:09:00.0/);
    await expectError(m.bind('0000:00:01.0'), 'E_INVALID_ARGUMENT', /PCI bridge: vfio-pci does not bind bridges/);
    await expectError(m.bind('0000:00:1f.6'), 'E_UNSUPPORTED', /no IOMMU group/);
    await expectError(m.bind('0000:00:1f.4'), 'E_PERMISSION', /root filesystem/);
    await expectError(m.bind('0000:04:00.0'), 'E_BUSY', /nvme0n1 mounted at \/data/);
    expect(snapshot()).toEqual(before);
  });

  it('a non-viable group is refused when binding is not allowed, naming the devices still bound', async () => {
    await expectError(manager().preparePci('sbx1', '0000:01:00.0', { bind: false }), 'E_INVALID_STATE', /not viable: 0000:01:00.0 is bound to nouveau, 0000:01:00.1 is bound to snd_hda_intel/);
  });

  it('a device in use by one sandbox is refused to another, naming it; restore is refused while it is used', async () => {
    const m = manager();
    await store.create('sbxA', { name: 'alpha' });
    await m.writeRecords('sbxA', [newSandboxDevice({ id: 'vfio-0000-01-00-1', kind: 'vfio', source: '0000:01:00.1', state: 'attached', iommuGroup: 1 })]);
    const inv = await m.inventory();
    expect(inv.devices.find((d) => d.address === '0000:01:00.1')?.inUseBy).toEqual({ sandboxId: 'sbxA', sandboxName: 'alpha' });
    await expectError(m.preparePci('sbxB', '0000:01:00.0', { bind: true }), 'E_BUSY', /in use by sandbox alpha/);
    await expectError(m.restore('0000:01:00.0'), 'E_BUSY', /in use by sandbox alpha/);
    // The owner itself may add the rest of its group.
    const prepared = await m.preparePci('sbxA', '0000:01:00.0', { bind: true });
    expect(prepared.map((p) => [p.address, p.model])).toEqual([
      ['0000:01:00.0', { kind: 'emulated', model: 'edu' }],
      ['0000:01:00.1', { kind: 'emulated', model: 'pci-testdev' }],
    ]);
  });

  it('device records persist per sandbox and are read back by another manager (another process)', async () => {
    await store.create('sbxC', { name: 'gamma' });
    await manager().writeRecords('sbxC', [newSandboxDevice({ id: 'vfio-0000-05-00-0', kind: 'vfio', source: '0000:05:00.0', state: 'attached', iommuGroup: 7, guestPciPath: '02/00', rootPort: 'rp1' })]);
    const other = manager();
    expect(other.readRecords('sbxC')).toMatchObject([{ source: '0000:05:00.0', guestPciPath: '02/00', refCount: 1 }]);
    expect(other.coldPlugFor('sbxC')).toEqual([{ id: 'vfio-0000-05-00-0', kind: 'pci', model: { kind: 'vfio', host: '0000:05:00.0' } }]);
    writeFileSync(path.join(store.sandboxDir('sbxC'), 'devices.json'), '{"schemaVersion":2,"devices":[]}');
    expect(() => other.readRecords('sbxC')).toThrow(/malformed/);
  });

  it('vfio mode: a vIOMMU at the next boot, and /dev/vfio/vfio + /dev/vfio/N for new containers once the guest bound it; records of before read as unbound', async () => {
    await store.create('sbxV', { name: 'vee' });
    const m = manager();
    await m.writeRecords('sbxV', [newSandboxDevice({ id: 'vfio-0000-05-00-0', kind: 'vfio', source: '0000:05:00.0', state: 'pending', mode: 'guest-kernel', iommuGroup: 7 })]);
    expect(m.needsViommu('sbxV')).toBe(false);
    expect(m.vfioDevicesFor('sbxV')).toEqual([]);
    await m.writeRecords('sbxV', [
      newSandboxDevice({ id: 'vfio-0000-05-00-0', kind: 'vfio', source: '0000:05:00.0', state: 'attached', mode: 'vfio', iommuGroup: 7, guest: { address: '0000:02:00.0', driver: 'vfio-pci', vfioGroup: 3, vfioDevice: { major: 241, minor: 3 } } }),
      newSandboxDevice({ id: 'vfio-0000-05-00-1', kind: 'vfio', source: '0000:05:00.1', state: 'attached', mode: 'vfio', iommuGroup: 7, guest: { address: '0000:03:00.0', driver: 'vfio-pci', vfioGroup: 1, vfioDevice: { major: 241, minor: 1 } } }),
    ]);
    expect(m.needsViommu('sbxV')).toBe(true);
    expect(m.vfioDevicesFor('sbxV')).toEqual([
      { containerPath: '/dev/vfio/vfio', major: 10, minor: 196, fileMode: 0o666 },
      { containerPath: '/dev/vfio/1', major: 241, minor: 1, fileMode: 0o600 },
      { containerPath: '/dev/vfio/3', major: 241, minor: 3, fileMode: 0o600 },
    ]);
    // A record written before guest bindings existed has none.
    const old = { schemaVersion: 1, devices: [{ ...newSandboxDevice({ id: 'vfio-0000-05-00-0', kind: 'vfio', source: '0000:05:00.0', state: 'attached', mode: 'vfio' }), guest: undefined }] };
    writeFileSync(path.join(store.sandboxDir('sbxV'), 'devices.json'), JSON.stringify(old));
    expect(m.readRecords('sbxV')[0]?.guest).toBeNull();
    expect(m.vfioDevicesFor('sbxV')).toEqual([]);
  });

  it('a simulated crash error is what the dying writer throws', () => {
    const sim = new SysfsSimulator(fx.sysfsRoot, { dieAfterWrites: 0 });
    expect(() => sim.write(path.join(fx.sysfsRoot, 'bus/pci/drivers_probe'), '0000:05:00.0')).toThrow(SimulatedCrash);
  });
});

describe('generic devices (--device HOSTPATH[:CONTAINERPATH])', () => {
  it('reads type and numbers of a host character device and adds it to the spec, allowed in the device cgroup', async () => {
    const { parseDeviceSpec, withDevices } = await import('./generic-device.js');
    const d = parseDeviceSpec('/dev/null:/dev/hostnull');
    expect(d).toMatchObject({ containerPath: '/dev/hostnull', type: 'c', major: 1, minor: 3 });
    const spec = withDevices({ linux: { resources: { devices: [{ allow: false, access: 'rwm' }] } } }, [d]);
    expect(spec).toMatchObject({ linux: { devices: [{ path: '/dev/hostnull', type: 'c', major: 1, minor: 3 }], resources: { devices: [{ allow: false }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] } } });
    expect(() => parseDeviceSpec('dev/null')).toThrow(/HOSTPATH\[:CONTAINERPATH\]/);
    expect(() => parseDeviceSpec('/dev/no-such-device')).toThrow(/does not exist/);
    expect(() => parseDeviceSpec('/etc/hostname')).toThrow(/not a device node/);
  });
});
