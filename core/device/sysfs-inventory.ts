import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PCI_ADDRESS_PATTERN, VesselError, type HostLoss, type HostPciDevice, type IommuGroupView } from '../contract/index.js';
import type { PciNames } from './pci-ids.js';

/**
 * The host PCI inventory, read from sysfs through a configurable root
 * (VESSEL_SYSFS_ROOT, default /sys; tests point it at a fixture tree). Every
 * value read is validated: sysfs is a trust boundary like any other input.
 */

export interface HostPaths {
  /** Where sysfs is mounted (default /sys). */
  sysfsRoot: string;
  /** The mount table, to tell which filesystems sit on a device (default /proc/self/mounts). */
  mountsFile: string;
}

export function hostPathsFromEnv(env: NodeJS.ProcessEnv = process.env): HostPaths {
  const sysfsRoot = env.VESSEL_SYSFS_ROOT || '/sys';
  const mountsFile = env.VESSEL_MOUNTS_FILE || '/proc/self/mounts';
  for (const [name, value] of [['VESSEL_SYSFS_ROOT', sysfsRoot], ['VESSEL_MOUNTS_FILE', mountsFile]] as const) {
    if (!path.isAbsolute(value)) throw new VesselError('E_INVALID_ARGUMENT', `${name} must be an absolute path, got "${value}"`);
  }
  return { sysfsRoot: path.resolve(sysfsRoot), mountsFile: path.resolve(mountsFile) };
}

const HexId = z.string().trim().regex(/^0x[0-9a-f]{4}$/i).transform((s) => s.slice(2).toLowerCase());
const HexClass = z.string().trim().regex(/^0x[0-9a-f]{6}$/i).transform((s) => s.slice(2).toLowerCase());
const IntText = z.string().trim().regex(/^-?\d+$/).transform(Number);

export function pciDevicesDir(root: string): string {
  return path.join(root, 'bus/pci/devices');
}

export function devicePath(root: string, address: string): string {
  if (!PCI_ADDRESS_PATTERN.test(address)) throw malformedAddress(address);
  return path.join(pciDevicesDir(root), address);
}

export function malformedAddress(address: string): VesselError {
  return new VesselError('E_INVALID_ARGUMENT', `"${address}" is not a PCI address: write it as domain:bus:slot.function, e.g. 0000:01:00.0 ('vessel device list' shows them)`, { address });
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function readParsed<T>(file: string, schema: z.ZodType<T>, what: string): T {
  const text = readText(file);
  const parsed = schema.safeParse(text ?? '');
  if (!parsed.success) throw new VesselError('E_CORRUPT_STATE', `unexpected ${what} in ${file}: ${JSON.stringify((text ?? '(missing)').slice(0, 40))}`, { file });
  return parsed.data;
}

function linkName(file: string): string | null {
  try {
    return path.basename(readlinkSync(file));
  } catch {
    return null;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** BAR sizes from `resource`: one "start end flags" line per region; lines 0-5 are the BARs. */
export function parseResource(text: string): { index: number; sizeBytes: number }[] {
  const bars: { index: number; sizeBytes: number }[] = [];
  text.split('\n').slice(0, 6).forEach((line, index) => {
    const m = /^0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)$/i.exec(line.trim());
    if (!m || !m[1] || !m[2]) return;
    const start = BigInt(`0x${m[1]}`);
    const end = BigInt(`0x${m[2]}`);
    if (start === 0n && end === 0n) return;
    bars.push({ index, sizeBytes: Number(end - start + 1n) });
  });
  return bars;
}

interface Mount { source: string; target: string }

function readMounts(file: string): Mount[] {
  const text = readText(file) ?? '';
  return text.split('\n').filter(Boolean).map((line) => {
    const [source = '', target = ''] = line.split(' ');
    // /proc/mounts escapes spaces and friends as octal.
    const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    return { source: unescape(source), target: unescape(target) };
  });
}

/** Block disks (sysfs/block/*) with the PCI path they hang off, their partitions, and their mounts. */
function readBlockDisks(paths: HostPaths): { name: string; realPath: string; names: string[] }[] {
  const blockDir = path.join(paths.sysfsRoot, 'block');
  return listDir(blockDir).map((name) => {
    let realPath = '';
    try {
      realPath = realpathSync(path.join(blockDir, name));
    } catch {
      // dangling: no device
    }
    const partitions = listDir(path.join(blockDir, name)).filter((p) => existsSync(path.join(blockDir, name, p, 'partition')));
    // A device-mapper disk is on its slaves' devices; record the dm name on them too.
    return { name, realPath, names: [name, ...partitions] };
  });
}

function deviceMapperHolders(paths: HostPaths, disk: string): string[] {
  const out: string[] = [];
  for (const part of [disk, ...listDir(path.join(paths.sysfsRoot, 'block', disk))]) {
    for (const holder of listDir(path.join(paths.sysfsRoot, 'block', disk, part, 'holders'))) out.push(holder);
  }
  return out;
}

function classMembersUnder(root: string, klass: string, deviceReal: string): string[] {
  const dir = path.join(root, 'class', klass);
  return listDir(dir).filter((name) => {
    try {
      return realpathSync(path.join(dir, name)).startsWith(`${deviceReal}/`);
    } catch {
      return false;
    }
  });
}

export interface RawInventory {
  iommuEnabled: boolean;
  devices: HostPciDevice[];
  groups: IommuGroupView[];
}

/** Read every PCI device, its IOMMU group and what the host would lose. */
export function readInventory(paths: HostPaths, names: PciNames): RawInventory {
  const root = paths.sysfsRoot;
  const devDir = pciDevicesDir(root);
  if (!existsSync(devDir)) {
    throw new VesselError('E_NOT_FOUND', `no PCI devices under ${devDir}: is sysfs mounted there? (VESSEL_SYSFS_ROOT=${root})`, { sysfsRoot: root });
  }
  const mounts = readMounts(paths.mountsFile);
  const disks = readBlockDisks(paths);
  const rootSource = mounts.filter((m) => m.target === '/').at(-1)?.source ?? '';
  const rootDevName = path.basename(rootSource);

  const devices: HostPciDevice[] = [];
  for (const address of listDir(devDir)) {
    if (!PCI_ADDRESS_PATTERN.test(address)) continue;
    const dir = path.join(devDir, address);
    let real = dir;
    try {
      real = realpathSync(dir);
    } catch {
      continue;
    }
    const vendorId = readParsed(path.join(dir, 'vendor'), HexId, 'vendor ID');
    const deviceId = readParsed(path.join(dir, 'device'), HexId, 'device ID');
    const classCode = readParsed(path.join(dir, 'class'), HexClass, 'class code');
    const subV = readText(path.join(dir, 'subsystem_vendor'));
    const subD = readText(path.join(dir, 'subsystem_device'));
    const override = readText(path.join(dir, 'driver_override'))?.trim() ?? null;
    const groupName = linkName(path.join(dir, 'iommu_group'));
    const numa = readText(path.join(dir, 'numa_node'));
    let configSize = 0;
    try {
      configSize = statSync(path.join(dir, 'config')).size;
    } catch {
      // no config file: treat as conventional PCI
    }
    const physfn = linkName(path.join(dir, 'physfn'));
    const virtfns = listDir(dir).filter((e) => /^virtfn\d+$/.test(e)).map((e) => linkName(path.join(dir, e))).filter((a): a is string => a !== null && PCI_ADDRESS_PATTERN.test(a));
    const totalVfs = readText(path.join(dir, 'sriov_totalvfs'));

    // What the host would lose.
    // Directly below the device (most NICs) or deeper (virtio-net: BDF/virtioN/net), as class/net links show.
    const netInterfaces = [...new Set([...listDir(path.join(dir, 'net')), ...classMembersUnder(root, 'net', real)])].sort();
    const displays = [
      ...listDir(path.join(dir, 'drm')).filter((d) => /^card\d+$/.test(d)).map((d) => `/dev/dri/${d}`),
      ...listDir(path.join(dir, 'graphics')).filter((d) => /^fb\d+$/.test(d)).map((d) => `/dev/${d}`),
    ];
    const blockDevices: HostLoss['blockDevices'] = [];
    let rootFilesystem = false;
    for (const disk of disks) {
      if (!disk.realPath.startsWith(`${real}/`)) continue;
      const held = [...disk.names, ...deviceMapperHolders(paths, disk.name)];
      const onIt = mounts.filter((m) => held.includes(path.basename(m.source)) || disk.names.some((n) => m.source === `/dev/${n}`));
      blockDevices.push({ name: disk.name, mounts: onIt.map((m) => m.target) });
      if (held.includes(rootDevName) || onIt.some((m) => m.target === '/')) rootFilesystem = true;
    }

    const vendorName = names.vendor(vendorId);
    devices.push({
      address,
      vendorId,
      deviceId,
      subsystemVendorId: HexId.safeParse(subV ?? '').data ?? null,
      subsystemDeviceId: HexId.safeParse(subD ?? '').data ?? null,
      vendorName,
      deviceName: names.device(vendorId, deviceId),
      classCode,
      className: names.className(classCode),
      driver: linkName(path.join(dir, 'driver')),
      driverOverride: override === null || override === '' || override === '(null)' ? null : override,
      iommuGroup: groupName !== null && /^\d+$/.test(groupName) ? Number(groupName) : null,
      numaNode: numa === null ? null : (IntText.safeParse(numa).data ?? null),
      resetMethods: (readText(path.join(dir, 'reset_method')) ?? '').trim().split(/\s+/).filter(Boolean),
      pcie: configSize > 256,
      bars: parseResource(readText(path.join(dir, 'resource')) ?? ''),
      sriov: {
        physfn: physfn !== null && PCI_ADDRESS_PATTERN.test(physfn) ? physfn : null,
        virtfns,
        totalVfs: totalVfs === null ? null : (IntText.safeParse(totalVfs).data ?? null),
      },
      isBridge: classCode.startsWith('0600') || classCode.startsWith('0604'),
      hostLoss: { netInterfaces, blockDevices, displays, rootFilesystem },
      inUseBy: null,
    });
  }
  const byAddress = new Map(devices.map((d) => [d.address, d]));
  const groupsDir = path.join(root, 'kernel/iommu_groups');
  const groups: IommuGroupView[] = [];
  for (const g of listDir(groupsDir)) {
    if (!/^\d+$/.test(g)) continue;
    const members = listDir(path.join(groupsDir, g, 'devices')).filter((a) => PCI_ADDRESS_PATTERN.test(a));
    groups.push(groupView(Number(g), members.map((a) => byAddress.get(a)).filter((d): d is HostPciDevice => d !== undefined)));
  }
  groups.sort((a, b) => a.id - b.id);
  return { iommuEnabled: listDir(path.join(root, 'class/iommu')).length > 0, devices, groups };
}

function describe(d: HostPciDevice): string {
  return `${d.address} (${d.deviceName ?? d.className ?? `${d.vendorId}:${d.deviceId}`})`;
}

/** The kernel's rule: a group is viable when every member is bound to vfio-pci or to nothing; bridges are skipped. */
export function groupView(id: number, members: HostPciDevice[]): IommuGroupView {
  const excluded = members.filter((d) => d.isBridge).map((d) => ({
    address: d.address,
    reason: `${d.classCode.startsWith('0600') ? 'host bridge' : 'PCI bridge'}: vfio-pci does not bind bridges, and the kernel leaves them out of the viability check`,
  }));
  const assignable = members.filter((d) => !d.isBridge);
  const blockers = assignable.filter((d) => d.driver !== null && d.driver !== 'vfio-pci').map((d) => ({ address: d.address, driver: d.driver as string }));
  const rootDisk = members.find((d) => d.hostLoss.rootFilesystem);
  let refusal: string | null = null;
  if (rootDisk) refusal = `IOMMU group ${id} holds ${describe(rootDisk)}, the controller of the host's root filesystem: assigning it would take / away from the host`;
  else if (assignable.length === 0) refusal = `IOMMU group ${id} holds only bridges: there is nothing to assign`;
  return { id, members: members.map((d) => d.address), assignable: assignable.map((d) => d.address), excluded, viable: blockers.length === 0 && assignable.length > 0, blockers, refusal };
}
