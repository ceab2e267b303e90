// The q35 pool of PCIe root ports that hot-plugged devices (NICs, VFIO, block)
// go on. A free port is found from QEMU itself (query-pci), never from
// bookkeeping that could go stale.
import { z } from 'zod';
import { VesselError } from '../../contract/index.js';

export const DEFAULT_PCIE_ROOT_PORTS = 8;

export function rootPortId(i: number): string {
  return `rp${i}`;
}

/** `-device pcie-root-port,id=rpI,bus=pcie.0,chassis=I+1,slot=I+1` for I = 0..count-1. */
export function rootPortArgs(count: number): string[] {
  if (!Number.isInteger(count) || count < 0 || count > 32) throw new VesselError('E_INVALID_ARGUMENT', `pcieRootPorts must be 0-32, got ${count}`);
  const args: string[] = [];
  for (let i = 0; i < count; i++) args.push('-device', `pcie-root-port,id=${rootPortId(i)},bus=pcie.0,chassis=${i + 1},slot=${i + 1}`);
  return args;
}

interface PciDevice {
  qdev_id?: string;
  pci_bridge?: { bus?: { devices?: PciDevice[] } };
}
const PciDeviceSchema: z.ZodType<PciDevice> = z.lazy(() => z.object({
  qdev_id: z.string().optional(),
  pci_bridge: z.object({ bus: z.object({ devices: z.array(PciDeviceSchema).optional() }).loose().optional() }).loose().optional(),
}).loose());
export const QueryPciReply = z.array(z.object({ bus: z.number(), devices: z.array(PciDeviceSchema) }).loose());

/** The first root port (rpN) whose secondary bus holds no device, from a query-pci reply. */
export function freeRootPort(reply: z.infer<typeof QueryPciReply>): string | null {
  const ports: { id: string; used: boolean }[] = [];
  const walk = (devices: PciDevice[]): void => {
    for (const d of devices) {
      if (d.qdev_id && /^rp\d+$/.test(d.qdev_id)) ports.push({ id: d.qdev_id, used: (d.pci_bridge?.bus?.devices ?? []).length > 0 });
      if (d.pci_bridge?.bus?.devices) walk(d.pci_bridge.bus.devices);
    }
  };
  for (const bus of reply) walk(bus.devices);
  ports.sort((a, b) => Number(a.id.slice(2)) - Number(b.id.slice(2)));
  return ports.find((p) => !p.used)?.id ?? null;
}
