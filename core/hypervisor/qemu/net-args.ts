// QEMU arguments of the NICs cold-plugged at boot. Taps arrive as inherited
// fds (3, 4, ... in order: see tapfd.ts), never as an ifname= QEMU would
// have to create; user-mode NICs use QEMU's built-in slirp.
import { VesselError, type MachineType } from '../../contract/index.js';
import type { UserHostForward, VmNetworkConfig } from '../hypervisor.js';

/** The first fd the tap helper hands QEMU. */
export const FIRST_TAP_FD = 3;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const NIC_ID = /^net\d{1,2}$/;

export function virtioNetDevice(machine: MachineType): string {
  return machine === 'microvm' ? 'virtio-net-device' : 'virtio-net-pci';
}

/** What the helper opens (in order) as fds FIRST_TAP_FD..: a tap by name, or a macvtap character device. */
export type TapRef = string | { device: string };

export function tapsToOpen(net: VmNetworkConfig | undefined): TapRef[] {
  return (net?.nics ?? []).flatMap((n): TapRef[] => (n.kind === 'tap' ? [n.device ? { device: n.device } : n.tap] : []));
}

/** passt's socket path, checked once for the boot-time -netdev and the hot-plugged netdev_add: absolute, no control characters, no comma (an option separator). */
export function assertPasstSocketPath(nicId: string, socketPath: string): void {
  // eslint-disable-next-line no-control-regex
  if (!socketPath.startsWith('/') || /[\u0000-\u001f,]/.test(socketPath)) throw new VesselError('E_INVALID_ARGUMENT', `invalid passt socket path for ${nicId}`);
}

/** One slirp forward as QEMU spells it (hostfwd= at boot, netdev_add's hostfwd list when hot plugged). */
export function userForwardSpec(f: UserHostForward): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(f.hostIp)) throw new VesselError('E_INVALID_ARGUMENT', `invalid host IP ${f.hostIp}`);
  return `${f.protocol}:${f.hostIp}:${f.hostPort}-:${f.guestPort}`;
}

export function networkArgs(net: VmNetworkConfig | undefined, machine: MachineType): string[] {
  if (!net) return [];
  const args: string[] = [];
  let fd = FIRST_TAP_FD;
  for (const nic of net.nics) {
    if (!NIC_ID.test(nic.id)) throw new VesselError('E_INVALID_ARGUMENT', `invalid NIC id "${nic.id}" (net0..net99)`);
    if (!MAC.test(nic.mac)) throw new VesselError('E_INVALID_ARGUMENT', `invalid MAC "${nic.mac}" for ${nic.id} (lowercase aa:bb:cc:dd:ee:ff)`);
    if (nic.kind === 'vfio') {
      if (!/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(nic.pciAddress)) throw new VesselError('E_INVALID_ARGUMENT', `invalid PCI address "${nic.pciAddress}" for ${nic.id} (dddd:bb:dd.f)`);
      // The device keeps its own MAC: VFIO passes the whole function.
      args.push('-device', `vfio-pci,host=${nic.pciAddress},id=${nic.id}-dev`);
      continue;
    }
    if (nic.kind === 'vhost-user') {
      // eslint-disable-next-line no-control-regex
      if (!nic.socketPath.startsWith('/') || /[\u0000-\u001f]/.test(nic.socketPath)) throw new VesselError('E_INVALID_ARGUMENT', `invalid vhost-user socket path for ${nic.id}`);
      args.push('-chardev', `socket,id=${nic.id}-chr,path=${nic.socketPath.replaceAll(',', ',,')}`, '-netdev', `vhost-user,id=${nic.id},chardev=${nic.id}-chr`);
    } else if (nic.kind === 'tap') {
      if (!net.netnsPath) throw new VesselError('E_INVALID_ARGUMENT', `NIC ${nic.id} is a tap but no network namespace was given`);
      // vhost=off: this host has no /dev/vhost-net (DESIGN facts); the tap carries vnet headers either way.
      args.push('-netdev', `tap,id=${nic.id},fd=${fd++}`);
    } else if (nic.kind === 'stream') {
      assertPasstSocketPath(nic.id, nic.socketPath);
      // passt's protocol (QEMU ≥ 7.2): a stream of frames on a unix socket passt listens on.
      args.push('-netdev', `stream,id=${nic.id},server=off,addr.type=unix,addr.path=${nic.socketPath}`);
    } else {
      const fwds = nic.hostForwards.map((f) => `,hostfwd=${userForwardSpec(f)}`).join('');
      args.push('-netdev', `user,id=${nic.id},net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3${fwds}`);
    }
    const bus = 'bus' in nic && nic.bus !== undefined ? nic.bus : null;
    if (bus !== null && (machine === 'microvm' || !/^rp\d{1,3}$/.test(bus))) throw new VesselError('E_INVALID_ARGUMENT', `invalid root port "${bus}" for ${nic.id}`);
    // romfile= : no PXE option ROM (nothing boots from the network; faster start).
    args.push('-device', `${virtioNetDevice(machine)},netdev=${nic.id},id=${nic.id}-dev,mac=${nic.mac}${bus ? `,bus=${bus}` : ''}${machine === 'microvm' ? '' : ',romfile='}`);
  }
  return args;
}
