import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { GuestNetwork, hostsFile, networkFileMounts, orderRoutes, parseProcNetDev, routeArgs, type GuestRoute } from './network.js';

const PROC_NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0:    1622      21    1    2    0     0          0         0     1040      14    3    4    0     0       0          0
`;

describe('guest network', () => {
  it('parses /proc/net/dev counters', () => {
    expect(parseProcNetDev(PROC_NET_DEV)[1]).toEqual({ name: 'eth0', rxBytes: 1622, rxPackets: 21, rxErrors: 1, rxDropped: 2, txBytes: 1040, txPackets: 14, txErrors: 3, txDropped: 4 });
  });
  it('adds gateway-less routes first, so the gateways of the others are reachable', () => {
    const r = (dest: string, gateway: string): GuestRoute => ({ dest, gateway, device: 'eth0', source: '', family: 'v4', mtu: 0 });
    expect(orderRoutes([r('default', '10.0.0.1'), r('10.0.0.0/24', '')]).map((x) => x.dest)).toEqual(['10.0.0.0/24', 'default']);
    expect(routeArgs(r('default', '10.0.0.1'), 'eth0')).toEqual(['-4', 'route', 'replace', 'default', 'via', '10.0.0.1', 'dev', 'eth0']);
  });
  it('writes hosts with the sandbox name on its addresses', () => {
    expect(hostsFile('web', ['10.89.0.2'])).toContain('10.89.0.2\tweb');
    expect(hostsFile('web', [])).toContain('127.0.1.1\tweb');
  });
  it('finds the NIC by MAC, renames it, sets MTU and addresses, brings it up', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vessel-guestnet-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const sys = path.join(dir, 'sys');
    mkdirSync(path.join(sys, 'enp0s3'), { recursive: true });
    writeFileSync(path.join(sys, 'enp0s3', 'address'), 'aa:bb:cc:dd:ee:01\n');
    const calls: string[][] = [];
    const net = new GuestNetwork(sys, '/dev/null', path.join(dir, 'files'), (args) => { calls.push(args); return Promise.resolve(''); });
    net.writeSandboxFiles('web', ['nameserver 10.9.9.9']);
    const out = await net.updateInterface({ device: '', name: 'eth0', hwAddr: 'AA:BB:CC:DD:EE:01', mtu: 1400, IPAddresses: [{ family: 'v4', address: '10.89.0.2', mask: '24' }] });
    expect(out.name).toBe('eth0');
    expect(calls).toEqual([
      ['link', 'set', 'dev', 'enp0s3', 'down'], ['link', 'set', 'dev', 'enp0s3', 'name', 'eth0'], ['link', 'set', 'dev', 'eth0', 'mtu', '1400'],
      ['addr', 'flush', 'dev', 'eth0'], ['-4', 'addr', 'add', '10.89.0.2/24', 'dev', 'eth0'], ['link', 'set', 'dev', 'eth0', 'up'],
    ]);
    expect(readFileSync(path.join(dir, 'files', 'resolv.conf'), 'utf8')).toBe('nameserver 10.9.9.9\n');
    expect(readFileSync(path.join(dir, 'files', 'hosts'), 'utf8')).toContain('10.89.0.2\tweb');
    expect(networkFileMounts(path.join(dir, 'files')).map((m) => m.destination)).toEqual(['/etc/resolv.conf', '/etc/hosts', '/etc/hostname']);
    await expect(net.linkByMac('00:00:00:00:00:09', 200)).rejects.toThrow(/no network interface with MAC/);
  });
});
