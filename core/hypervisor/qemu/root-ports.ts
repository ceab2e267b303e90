import { VesselError } from '../../contract/index.js';
import type { BlockSource, ColdPlugDevice, PciModel } from '../devices.js';
import { escapeQemuOptValue } from './cmdline.js';

/**
 * The PCIe root-port pool of a q35 VM, and what is cold plugged onto it.
 * Every hot-pluggable PCIe device needs a port of its own (pcie.0 itself has
 * no hotplug); large-BAR devices (GPUs) need one too. Port I is
 * `-device pcie-root-port,id=rpI,bus=pcie.0,chassis=I+1,slot=I+1`; a free
 * port is found from QEMU (query-pci), never from bookkeeping.
 */

export const DEFAULT_PCIE_ROOT_PORTS = 8;
/** Kata's limit; QEMU would take more, the guest's bus numbers would not. */
export const MAX_PCIE_ROOT_PORTS = 16;

export function rootPortId(index: number): string {
  return `rp${index}`;
}

export function rootPortArgs(count: number): string[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_PCIE_ROOT_PORTS) {
    throw new VesselError('E_INVALID_ARGUMENT', `the number of PCIe root ports must be a whole number from 0 to ${MAX_PCIE_ROOT_PORTS}, got ${String(count)}`);
  }
  const args: string[] = [];
  for (let i = 0; i < count; i += 1) args.push('-device', `pcie-root-port,id=${rootPortId(i)},bus=pcie.0,chassis=${i + 1},slot=${i + 1}`);
  return args;
}

const QEMU_ID = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export function checkDeviceId(id: string): void {
  if (!QEMU_ID.test(id)) throw new VesselError('E_INVALID_ARGUMENT', `invalid device id "${id}": a letter, then letters, digits, "-", "_" or "."`);
}

const PCI_HOST = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/;

/** device_add / -device properties of a PCI model. */
export function pciDeviceProps(id: string, model: PciModel, bus: string): Record<string, string> {
  checkDeviceId(id);
  if (model.kind === 'vfio') {
    if (!PCI_HOST.test(model.host)) throw new VesselError('E_INVALID_ARGUMENT', `invalid host PCI address "${model.host}"`);
    return { driver: 'vfio-pci', host: model.host, id, bus };
  }
  return { driver: model.model, id, bus };
}

export function blockNodeName(id: string): string {
  return `${id}-node`;
}

export function blockdevOptions(id: string, source: BlockSource): Record<string, unknown> {
  return {
    driver: source.format,
    'node-name': blockNodeName(id),
    'read-only': source.readOnly,
    file: { driver: source.hostDevice ? 'host_device' : 'file', filename: source.file, 'read-only': source.readOnly },
  };
}

function propsArg(props: Record<string, string>): string {
  const { driver, ...rest } = props;
  return [driver, ...Object.entries(rest).map(([k, v]) => `${k}=${escapeQemuOptValue(v)}`)].join(',');
}

/** Root ports, then each cold-plugged device on its own port (rp0, rp1, … in order). */
export function coldPlugArgs(rootPorts: number, devices: readonly ColdPlugDevice[]): string[] {
  if (devices.length > rootPorts) {
    throw new VesselError('E_INVALID_ARGUMENT', `${devices.length} devices to cold plug but only ${rootPorts} PCIe root ports: start the sandbox with more (--pcie-root-ports)`);
  }
  const args = rootPortArgs(rootPorts);
  const pinned = new Set(devices.flatMap((d) => (d.bus ? [d.bus] : [])));
  for (const bus of pinned) {
    if (!/^rp\d+$/.test(bus) || Number(bus.slice(2)) >= rootPorts) throw new VesselError('E_INVALID_ARGUMENT', `device bus "${bus}" is not one of the ${rootPorts} root ports (rp0…rp${rootPorts - 1})`);
  }
  if (pinned.size !== devices.filter((d) => d.bus).length) throw new VesselError('E_INVALID_ARGUMENT', 'two devices pinned to one root port');
  let next = 0;
  devices.forEach((d) => {
    let bus = d.bus;
    if (!bus) {
      while (pinned.has(rootPortId(next))) next += 1;
      bus = rootPortId(next);
      next += 1;
    }
    if (d.kind === 'pci') {
      args.push('-device', propsArg(pciDeviceProps(d.id, d.model, bus)));
    } else {
      checkDeviceId(d.id);
      const node = blockNodeName(d.id);
      const ro = d.source.readOnly ? 'on' : 'off';
      args.push(
        '-blockdev', `driver=${d.source.format},node-name=${node},read-only=${ro},file.driver=${d.source.hostDevice ? 'host_device' : 'file'},file.filename=${escapeQemuOptValue(d.source.file)}`,
        '-device', `virtio-blk-pci,drive=${node},id=${d.id},bus=${bus}`,
      );
    }
  });
  return args;
}
