import { z } from 'zod';
import { MemoryDevices } from './resource-hotplug.js';
import type { BlockSource, ColdPlugDevice } from '../devices.js';
import type { CheckpointDevices } from '../snapshot.js';
import type { QmpClient } from './qmp.js';
import { blockNodeName } from './root-ports.js';
import { MEMORY_BACKEND_ID } from './cmdline.js';

/**
 * What sits on a VM's root-port pool, read from QEMU (query-pci, qom-get,
 * query-named-block-nodes), so a checkpoint can recreate every device on
 * its port at the restore: the destination QEMU must have the same devices
 * at the same addresses before the device state is loaded. What cannot be
 * recreated (a VFIO device, a vhost-user backend, something unknown) is a
 * blocker, said in words.
 */

interface PciDev {
  qdev_id?: string | undefined;
  pci_bridge?: { devices?: PciDev[] | undefined } | undefined;
}
const PciDev: z.ZodType<PciDev> = z.lazy(() => z.object({
  qdev_id: z.string().optional(),
  pci_bridge: z.object({ devices: z.array(PciDev).optional() }).loose().optional(),
}).loose());
const QueryPci = z.array(z.object({ devices: z.array(PciDev) }).loose());
const BlockNodes = z.array(z.object({
  'node-name': z.string().optional(),
  file: z.string(),
  ro: z.boolean(),
  drv: z.string(),
}).loose());

/** Devices on root ports: [port, device id | null (no id)]. */
export function devicesOnRootPorts(reply: z.infer<typeof QueryPci>): { bus: string; id: string | null }[] {
  const out: { bus: string; id: string | null }[] = [];
  const walk = (devices: PciDev[]): void => {
    for (const d of devices) {
      if (d.qdev_id && /^rp\d+$/.test(d.qdev_id)) {
        for (const child of d.pci_bridge?.devices ?? []) out.push({ bus: d.qdev_id, id: child.qdev_id && child.qdev_id !== '' ? child.qdev_id : null });
      }
      if (d.pci_bridge?.devices) walk(d.pci_bridge.devices);
    }
  };
  for (const bus of reply) walk(bus.devices);
  return out;
}

/** The device as the restore recreates it, or why it cannot be (pure, for tests). */
export function classifyDevice(id: string, type: string, node: { file: string; ro: boolean; drv: string } | undefined, bus: string): { device: ColdPlugDevice } | { nic: true } | { blocker: string } {
  if (type === 'vfio-pci') return { blocker: `device ${id} is a host device passed through with VFIO: its state lives in the hardware and cannot be saved (detach it first: vessel device detach)` };
  if (type.startsWith('vhost-user')) return { blocker: `device ${id} (${type}) is served by a backend process whose state QEMU cannot save` };
  if (type === 'virtio-net-pci') return { nic: true };
  if (type === 'edu' || type === 'pci-testdev') return { device: { id, kind: 'pci', model: { kind: 'emulated', model: type }, bus } };
  if (type === 'virtio-blk-pci') {
    if (!node) return { blocker: `disk ${id} has no block node Vessel knows (${blockNodeName(id)})` };
    if (node.drv !== 'raw' && node.drv !== 'qcow2') return { blocker: `disk ${id} has format ${node.drv}, which a restore cannot recreate` };
    const source: BlockSource = { file: node.file, format: node.drv, hostDevice: node.file.startsWith('/dev/'), readOnly: node.ro };
    return { device: { id, kind: 'block', source, bus } };
  }
  return { blocker: `device ${id} (${type}) is not one a restore can recreate` };
}

export async function checkpointDevices(qmp: QmpClient): Promise<CheckpointDevices> {
  const onPorts = devicesOnRootPorts(await qmp.execute('query-pci', undefined, QueryPci));
  const nodes = new Map((await qmp.execute('query-named-block-nodes', { flat: true }, BlockNodes)).flatMap((n) => (n['node-name'] ? [[n['node-name'], n] as const] : [])));
  const objects = await qmp.execute('qom-list', { path: '/objects' }, z.array(z.object({ name: z.string() }).loose()));
  const out: CheckpointDevices = { devices: [], nics: [], blockers: [], namedRam: objects.some((o) => o.name === MEMORY_BACKEND_ID) };
  // Hot-added vCPUs and DIMMs (sandbox update, a grown clone) are not recreated at boot yet, so the state would not load.
  const cpus = z.array(z.object({ 'qom-path': z.string().optional() }).loose()).parse(await qmp.execute('query-hotpluggable-cpus', undefined, z.unknown()));
  const hotCpus = cpus.filter((c) => (c['qom-path'] ?? '').startsWith('/machine/peripheral/')).length;
  const dimms = MemoryDevices.parse(await qmp.execute('query-memory-devices', undefined, z.unknown())).filter((d) => d.type === 'dimm').length;
  if (hotCpus || dimms) out.blockers.push(`${[hotCpus ? `${hotCpus} vCPU(s)` : '', dimms ? `${dimms} memory DIMM(s)` : ''].filter(Boolean).join(' and ')} were hot added (sandbox update, or a clone grown past its template's size), and a restore does not recreate hot-added vCPUs and memory yet`);
  for (const { bus, id } of onPorts) {
    if (id === null) {
      out.blockers.push(`a device without an id on ${bus}`);
      continue;
    }
    const type = await qmp.execute('qom-get', { path: `/machine/peripheral/${id}`, property: 'type' }, z.string());
    const c = classifyDevice(id, type, nodes.get(blockNodeName(id)), bus);
    if ('device' in c) out.devices.push(c.device);
    else if ('nic' in c) out.nics.push({ id, bus });
    else out.blockers.push(c.blocker);
  }
  return out;
}

/** QEMU's migration blockers in words a user can act on (virtio-9p refuses while the guest has it mounted). */
export function explainMigrationRefusal(desc: string): string | null {
  if (/VirtFS|9p/i.test(desc)) return 'the sandbox\'s shared directory (virtio-9p) is mounted in the guest, and QEMU cannot save a VM with a mounted 9p share: create the sandbox with --rootfs-transport block (and run only image containers in it) to checkpoint it';
  if (/vhost-user-fs|virtio-fs/i.test(desc)) return 'virtio-fs (vhost-user-fs) cannot be saved by QEMU 7.2: create the sandbox with --rootfs-transport block to checkpoint it';
  if (/vfio/i.test(desc)) return 'a VFIO device is attached and cannot be saved: detach it first';
  return null;
}
