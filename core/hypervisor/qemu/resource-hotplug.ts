// vCPU and memory hot add over QMP (what Kata's qemu.go does for a VM that
// needs more than its base): a CPU goes into a free slot that
// query-hotpluggable-cpus lists (no qom-path yet); memory is a RAM backend
// object plus a pc-dimm on it (needs -m X,slots=N,maxmem=M at boot). The
// guest then onlines them (the agent's OnlineCPUMem). The current sizes are
// read from QEMU each time, never from bookkeeping.
import { z } from 'zod';
import { VesselError } from '../../contract/index.js';
import { QmpEmpty, type QmpClient } from './qmp.js';

const HotpluggableCpus = z.array(z.object({
  type: z.string(),
  'vcpus-count': z.number(),
  props: z.record(z.string(), z.number()),
  'qom-path': z.string().optional(),
}).loose());

export const MemoryDevices = z.array(z.object({
  type: z.string(),
  data: z.object({ id: z.string().optional(), size: z.number().optional(), addr: z.number().optional(), memaddr: z.number().optional() }).loose(),
}).loose());

const MIB = 1048576;
/** The guest kernel adds memory in whole blocks (x86-64: 128 MiB, aligned to their size). */
const GUEST_MEMORY_BLOCK = 128 * MIB;

/**
 * Where the next DIMM goes: after every memory device already there
 * (virtio-pmem/nvdimm images, earlier DIMMs), rounded up to a guest memory
 * block. QEMU would put it right after the image, which a 104 MiB image leaves
 * unaligned, and the guest then refuses the whole range ("unaligned hotplug
 * range", add_memory failed). Undefined when nothing is there: QEMU starts the
 * device region on a 1 GiB boundary.
 */
export function nextDimmAddress(devices: z.infer<typeof MemoryDevices>): number | undefined {
  let end = 0;
  for (const d of devices) {
    const start = d.data.addr ?? d.data.memaddr;
    if (start !== undefined && d.data.size !== undefined) end = Math.max(end, start + d.data.size);
  }
  return end === 0 ? undefined : Math.ceil(end / GUEST_MEMORY_BLOCK) * GUEST_MEMORY_BLOCK;
}

/** The RAM the VM booted with (-m), in MiB. */
export async function bootMemoryMiB(qmp: QmpClient): Promise<number> {
  const summary = z.object({ 'base-memory': z.number() }).loose().parse(await qmp.execute('query-memory-size-summary', undefined, z.unknown()));
  return Math.round(summary['base-memory'] / MIB);
}

/** MiB of hot-added DIMMs (ours: ids vessel-dimm-N). */
export async function hotAddedMemoryMiB(qmp: QmpClient): Promise<number> {
  const devices = MemoryDevices.parse(await qmp.execute('query-memory-devices', undefined, z.unknown()));
  return devices.filter((d) => d.type === 'dimm' && (d.data.id ?? '').startsWith('vessel-dimm-')).reduce((sum, d) => sum + (d.data.size ?? 0) / MIB, 0);
}

/** Plug CPUs into free slots until `target` vCPUs are present. Returns how many were added. */
export async function hotAddVcpus(qmp: QmpClient, target: number): Promise<number> {
  const cpus = HotpluggableCpus.parse(await qmp.execute('query-hotpluggable-cpus', undefined, z.unknown()));
  const present = cpus.filter((c) => c['qom-path'] !== undefined).length;
  if (target > cpus.length) {
    throw new VesselError('E_INVALID_ARGUMENT', `the VM has room for ${cpus.length} vCPUs (maxcpus at boot), ${target} asked: recreate the sandbox with a larger --max-vcpus`);
  }
  const free = cpus.filter((c) => c['qom-path'] === undefined);
  let added = 0;
  for (const slot of free.slice(0, Math.max(0, target - present))) {
    const id = `vessel-cpu-${Object.values(slot.props).join('-')}`;
    await qmp.execute('device_add', { driver: slot.type, id, ...slot.props }, QmpEmpty);
    added++;
  }
  return added;
}

/** Add `mib` of RAM as one DIMM. Sizes must be whole multiples of 128 MiB (the guest's memory block). */
export async function hotAddMemory(qmp: QmpClient, mib: number): Promise<void> {
  if (!Number.isInteger(mib) || mib <= 0 || mib % 128 !== 0) {
    throw new VesselError('E_INVALID_ARGUMENT', `memory is hot added in steps of 128 MiB; ${mib} MiB more was asked`);
  }
  const devices = MemoryDevices.parse(await qmp.execute('query-memory-devices', undefined, z.unknown()));
  const n = devices.filter((d) => (d.data.id ?? '').startsWith('vessel-dimm-')).length;
  const backend = `vessel-hotmem-${n}`;
  const addr = nextDimmAddress(devices);
  // Guest RAM shared with another process (virtio-fs's virtiofsd, vhost-user
  // backends map it) needs the added RAM shared too, or that process cannot
  // reach buffers the guest places in it.
  const shared = await qmp.execute('qom-get', { path: '/objects/vessel-ram', property: 'share' }, z.boolean()).catch(() => false);
  await qmp.execute('object-add', shared
    ? { 'qom-type': 'memory-backend-memfd', id: backend, size: mib * MIB, share: true }
    : { 'qom-type': 'memory-backend-ram', id: backend, size: mib * MIB }, QmpEmpty);
  try {
    await qmp.execute('device_add', { driver: 'pc-dimm', id: `vessel-dimm-${n}`, memdev: backend, ...(addr !== undefined ? { addr } : {}) }, QmpEmpty);
  } catch (err) {
    await qmp.execute('object-del', { id: backend }, QmpEmpty).catch(() => undefined);
    throw new VesselError('E_HYPERVISOR', `QEMU refused the memory hot add: ${err instanceof Error ? err.message : String(err)} (the sandbox needs --max-memory room, set at create)`);
  }
}
