import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * SIMULATED HARDWARE (test support). Builds a fixture sysfs tree with
 * realistic IOMMU groups for a machine that has none (this one): a GPU with
 * its audio function in one group, a NIC alone (with an SR-IOV VF), a USB
 * controller behind a PCI bridge in one group, the root disk's SATA
 * controller sharing a group with an SMBus controller, an NVMe disk holding
 * /data, a driverless Ethernet controller, a host bridge alone and an
 * Ethernet controller with no IOMMU group. Point VESSEL_SYSFS_ROOT at
 * `sysfsRoot` and VESSEL_MOUNTS_FILE at `mountsFile`.
 *
 * Writes to bind/unbind/driver_override/drivers_probe are made meaningful by
 * SysfsSimulator (sysfs-simulator.ts), which reads the natural drivers from
 * SIMULATOR_FILE.
 */

export const SIMULATOR_FILE = '.vessel-sysfs-simulator.json';

export interface FixtureDevice {
  address: string;
  /** Path of parent devices under devices/pci0000:00 (bridges), outermost first. */
  parents?: string[];
  vendor: string;
  device: string;
  subVendor?: string;
  subDevice?: string;
  classCode: string;
  driver: string | null;
  group: number | null;
  pcie?: boolean;
  bars?: number[];
  net?: string[];
  drm?: string[];
  fb?: string[];
  /** Block disks below it: name → partitions. */
  disks?: Record<string, string[]>;
  virtfns?: string[];
  physfn?: string;
  numa?: number;
  resetMethods?: string[];
}

export const FIXTURE_DEVICES: FixtureDevice[] = [
  { address: '0000:00:00.0', vendor: '8086', device: '29c0', classCode: '060000', driver: null, group: 0, pcie: false },
  { address: '0000:00:01.0', vendor: '8086', device: '1901', classCode: '060400', driver: 'pcieport', group: 1, pcie: true },
  { address: '0000:01:00.0', parents: ['0000:00:01.0'], vendor: '10de', device: '1b80', subVendor: '1462', subDevice: '3362', classCode: '030000', driver: 'nouveau', group: 1, pcie: true, bars: [16 << 20, 256 << 20, 32 << 20], drm: ['card0'], fb: ['fb0'], resetMethods: ['flr', 'bus'] },
  { address: '0000:01:00.1', parents: ['0000:00:01.0'], vendor: '10de', device: '10f0', classCode: '040300', driver: 'snd_hda_intel', group: 1, pcie: true, bars: [16 << 10] },
  { address: '0000:00:1c.0', vendor: '8086', device: 'a110', classCode: '060400', driver: 'pcieport', group: 2, pcie: true },
  { address: '0000:02:00.0', parents: ['0000:00:1c.0'], vendor: '1b21', device: '1242', classCode: '0c0330', driver: 'xhci_hcd', group: 2, pcie: true, bars: [32 << 10] },
  { address: '0000:03:00.0', vendor: '8086', device: '1521', classCode: '020000', driver: 'igb', group: 3, pcie: true, bars: [1 << 20, 16 << 10], net: ['enp3s0f0'], virtfns: ['0000:03:10.0'], resetMethods: ['flr'] },
  { address: '0000:03:10.0', vendor: '8086', device: '1520', classCode: '020000', driver: 'igbvf', group: 4, pcie: true, bars: [16 << 10], physfn: '0000:03:00.0', net: ['enp3s0f0v0'] },
  { address: '0000:00:17.0', vendor: '8086', device: 'a102', classCode: '010601', driver: 'ahci', group: 5, pcie: false, bars: [8 << 10], disks: { sda: ['sda1', 'sda2'] } },
  { address: '0000:00:1f.4', vendor: '8086', device: 'a123', classCode: '0c0500', driver: 'i801_smbus', group: 5, pcie: false, bars: [256] },
  { address: '0000:04:00.0', vendor: '144d', device: 'a808', classCode: '010802', driver: 'nvme', group: 6, pcie: true, bars: [16 << 10], disks: { nvme0n1: ['nvme0n1p1'] }, numa: 0 },
  { address: '0000:05:00.0', vendor: '10ec', device: '8168', classCode: '020000', driver: null, group: 7, pcie: true, bars: [256, 4 << 10] },
  { address: '0000:00:1f.6', vendor: '8086', device: '15b8', classCode: '020000', driver: 'e1000e', group: null, pcie: false, bars: [128 << 10], net: ['eno1'] },
];

export const FIXTURE_DRIVERS = ['pcieport', 'nouveau', 'snd_hda_intel', 'xhci_hcd', 'igb', 'igbvf', 'ahci', 'i801_smbus', 'nvme', 'e1000e', 'vfio-pci'];

export const FIXTURE_MOUNTS = [
  '/dev/sda2 / ext4 rw,relatime 0 0',
  '/dev/sda1 /boot/efi vfat rw 0 0',
  '/dev/nvme0n1p1 /data ext4 rw,relatime 0 0',
  'proc /proc proc rw 0 0',
];

export interface SysfsFixture {
  /** The directory holding sys/ and proc/. */
  dir: string;
  sysfsRoot: string;
  mountsFile: string;
}

function resourceText(bars: number[] = []): string {
  const lines: string[] = [];
  let base = 0xe0000000;
  for (let i = 0; i < 7; i += 1) {
    const size = bars[i];
    if (size === undefined) {
      lines.push('0x0000000000000000 0x0000000000000000 0x0000000000000000');
      continue;
    }
    const hex = (n: number): string => `0x${n.toString(16).padStart(16, '0')}`;
    lines.push(`${hex(base)} ${hex(base + size - 1)} 0x0000000000040200`);
    base += Math.max(size, 0x1000);
  }
  return `${lines.join('\n')}\n`;
}

/** Build the fixture tree under `dir` (which must exist and be empty). */
export function buildSysfsFixture(dir: string, options: { iommu?: boolean; devices?: FixtureDevice[] } = {}): SysfsFixture {
  const sys = path.join(dir, 'sys');
  const devicesList = options.devices ?? FIXTURE_DEVICES;
  const mk = (p: string): string => {
    mkdirSync(p, { recursive: true });
    return p;
  };
  const busDevices = mk(path.join(sys, 'bus/pci/devices'));
  const drivers = mk(path.join(sys, 'bus/pci/drivers'));
  writeFileSync(path.join(sys, 'bus/pci/drivers_probe'), '');
  for (const d of FIXTURE_DRIVERS) {
    mk(path.join(drivers, d));
    writeFileSync(path.join(drivers, d, 'bind'), '');
    writeFileSync(path.join(drivers, d, 'unbind'), '');
  }
  mk(path.join(sys, 'class/iommu'));
  if (options.iommu ?? true) mk(path.join(sys, 'class/iommu/dmar0'));
  mk(path.join(sys, 'kernel/iommu_groups'));
  mk(path.join(sys, 'block'));
  const natural: Record<string, string | null> = {};
  for (const d of devicesList) {
    const real = mk(path.join(sys, 'devices/pci0000:00', ...(d.parents ?? []), d.address));
    symlinkSync(real, path.join(busDevices, d.address));
    writeFileSync(path.join(real, 'vendor'), `0x${d.vendor}\n`);
    writeFileSync(path.join(real, 'device'), `0x${d.device}\n`);
    writeFileSync(path.join(real, 'subsystem_vendor'), `0x${d.subVendor ?? d.vendor}\n`);
    writeFileSync(path.join(real, 'subsystem_device'), `0x${d.subDevice ?? '0000'}\n`);
    writeFileSync(path.join(real, 'class'), `0x${d.classCode}\n`);
    writeFileSync(path.join(real, 'driver_override'), '(null)\n');
    writeFileSync(path.join(real, 'numa_node'), `${d.numa ?? -1}\n`);
    writeFileSync(path.join(real, 'config'), Buffer.alloc(d.pcie ? 4096 : 256));
    writeFileSync(path.join(real, 'resource'), resourceText(d.bars));
    if (d.resetMethods) writeFileSync(path.join(real, 'reset_method'), `${d.resetMethods.join(' ')}\n`);
    natural[d.address] = d.driver;
    if (d.driver) {
      symlinkSync(path.join(drivers, d.driver), path.join(real, 'driver'));
      symlinkSync(real, path.join(drivers, d.driver, d.address));
    }
    if (d.group !== null) {
      const g = mk(path.join(sys, 'kernel/iommu_groups', String(d.group), 'devices'));
      symlinkSync(real, path.join(g, d.address));
      symlinkSync(path.dirname(g), path.join(real, 'iommu_group'));
    }
    for (const n of d.net ?? []) mk(path.join(real, 'net', n));
    for (const c of d.drm ?? []) mk(path.join(real, 'drm', c));
    for (const f of d.fb ?? []) mk(path.join(real, 'graphics', f));
    for (const [disk, parts] of Object.entries(d.disks ?? {})) {
      const diskDir = mk(path.join(real, 'host0', 'block', disk));
      for (const p of parts) {
        mk(path.join(diskDir, p));
        writeFileSync(path.join(diskDir, p, 'partition'), '1\n');
      }
      symlinkSync(diskDir, path.join(sys, 'block', disk));
    }
    for (const vf of d.virtfns ?? []) symlinkSync(path.join(busDevices, vf), path.join(real, `virtfn${(d.virtfns ?? []).indexOf(vf)}`));
    if (d.virtfns) writeFileSync(path.join(real, 'sriov_totalvfs'), '7\n');
    if (d.physfn) symlinkSync(path.join(busDevices, d.physfn), path.join(real, 'physfn'));
  }
  writeFileSync(path.join(sys, SIMULATOR_FILE), JSON.stringify({ naturalDrivers: natural }, null, 2));
  const proc = mk(path.join(dir, 'proc'));
  const mountsFile = path.join(proc, 'mounts');
  writeFileSync(mountsFile, `${FIXTURE_MOUNTS.join('\n')}\n`);
  return { dir, sysfsRoot: sys, mountsFile };
}
