import { describe, expect, it } from 'vitest';
import { VesselError } from '../../contract/index.js';
import { networkArgs, tapsToOpen } from './net-args.js';
import { hostfwdAddCommand, hostfwdRemoveCommand } from './user-forwards.js';
import { rootPortArgs } from './root-ports.js';
import { wrapInNetns } from './tapfd.js';
import { netdevArgs } from './nic-hotplug.js';
import { nicHotplugPlan, type VmNetworkConfig } from '../hypervisor.js';

describe('NIC arguments', () => {
  it('a tap NIC is an inherited fd (never ifname=), in order from fd 3, on virtio-net-pci with the MAC and no option ROM', () => {
    const net = { netnsPath: '/run/netns/x', nics: [
      { kind: 'tap' as const, id: 'net0', tap: 'tap0_vsl', mac: 'aa:bb:cc:dd:ee:01' },
      { kind: 'tap' as const, id: 'net1', tap: 'tap1_vsl', mac: 'aa:bb:cc:dd:ee:02' },
    ] };
    expect(networkArgs(net, 'q35')).toEqual([
      '-netdev', 'tap,id=net0,fd=3', '-device', 'virtio-net-pci,netdev=net0,id=net0-dev,mac=aa:bb:cc:dd:ee:01,romfile=',
      '-netdev', 'tap,id=net1,fd=4', '-device', 'virtio-net-pci,netdev=net1,id=net1-dev,mac=aa:bb:cc:dd:ee:02,romfile=',
    ]);
    expect(tapsToOpen(net)).toEqual(['tap0_vsl', 'tap1_vsl']);
    expect(networkArgs(net, 'microvm')[3]).toBe('virtio-net-device,netdev=net0,id=net0-dev,mac=aa:bb:cc:dd:ee:01');
  });
  it('user-mode networking carries the host forwards', () => {
    const args = networkArgs({ nics: [{ kind: 'user', id: 'net0', mac: '52:54:00:00:00:01', hostForwards: [{ protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, guestPort: 80 }] }] }, 'q35');
    expect(args[1]).toBe('user,id=net0,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,hostfwd=tcp:127.0.0.1:8080-:80');
  });
  it('a passt NIC is a stream netdev on passt\'s unix socket (QEMU ≥ 7.2); a path with a comma is refused', () => {
    expect(networkArgs({ nics: [{ kind: 'stream', id: 'net0', mac: '52:54:00:00:00:01', socketPath: '/run/x/passt.sock' }] }, 'q35')).toEqual([
      '-netdev', 'stream,id=net0,server=off,addr.type=unix,addr.path=/run/x/passt.sock',
      '-device', 'virtio-net-pci,netdev=net0,id=net0-dev,mac=52:54:00:00:00:01,romfile=',
    ]);
    expect(() => networkArgs({ nics: [{ kind: 'stream', id: 'net0', mac: '52:54:00:00:00:01', socketPath: '/run/a,b/passt.sock' }] }, 'q35')).toThrow(/invalid passt socket path/);
  });
  it('live user-mode forwards are HMP hostfwd_add/hostfwd_remove lines; bad input never reaches the monitor', () => {
    const f = { protocol: 'tcp' as const, hostIp: '127.0.0.1', hostPort: 8080, guestPort: 80 };
    expect(hostfwdAddCommand('net0', f)).toBe('hostfwd_add net0 tcp:127.0.0.1:8080-:80');
    expect(hostfwdRemoveCommand('net0', { ...f, protocol: 'udp' })).toBe('hostfwd_remove net0 udp:127.0.0.1:8080');
    expect(() => hostfwdAddCommand('net0; quit', f)).toThrow(/invalid NIC id/);
    expect(() => hostfwdAddCommand('net0', { ...f, hostIp: '1.2.3.4 quit' })).toThrow(/invalid host IP/);
    expect(() => hostfwdAddCommand('net0', { ...f, guestPort: 70000 })).toThrow(/invalid port/);
  });
  it('vhost-user and physical (VFIO) NICs: their arguments exist though no endpoint uses them here yet', () => {
    expect(networkArgs({ nics: [{ kind: 'vhost-user', id: 'net0', mac: 'aa:bb:cc:dd:ee:01', socketPath: '/run/vu,0.sock' }] }, 'q35')).toEqual([
      '-chardev', 'socket,id=net0-chr,path=/run/vu,,0.sock', '-netdev', 'vhost-user,id=net0,chardev=net0-chr',
      '-device', 'virtio-net-pci,netdev=net0,id=net0-dev,mac=aa:bb:cc:dd:ee:01,romfile=',
    ]);
    expect(networkArgs({ nics: [{ kind: 'vfio', id: 'net1', mac: 'aa:bb:cc:dd:ee:02', pciAddress: '0000:03:00.0' }] }, 'q35')).toEqual(['-device', 'vfio-pci,host=0000:03:00.0,id=net1-dev']);
    expect(() => networkArgs({ nics: [{ kind: 'vfio', id: 'net1', mac: 'aa:bb:cc:dd:ee:02', pciAddress: '03:00.0;x' }] }, 'q35')).toThrow(/invalid PCI address/);
  });
  it('refuses a bad MAC, a bad id and a tap without a namespace', () => {
    const bad = [
      { nics: [{ kind: 'tap' as const, id: 'net0', tap: 't', mac: 'AA:BB' }], netnsPath: '/n' },
      { nics: [{ kind: 'tap' as const, id: 'eth0', tap: 't', mac: 'aa:bb:cc:dd:ee:01' }], netnsPath: '/n' },
      { nics: [{ kind: 'tap' as const, id: 'net0', tap: 't', mac: 'aa:bb:cc:dd:ee:01' }] },
    ];
    for (const b of bad) expect(() => networkArgs(b, 'q35')).toThrow(VesselError);
  });
  it('QEMU runs through the helper, inside the namespace, with the taps to open', () => {
    expect(wrapInNetns('/h', '/run/netns/x', ['tap0_vsl'], '/usr/bin/qemu', ['-m', '1G'])).toEqual({
      file: '/h', args: ['exec', '--netns', '/run/netns/x', '--tap', 'tap0_vsl', '--', '/usr/bin/qemu', '-m', '1G'],
    });
  });
});

describe('PCIe root ports', () => {
  it('renders rpI on pcie.0 with chassis/slot I+1', () => {
    expect(rootPortArgs(2)).toEqual(['-device', 'pcie-root-port,id=rp0,bus=pcie.0,chassis=1,slot=1', '-device', 'pcie-root-port,id=rp1,bus=pcie.0,chassis=2,slot=2']);
  });
});

describe('NICs hot plugged into a restored VM (netdev_add)', () => {
  const user: VmNetworkConfig = { nics: [{ kind: 'user', id: 'net0', mac: 'aa:bb:cc:dd:ee:01', hostForwards: [{ protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, guestPort: 80 }] }] };
  it('the hot plug of each NIC kind has the backend its boot-time -netdev has', () => {
    const plan = nicHotplugPlan({
      netnsPath: '/run/netns/x',
      nics: [
        { kind: 'tap', id: 'net0', tap: 'tap0_vsl', mac: 'aa:bb:cc:dd:ee:01' },
        { kind: 'stream', id: 'net1', mac: 'aa:bb:cc:dd:ee:02', socketPath: '/run/v/passt.sock' },
        ...user.nics.map((n) => ({ ...n, id: 'net2' })),
      ],
    });
    if (!('nics' in plan)) throw new Error(plan.reason);
    expect(plan.nics.map((n) => netdevArgs(n, `fd-${n.id}`))).toEqual([
      { type: 'tap', id: 'net0', fd: 'fd-net0' },
      { type: 'stream', id: 'net1', server: false, addr: { type: 'unix', path: '/run/v/passt.sock' } },
      { type: 'user', id: 'net2', net: '10.0.2.0/24', host: '10.0.2.2', dns: '10.0.2.3', hostfwd: [{ str: 'tcp:127.0.0.1:8080-:80' }] },
    ]);
    // The same slirp network and forward as at boot.
    expect(networkArgs(user, 'q35').join(' ')).toContain('net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,hostfwd=tcp:127.0.0.1:8080-:80');
  });
  it('a restore puts a NIC that was hot plugged back on its root port at boot; a bad port is refused', () => {
    const pinned: VmNetworkConfig = { nics: [{ ...(user.nics[0] as VmNetworkConfig['nics'][number] & { kind: 'user' }), bus: 'rp2' }] };
    expect(networkArgs(pinned, 'q35')[3]).toBe('virtio-net-pci,netdev=net0,id=net0-dev,mac=aa:bb:cc:dd:ee:01,bus=rp2,romfile=');
    expect(() => networkArgs({ nics: [{ ...(pinned.nics[0] as VmNetworkConfig['nics'][number] & { kind: 'user' }), bus: 'rp0,addr=1' }] }, 'q35')).toThrow(VesselError);
  });
  it('vhost-user and VFIO NICs, and a tap without a namespace, are not planned (the reason says which)', () => {
    expect(nicHotplugPlan({ nics: [{ kind: 'vfio', id: 'net0', mac: 'aa:bb:cc:dd:ee:01', pciAddress: '0000:01:00.0' }] })).toEqual({ reason: 'NIC net0 is vfio, which is not hot plugged into a restored VM' });
    expect(nicHotplugPlan({ nics: [{ kind: 'tap', id: 'net0', tap: 't', mac: 'aa:bb:cc:dd:ee:01' }] })).toEqual({ reason: 'NIC net0 is a tap but no network namespace was given' });
    expect(nicHotplugPlan(undefined)).toEqual({ nics: [] });
  });
});
