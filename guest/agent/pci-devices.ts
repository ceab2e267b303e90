// Devices the host hot plugged: find one by the PCI path QEMU reported
// ("02/00": the root port's slot on bus 0, then the device's slot on the
// port's secondary bus), and mount a block device into a running container.
//
// Mounting into a container that already runs: its mount namespace was
// copied when it started, so a mount made in the guest's namespace does not
// reach it. The agent enters the container's mount namespace with busybox
// nsenter; the tools must then come from the container's own filesystem, so
// the agent first places a copy of busybox and a device node for the disk in
// the container's /dev (a tmpfs the guest reaches through /proc/PID/root/dev)
// and removes both afterwards. Works whatever the container image holds.
import { copyFileSync, chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { moduleSetOrderFile, ON_DEMAND_MODULES_DIR, VFIO_MODULE_SET } from '../../core/agent/proto/modules.js';
import { EngineError, runTool } from './engine.js';
import { ensureFilesystem, loadModuleSet } from './modules.js';

const SYS_PCI = '/sys/bus/pci/devices';
const PCI_PATH = /^[0-9a-f]{2}(\/[0-9a-f]{2}){0,7}$/;

export interface GuestPciDevice {
  address: string;
  vendorId: string;
  deviceId: string;
  driver: string;
  blockDevice: string;
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** One resolution attempt: the device's sysfs directory, or null when not (yet) there. */
export function resolvePciPath(pciPath: string, sysRoot = SYS_PCI): string | null {
  const slots = pciPath.split('/');
  let dir: string | null = null;
  for (const [i, slot] of slots.entries()) {
    const parent: string = i === 0 ? sysRoot : (dir as string);
    // On the root bus the entries are siblings; below a port they are children of its directory.
    const entries = list(parent).filter((e) => /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.0$/.test(e) && (i > 0 || e.startsWith('0000:00:')));
    const hit = entries.find((e) => e.slice(8, 10) === slot);
    if (!hit) return null;
    dir = i === 0 ? realDir(path.join(parent, hit)) : path.join(parent, hit);
  }
  return dir;
}

function realDir(p: string): string {
  try {
    return path.resolve(path.dirname(p), readlinkSync(p));
  } catch {
    return p;
  }
}

function blockOf(dir: string): string {
  for (const sub of list(dir).filter((e) => /^virtio\d+$/.test(e))) {
    const names = list(path.join(dir, sub, 'block'));
    if (names[0]) return names[0];
  }
  return '';
}

export async function findPciDevice(pciPath: string, timeoutMs: number, wantBlock = false): Promise<GuestPciDevice> {
  if (!PCI_PATH.test(pciPath)) throw new EngineError('invalid', `pci_path "${pciPath}" is not a PCI path like "02/00"`);
  const deadline = Date.now() + Math.min(Math.max(timeoutMs, 0), 60_000);
  for (;;) {
    const dir = resolvePciPath(pciPath);
    if (dir !== null) {
      const blockDevice = blockOf(dir);
      if (!wantBlock || blockDevice) {
        let driver = '';
        try {
          driver = path.basename(readlinkSync(path.join(dir, 'driver')));
        } catch {
          // no driver bound
        }
        return { address: path.basename(dir), vendorId: read(path.join(dir, 'vendor')).replace(/^0x/, ''), deviceId: read(path.join(dir, 'device')).replace(/^0x/, ''), driver, blockDevice };
      }
    }
    if (Date.now() >= deadline) {
      throw new EngineError('not_found', `no ${wantBlock ? 'block ' : ''}device at PCI path ${pciPath} in the guest after ${Math.round(timeoutMs / 1000)} s`);
    }
    await sleep(100);
  }
}

const MOUNT_POINT = /^\/[A-Za-z0-9._\-/]{0,4095}$/;

function checkMountPoint(p: string): void {
  if (!MOUNT_POINT.test(p) || p.split('/').includes('..')) throw new EngineError('invalid', `mount point "${p}" must be an absolute path of letters, digits, ".", "_", "-" and "/"`);
}

/** Put busybox (and optionally a device node) into the container's /dev, run fn, remove them. */
async function inContainerDev<T>(pid: number, busybox: string, fn: (bb: string, devDir: string) => Promise<T>): Promise<T> {
  const devDir = `/proc/${pid}/root/dev`;
  if (!existsSync(devDir)) throw new EngineError('precondition', `the container's /dev is not reachable (pid ${pid})`);
  // Named "busybox" (in a directory of its own): busybox picks the applet from argv[0].
  const tools = path.join(devDir, '.vessel');
  mkdirSync(tools, { recursive: true, mode: 0o700 });
  copyFileSync(busybox, path.join(tools, 'busybox'));
  chmodSync(path.join(tools, 'busybox'), 0o755);
  try {
    return await fn('/dev/.vessel/busybox', devDir);
  } finally {
    rmSync(tools, { recursive: true, force: true });
  }
}

export async function mountBlockIntoContainer(
  init: { pid: number; busybox: string },
  req: { pciPath: string; mountPoint: string; readOnly: boolean; fsType: string; timeoutMs: number },
): Promise<string> {
  checkMountPoint(req.mountPoint);
  const fsType = req.fsType || 'ext4';
  if (!/^[a-z0-9]{1,16}$/.test(fsType)) throw new EngineError('invalid', `fs_type "${fsType}" is not a filesystem name`);
  const dev = await findPciDevice(req.pciPath, req.timeoutMs || 15_000, true);
  await ensureFilesystem(fsType, { busybox: init.busybox });
  const majMin = read(`/sys/block/${dev.blockDevice}/dev`);
  const m = /^(\d+):(\d+)$/.exec(majMin);
  if (!m) throw new EngineError('internal', `no device number for ${dev.blockDevice}`);
  await inContainerDev(init.pid, init.busybox, async (bb, devDir) => {
    const node = `.vessel-${dev.blockDevice}`;
    await runTool(init.busybox, ['mknod', path.join(devDir, node), 'b', m[1] as string, m[2] as string]);
    try {
      const opts = req.readOnly ? ['-o', 'ro'] : [];
      await runTool(init.busybox, ['nsenter', '-t', String(init.pid), '-m', '--', bb, 'mkdir', '-p', req.mountPoint]);
      try {
        await runTool(init.busybox, ['nsenter', '-t', String(init.pid), '-m', '--', bb, 'mount', '-t', fsType, ...opts, `/dev/${node}`, req.mountPoint]);
      } catch (err) {
        // ENOENT here usually means a missing kernel piece (ext4 without crc32c), not a missing file.
        throw new EngineError('precondition', `${err instanceof Error ? err.message : String(err)} (guest disk ${dev.blockDevice}, device ${majMin}, filesystem ${fsType})`);
      }
    } finally {
      rmSync(path.join(devDir, node), { force: true });
    }
  });
  return dev.blockDevice;
}

export async function unmountFromContainer(init: { pid: number; busybox: string }, mountPoint: string): Promise<void> {
  checkMountPoint(mountPoint);
  await inContainerDev(init.pid, init.busybox, async (bb) => {
    await runTool(init.busybox, ['nsenter', '-t', String(init.pid), '-m', '--', bb, 'umount', mountPoint]);
  });
}


export interface GuestVfioBinding extends GuestPciDevice {
  vfioGroup: number;
  vfioMajor: number;
  vfioMinor: number;
}

function write(file: string, value: string): void {
  writeFileSync(file, value);
}

/** insmod the guest's vfio modules (their order was resolved from modules.dep when the image was built). */
async function loadVfioModules(busybox: string, modulesDir: string): Promise<void> {
  if (existsSync('/sys/bus/pci/drivers/vfio-pci')) return;
  if (!(await loadModuleSet(VFIO_MODULE_SET, { busybox, modulesDir }))) {
    throw new EngineError('precondition', `this guest image has no vfio-pci modules (${path.join(modulesDir, moduleSetOrderFile(VFIO_MODULE_SET))}); rebuild it with 'npm run build:guest'`);
  }
}

/**
 * Kata's vfio mode inside the guest: give the device to the guest's vfio-pci
 * (driver_override, unbind, drivers_probe: the kernel's own rules) and report
 * its IOMMU group and the numbers of /dev/vfio/<group>. Needs the VM's vIOMMU:
 * without one the guest puts no device in a group and vfio-pci refuses it.
 */
export async function bindGuestVfio(pciPath: string, timeoutMs: number, o: { busybox: string; modulesDir?: string; sysRoot?: string } ): Promise<GuestVfioBinding> {
  const dev = await findPciDevice(pciPath, timeoutMs);
  const dir = path.join(o.sysRoot ?? SYS_PCI, dev.address);
  let group: number;
  try {
    group = Number(path.basename(readlinkSync(path.join(dir, 'iommu_group'))));
  } catch {
    throw new EngineError('precondition', `guest device ${dev.address} is in no IOMMU group: the VM has no vIOMMU; create the sandbox with --viommu (or attach with --mode guest-kernel)`);
  }
  await loadVfioModules(o.busybox, o.modulesDir ?? ON_DEMAND_MODULES_DIR);
  if (dev.driver !== 'vfio-pci') {
    write(path.join(dir, 'driver_override'), 'vfio-pci');
    if (dev.driver) write(path.join(dir, 'driver', 'unbind'), dev.address);
    write('/sys/bus/pci/drivers_probe', dev.address);
  }
  const deadline = Date.now() + 5_000;
  let numbers = '';
  for (;;) {
    let driver = '';
    try {
      driver = path.basename(readlinkSync(path.join(dir, 'driver')));
    } catch {
      // not bound yet
    }
    numbers = read(`/sys/class/vfio/${group}/dev`);
    if (driver === 'vfio-pci' && numbers) break;
    if (Date.now() >= deadline) throw new EngineError('precondition', `guest device ${dev.address} did not bind to vfio-pci (driver now: ${driver || 'none'}); the guest kernel log says why`);
    await sleep(50);
  }
  const m = /^(\d+):(\d+)$/.exec(numbers);
  if (!m) throw new EngineError('internal', `no device number for /dev/vfio/${group} ("${numbers}")`);
  return { ...dev, driver: 'vfio-pci', vfioGroup: group, vfioMajor: Number(m[1]), vfioMinor: Number(m[2]) };
}
