import { z } from 'zod';
import { VesselError } from '../../contract/index.js';
import type { BlockSource, DeviceDriver, PciModel, PlugOptions, PlugResult, UnplugOptions } from '../devices.js';
import type { HypervisorState } from '../hypervisor.js';
import { QmpEmpty, type QmpClient, type QmpEvent } from './qmp.js';
import { blockdevOptions, blockNodeName, checkDeviceId, pciDeviceProps } from './root-ports.js';

/**
 * Hot plug over QMP (govmm's ExecutePCIDeviceAdd / ExecuteDeviceDel /
 * ExecuteBlockdevAdd): a free root port from query-pci, device_add on it,
 * the guest PCI path from qom-get; unplug = device_del, wait for
 * DEVICE_DELETED (the guest's pciehp waits 5 s after the attention button,
 * so the default timeout is well past that), then blockdev-del or
 * chardev-remove for what backed the device.
 */

export const DEFAULT_UNPLUG_TIMEOUT_MS = 30_000;

interface PciDeviceInfo {
  bus: number;
  slot: number;
  function: number;
  qdev_id?: string | undefined;
  pci_bridge?: { bus: { number: number; secondary: number }; devices?: PciDeviceInfo[] | undefined } | undefined;
}

const PciDeviceInfo: z.ZodType<PciDeviceInfo> = z.lazy(() =>
  z.object({
    bus: z.number().int(),
    slot: z.number().int(),
    function: z.number().int(),
    qdev_id: z.string().optional(),
    pci_bridge: z.object({
      bus: z.object({ number: z.number().int(), secondary: z.number().int() }).loose(),
      devices: z.array(PciDeviceInfo).optional(),
    }).loose().optional(),
  }).loose(),
);
const QueryPci = z.array(z.object({ bus: z.number().int(), devices: z.array(PciDeviceInfo) }).loose());

/** Root ports (rpN) with nothing on their secondary bus, lowest first. */
export function freeRootPortsIn(pci: z.infer<typeof QueryPci>): string[] {
  const out: string[] = [];
  for (const bus of pci) {
    for (const d of bus.devices) {
      if (!d.qdev_id || !/^rp\d+$/.test(d.qdev_id) || !d.pci_bridge) continue;
      if ((d.pci_bridge.devices ?? []).length === 0) out.push(d.qdev_id);
    }
  }
  return out.sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)));
}

export async function freeRootPorts(qmp: QmpClient): Promise<string[]> {
  return freeRootPortsIn(await qmp.execute('query-pci', undefined, QueryPci));
}

const QomString = z.string();
const QomAddr = z.union([z.number().int(), z.string()]);

function slotOf(addr: number | string): string {
  const devfn = typeof addr === 'number' ? addr : Number.parseInt(addr.split('.')[0] ?? '', 16) << 3;
  return (devfn >> 3).toString(16).padStart(2, '0');
}

/** The guest PCI path of a device: its slot, preceded by the slot of each port above it, up to pcie.0. */
export async function guestPciPath(qmp: QmpClient, id: string): Promise<{ path: string; rootPort: string }> {
  const slots: string[] = [];
  let object = `/machine/peripheral/${id}`;
  let rootPort = '';
  for (let depth = 0; depth < 8; depth += 1) {
    const addr = await qmp.execute('qom-get', { path: object, property: 'addr' }, QomAddr);
    slots.unshift(slotOf(addr));
    const bus = await qmp.execute('qom-get', { path: object, property: 'parent_bus' }, QomString);
    // A bus's QOM path is its parent device's path plus the bus name.
    const parent = bus.slice(0, bus.lastIndexOf('/'));
    if (/\/pcie\.0$|\/pci\.0$/.test(bus) || parent === '/machine/q35' || parent === '/machine/i440fx') break;
    if (depth === 0) rootPort = parent.slice(parent.lastIndexOf('/') + 1);
    object = parent;
  }
  return { path: slots.join('/'), rootPort };
}

function waitForDeleted(qmp: QmpClient, id: string, timeoutMs: number, onProgress?: (m: string) => void): { done: Promise<void>; cancel: () => void } {
  let cancel = (): void => undefined;
  const done = new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const onEvent = (e: QmpEvent): void => {
      if (e.event === 'DEVICE_DELETED' && e.data.device === id) {
        cleanup();
        resolve();
      }
    };
    const onClose = (): void => {
      cleanup();
      reject(new VesselError('E_HYPERVISOR', `the QMP connection closed while waiting for ${id} to be removed`));
    };
    const tick = setInterval(() => onProgress?.(`waiting for the guest to release ${id} (${Math.round((Date.now() - started) / 1000)} s of ${Math.round(timeoutMs / 1000)} s)`), 2_000);
    const timer = setTimeout(() => {
      cleanup();
      reject(new VesselError('E_TIMEOUT', `the guest did not release ${id} within ${Math.round(timeoutMs / 1000)} s (no DEVICE_DELETED): it stays attached; check that nothing in the guest holds it, then detach again`, { device: id }));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      clearInterval(tick);
      qmp.off('event', onEvent);
      qmp.off('close', onClose);
    };
    cancel = cleanup;
    qmp.on('event', onEvent);
    qmp.on('close', onClose);
  });
  return { done, cancel };
}

/** device_del and wait for DEVICE_DELETED. */
export async function deviceDel(qmp: QmpClient, id: string, options: UnplugOptions = {}): Promise<void> {
  checkDeviceId(id);
  const wait = waitForDeleted(qmp, id, options.timeoutMs ?? DEFAULT_UNPLUG_TIMEOUT_MS, options.onProgress);
  try {
    options.onProgress?.(`device_del ${id}: asking the guest to release it`);
    await qmp.execute('device_del', { id }, QmpEmpty);
  } catch (err) {
    wait.cancel();
    if (err instanceof VesselError && /not found/i.test(err.message)) return; // already gone
    throw err;
  }
  await wait.done;
}

/** device_add on the first free root port; tries the next port if QEMU finds one taken. */
async function addOnFreePort(qmp: QmpClient, id: string, props: (bus: string) => Record<string, unknown>, onProgress?: (m: string) => void): Promise<string> {
  const ports = await freeRootPorts(qmp);
  if (ports.length === 0) {
    throw new VesselError('E_BUSY', 'no free PCIe root port in this sandbox: detach a device, or recreate the sandbox with more (--pcie-root-ports N)');
  }
  let last: unknown = null;
  for (const port of ports) {
    onProgress?.(`device_add ${id} on root port ${port}`);
    try {
      await qmp.execute('device_add', props(port), QmpEmpty);
      return port;
    } catch (err) {
      last = err;
      if (!(err instanceof VesselError) || !/occupied|in use|already/i.test(err.message)) throw err;
    }
  }
  throw last instanceof Error ? last : new VesselError('E_HYPERVISOR', `could not add ${id}`);
}

export class QemuDeviceDriver implements DeviceDriver {
  constructor(private readonly withQmp: <T>(vm: HypervisorState, fn: (qmp: QmpClient) => Promise<T>) => Promise<T>) {}

  plugPci(vm: HypervisorState, id: string, model: PciModel, options: PlugOptions = {}): Promise<PlugResult> {
    return this.withQmp(vm, async (qmp) => {
      const port = await addOnFreePort(qmp, id, (bus) => pciDeviceProps(id, model, bus), options.onProgress);
      return this.located(qmp, id, port);
    });
  }

  plugBlock(vm: HypervisorState, id: string, source: BlockSource, options: PlugOptions = {}): Promise<PlugResult> {
    checkDeviceId(id);
    return this.withQmp(vm, async (qmp) => {
      options.onProgress?.(`blockdev-add ${source.file} (${source.format}${source.readOnly ? ', read-only' : ''})`);
      await qmp.execute('blockdev-add', blockdevOptions(id, source), QmpEmpty);
      try {
        const port = await addOnFreePort(qmp, id, (bus) => ({ driver: 'virtio-blk-pci', id, drive: blockNodeName(id), bus }), options.onProgress);
        return await this.located(qmp, id, port);
      } catch (err) {
        await qmp.execute('blockdev-del', { 'node-name': blockNodeName(id) }, QmpEmpty).catch(() => undefined);
        throw err;
      }
    });
  }

  plugVhostUserBlk(vm: HypervisorState, id: string, socket: string, options: PlugOptions = {}): Promise<PlugResult> {
    checkDeviceId(id);
    return this.withQmp(vm, async (qmp) => {
      const chardev = `${id}-chr`;
      options.onProgress?.(`chardev-add ${chardev} → ${socket}`);
      await qmp.execute('chardev-add', { id: chardev, backend: { type: 'socket', data: { addr: { type: 'unix', data: { path: socket } }, server: false } } }, QmpEmpty);
      try {
        const port = await addOnFreePort(qmp, id, (bus) => ({ driver: 'vhost-user-blk-pci', id, chardev, bus }), options.onProgress);
        return await this.located(qmp, id, port);
      } catch (err) {
        await qmp.execute('chardev-remove', { id: chardev }, QmpEmpty).catch(() => undefined);
        throw err;
      }
    });
  }

  unplug(vm: HypervisorState, id: string, options: UnplugOptions = {}): Promise<void> {
    return this.withQmp(vm, async (qmp) => {
      await deviceDel(qmp, id, options);
      // What backed it, if anything (errors mean "there was none").
      await qmp.execute('blockdev-del', { 'node-name': blockNodeName(id) }, QmpEmpty).catch(() => undefined);
      await qmp.execute('chardev-remove', { id: `${id}-chr` }, QmpEmpty).catch(() => undefined);
    });
  }

  locate(vm: HypervisorState, id: string): Promise<PlugResult> {
    return this.withQmp(vm, (qmp) => this.located(qmp, id, null));
  }

  private async located(qmp: QmpClient, id: string, port: string | null): Promise<PlugResult> {
    const where = await guestPciPath(qmp, id);
    return { rootPort: port ?? where.rootPort, guestPciPath: where.path };
  }
}
