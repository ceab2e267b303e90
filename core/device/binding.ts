import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { VesselError, type HostPciDevice, type IommuGroupView, type SysfsWrite } from '../contract/index.js';
import { writeFileAtomic } from '../store/index.js';
import { isSameProcess, readProcStartTime } from '../util/proc.js';
import { devicePath, pciDevicesDir } from './sysfs-inventory.js';

/**
 * Binding a device to vfio-pci and giving it back, the way the kernel wants
 * it (Documentation/driver-api/vfio.rst, ABI/testing/sysfs-bus-pci):
 *
 *   bind:    driver_override ← "vfio-pci"; drivers/<old>/unbind ← BDF; drivers_probe ← BDF
 *   restore: driver_override ← "\n" (clears it); drivers/vfio-pci/unbind ← BDF; drivers_probe ← BDF
 *            (and drivers/<old>/bind ← BDF if the probe picked another driver)
 *
 * A whole group moves at once. Before the first write, the original drivers
 * go into a journal in the store; a process killed half-way leaves the
 * journal behind and the next one restores the host drivers.
 */

export const VFIO_DRIVER = 'vfio-pci';

/** Where sysfs writes go: the kernel (real /sys) or, with simulation on, the sysfs simulator. */
export interface SysfsWriter {
  readonly simulated: boolean;
  write(file: string, value: string): void;
}

/** Plain writes to the files, for the real kernel. */
export const kernelSysfsWriter: SysfsWriter = {
  simulated: false,
  write(file, value) {
    writeFileSync(file, value);
  },
};

const JournalDevice = z.object({ address: z.string(), originalDriver: z.string().nullable() });
const PendingOp = z.object({
  kind: z.enum(['bind', 'restore']),
  group: z.number().int(),
  devices: z.array(JournalDevice),
  pid: z.number().int(),
  pidStartTime: z.number().int(),
  startedAt: z.string(),
});
export const HostBindingsFile = z.object({
  schemaVersion: z.literal(1),
  /** Devices Vessel bound to vfio-pci, with the driver to give them back to. */
  bound: z.record(z.string(), z.object({ originalDriver: z.string().nullable(), group: z.number().int(), boundAt: z.string() })),
  /** A bind or restore in progress (or interrupted). */
  pending: PendingOp.nullable(),
});
export type HostBindingsFile = z.infer<typeof HostBindingsFile>;

export function emptyBindings(): HostBindingsFile {
  return { schemaVersion: 1, bound: {}, pending: null };
}

export class BindingJournal {
  constructor(readonly file: string) {}

  read(): HostBindingsFile {
    if (!existsSync(this.file)) return emptyBindings();
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      throw new VesselError('E_CORRUPT_STATE', `the device binding journal ${this.file} is not valid JSON: check the drivers of your devices with 'vessel device list', then remove the file`);
    }
    const parsed = HostBindingsFile.safeParse(raw);
    if (!parsed.success) throw new VesselError('E_CORRUPT_STATE', `the device binding journal ${this.file} is malformed: ${parsed.error.issues[0]?.message ?? ''}`);
    return parsed.data;
  }

  async write(value: HostBindingsFile): Promise<void> {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file, `${JSON.stringify(value, null, 2)}\n`);
  }
}

export function bindWrites(root: string, devices: HostPciDevice[]): SysfsWrite[] {
  const writes: SysfsWrite[] = [];
  for (const d of devices) {
    if (d.driver === VFIO_DRIVER) continue;
    const dir = devicePath(root, d.address);
    writes.push({ path: path.join(dir, 'driver_override'), value: VFIO_DRIVER, why: `only vfio-pci may bind ${d.address} from now on` });
    if (d.driver !== null) writes.push({ path: path.join(root, 'bus/pci/drivers', d.driver, 'unbind'), value: d.address, why: `take ${d.address} from ${d.driver}` });
    writes.push({ path: path.join(root, 'bus/pci/drivers_probe'), value: d.address, why: `let vfio-pci probe ${d.address}` });
  }
  return writes;
}

export function restoreWrites(root: string, devices: HostPciDevice[]): SysfsWrite[] {
  const writes: SysfsWrite[] = [];
  for (const d of devices) {
    const dir = devicePath(root, d.address);
    if (d.driverOverride !== null) writes.push({ path: path.join(dir, 'driver_override'), value: '\n', why: `clear the vfio-pci override of ${d.address}` });
    if (d.driver === VFIO_DRIVER) writes.push({ path: path.join(root, 'bus/pci/drivers', VFIO_DRIVER, 'unbind'), value: d.address, why: `take ${d.address} from vfio-pci` });
    if (d.driver === VFIO_DRIVER || d.driver === null) writes.push({ path: path.join(root, 'bus/pci/drivers_probe'), value: d.address, why: `let the host driver probe ${d.address}` });
  }
  return writes;
}

/** Why a sysfs write failed, as something to do about it. */
export function translateWriteError(write: SysfsWrite, err: unknown): VesselError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const base = `writing "${write.value.trim() || '\\n'}" to ${write.path} failed (${code ?? (err instanceof Error ? err.message : String(err))})`;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new VesselError('E_PERMISSION', `${base}: rebinding host devices needs root; run vessel as root`, { path: write.path });
    case 'ENOENT':
      return new VesselError('E_MISSING_DEPENDENCY', `${base}: the driver is not loaded; run 'modprobe vfio-pci'`, { path: write.path });
    case 'EBUSY':
      return new VesselError('E_BUSY', `${base}: the device is busy in the host; stop what uses it and retry`, { path: write.path });
    default:
      return new VesselError('E_HYPERVISOR', base, { path: write.path });
  }
}

export interface GroupBindContext {
  root: string;
  group: IommuGroupView;
  devices: HostPciDevice[];
  writer: SysfsWriter;
  journal: BindingJournal;
  /** Re-read one device (its driver after a write). */
  readDriver(address: string): string | null;
  onProgress?: (message: string) => void;
}

function ownProcess(): { pid: number; pidStartTime: number } {
  return { pid: process.pid, pidStartTime: readProcStartTime(process.pid) ?? 0 };
}

function applyAll(writes: SysfsWrite[], writer: SysfsWriter, onProgress?: (m: string) => void): void {
  for (const w of writes) {
    onProgress?.(`${w.path} ← ${JSON.stringify(w.value)}`);
    try {
      writer.write(w.path, w.value);
    } catch (err) {
      throw translateWriteError(w, err);
    }
  }
}

/** Bind every assignable member of a group to vfio-pci, journalled; on failure the host drivers are put back. */
export async function bindGroup(ctx: GroupBindContext): Promise<void> {
  const targets = ctx.devices.filter((d) => ctx.group.assignable.includes(d.address));
  const state = ctx.journal.read();
  const jdevices = targets.map((d) => ({ address: d.address, originalDriver: d.driver === VFIO_DRIVER ? (state.bound[d.address]?.originalDriver ?? null) : d.driver }));
  await ctx.journal.write({ ...state, pending: { kind: 'bind', group: ctx.group.id, devices: jdevices, ...ownProcess(), startedAt: new Date().toISOString() } });
  try {
    applyAll(bindWrites(ctx.root, targets), ctx.writer, ctx.onProgress);
    for (const d of targets) {
      const now = ctx.readDriver(d.address);
      if (now !== VFIO_DRIVER) {
        throw new VesselError('E_HYPERVISOR', `vfio-pci did not take ${d.address} (it is ${now === null ? 'driverless' : `bound to ${now}`}); is the vfio-pci module loaded ('modprobe vfio-pci')?`, { address: d.address });
      }
    }
  } catch (err) {
    // Put the host drivers back; if that fails too, the journal stays for the next process.
    try {
      restoreDevices(ctx.root, jdevices, ctx.writer, ctx.readDriver);
      await ctx.journal.write({ ...ctx.journal.read(), pending: null });
    } catch {
      // left for recovery
    }
    throw err;
  }
  const after = ctx.journal.read();
  const bound = { ...after.bound };
  for (const d of jdevices) bound[d.address] = { originalDriver: d.originalDriver, group: ctx.group.id, boundAt: new Date().toISOString() };
  await ctx.journal.write({ ...after, bound, pending: null });
}

/** Give a group back to its host drivers, journalled. */
export async function restoreGroup(ctx: GroupBindContext): Promise<void> {
  const state = ctx.journal.read();
  const targets = ctx.devices.filter((d) => ctx.group.assignable.includes(d.address));
  const jdevices = targets.map((d) => ({ address: d.address, originalDriver: state.bound[d.address]?.originalDriver ?? (d.driver === VFIO_DRIVER ? null : d.driver) }));
  await ctx.journal.write({ ...state, pending: { kind: 'restore', group: ctx.group.id, devices: jdevices, ...ownProcess(), startedAt: new Date().toISOString() } });
  restoreDevices(ctx.root, jdevices, ctx.writer, ctx.readDriver, ctx.onProgress);
  const after = ctx.journal.read();
  const bound = { ...after.bound };
  for (const d of jdevices) delete bound[d.address];
  await ctx.journal.write({ ...after, bound, pending: null });
}

/** Clear the override, take the device from vfio-pci, re-probe; bind the original driver by name if the probe chose another. */
export function restoreDevices(
  root: string,
  devices: { address: string; originalDriver: string | null }[],
  writer: SysfsWriter,
  readDriver: (address: string) => string | null,
  onProgress?: (m: string) => void,
): void {
  for (const d of devices) {
    const dir = devicePath(root, d.address);
    if (!existsSync(dir)) continue; // the device went away (hot removed): nothing to restore
    const writes: SysfsWrite[] = [{ path: path.join(dir, 'driver_override'), value: '\n', why: 'clear the override' }];
    const now = readDriver(d.address);
    if (now !== null && now !== d.originalDriver) writes.push({ path: path.join(root, 'bus/pci/drivers', now, 'unbind'), value: d.address, why: `take it from ${now}` });
    if (now !== d.originalDriver) writes.push({ path: path.join(root, 'bus/pci/drivers_probe'), value: d.address, why: 'let the host driver probe it' });
    applyAll(writes, writer, onProgress);
    if (d.originalDriver !== null && readDriver(d.address) !== d.originalDriver) {
      const bind = { path: path.join(root, 'bus/pci/drivers', d.originalDriver, 'bind'), value: d.address, why: `bind ${d.originalDriver} by name` };
      applyAll([bind], writer, onProgress);
    }
  }
}

/**
 * Finish what a killed process left half-done: every device of an interrupted
 * bind or restore goes back to its host driver. Returns what was done.
 */
export async function recoverJournal(root: string, journal: BindingJournal, writer: SysfsWriter, readDriver: (address: string) => string | null): Promise<string[]> {
  const state = journal.read();
  const op = state.pending;
  if (!op) return [];
  if (isSameProcess(op.pid, op.pidStartTime) && op.pid !== process.pid) return []; // still running elsewhere
  if (!existsSync(pciDevicesDir(root))) return [];
  restoreDevices(root, op.devices, writer, readDriver);
  const bound = { ...state.bound };
  for (const d of op.devices) delete bound[d.address];
  await journal.write({ ...state, bound, pending: null });
  return [`an interrupted ${op.kind} of IOMMU group ${op.group} (pid ${op.pid}) was undone: ${op.devices.map((d) => `${d.address} → ${d.originalDriver ?? 'no driver'}`).join(', ')}`];
}
