import { describe, expect, it } from 'vitest';
import { VesselError } from '../contract/index.js';
import { pluginInput } from './cni.js';
import { cidrContains, cidrsOverlap, hostAddress, parseCidr } from './ipv4.js';
import { guestResolvLines } from './manager.js';
import { confList, validateIfName, type NetworkRecord } from './networks.js';
import { parsePortMapping } from './ports.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof VesselError ? err.code : 'not a VesselError';
  }
  return undefined;
}

describe('IPv4 arithmetic', () => {
  it('parses CIDRs to their network and refuses garbage', () => {
    expect(parseCidr('10.89.3.77/24').networkText).toBe('10.89.3.0');
    expect(hostAddress('10.89.3.0/24', 1)).toBe('10.89.3.1');
    for (const bad of ['10.89.3.0', '10.89.3.0/33', '300.1.1.1/24', 'x/24', '10.0.0.0/24/1']) expect(code(() => parseCidr(bad))).toBe('E_INVALID_ARGUMENT');
  });
  it('detects overlapping subnets and containment', () => {
    expect(cidrsOverlap('10.89.0.0/16', '10.89.7.0/24')).toBe(true);
    expect(cidrsOverlap('10.89.0.0/24', '10.89.1.0/24')).toBe(false);
    expect(cidrContains('10.89.0.0/24', '10.89.0.1')).toBe(true);
    expect(cidrContains('10.89.0.0/24', '10.89.0.255')).toBe(false); // broadcast
    expect(cidrContains('10.89.0.0/24', '10.90.0.1')).toBe(false);
  });
});

describe('-p port mappings', () => {
  it('defaults the host IP to 127.0.0.1 and the protocol to tcp', () => {
    expect(parsePortMapping('8080:80')).toEqual({ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' });
    expect(parsePortMapping('0.0.0.0:53:5353/udp')).toEqual({ hostIp: '0.0.0.0', hostPort: 53, containerPort: 5353, protocol: 'udp' });
  });
  it('refuses invalid ports, protocols and host IPs with the mapping in the message', () => {
    for (const bad of ['80', '0:80', '70000:80', '80:80/sctp', 'host:80:80', '1:2:3:4', '80:x']) {
      expect(code(() => parsePortMapping(bad))).toBe('E_INVALID_ARGUMENT');
    }
    expect(() => parsePortMapping('70000:80')).toThrow(/70000/);
  });
});

describe('interface names', () => {
  it('refuses names over 15 characters (the kernel limit) and odd characters', () => {
    expect(code(() => validateIfName('a234567890123456', 'parent'))).toBe('E_INVALID_ARGUMENT');
    expect(() => validateIfName('a234567890123456', 'parent')).toThrow(/16 characters/);
    expect(code(() => validateIfName('eth0;rm', 'parent'))).toBe('E_INVALID_ARGUMENT');
    expect(code(() => validateIfName('eth0', 'parent'))).toBeUndefined();
  });
});

const bridgeNet: NetworkRecord = {
  schemaVersion: 1, name: 'lab', driver: 'bridge', subnet: '10.89.5.0/24', gateway: '10.89.5.1', hostInterface: 'vslabcdef12',
  internal: false, isDefault: false, ipamDir: '/tmp/ipam', createdAt: '2026-01-01T00:00:00Z', model: 'tcfilter',
};

describe('CNI conflists', () => {
  it('a bridge network chains bridge (host-local IPAM, NAT), portmap, firewall and tuning', () => {
    const list = confList(bridgeNet);
    expect(list.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap', 'firewall', 'tuning']);
    expect(list.plugins[0]).toMatchObject({ bridge: 'vslabcdef12', isGateway: true, ipMasq: true, ipam: { type: 'host-local', dataDir: '/tmp/ipam', routes: [{ dst: '0.0.0.0/0' }] } });
  });
  it('an internal network has no NAT and no default route', () => {
    const list = confList({ ...bridgeNet, internal: true });
    expect(list.plugins[0]).toMatchObject({ ipMasq: false });
    expect((list.plugins[0]?.ipam as Record<string, unknown>).routes).toBeUndefined();
  });
  it('hands portmap its port mappings as runtimeConfig, and the previous result', () => {
    const list = confList(bridgeNet);
    const portmap = list.plugins[1];
    if (!portmap) throw new Error('no portmap');
    const prev = { cniVersion: '1.0.0', interfaces: [], ips: [{ address: '10.89.5.2/24' }], routes: [], dns: {} };
    const input = pluginInput(list, portmap, { containerId: 'c', netnsPath: '/n', ifName: 'eth0', portMappings: [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }] }, prev);
    expect(input.runtimeConfig).toEqual({ portMappings: [{ hostIP: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
    expect(input.prevResult).toBe(prev);
    expect(input.capabilities).toBeUndefined();
    expect(input.name).toBe('vessel-lab');
  });
});

describe('guest DNS from the host resolv.conf', () => {
  it('keeps nameserver/search/options lines but drops loopback resolvers the guest cannot reach', () => {
    expect(guestResolvLines('# x\nnameserver 127.0.0.53\nnameserver 10.1.2.3\nsearch lan\noptions edns0\nnameserver ::1\n')).toEqual(['nameserver 10.1.2.3', 'search lan', 'options edns0']);
  });
});

describe('rootless default (no host changes)', () => {
  it('without root a sandbox gets user-mode networking with QEMU slirp, the test resolv.conf lines, and its forwards as hostfwd', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const pathMod = await import('node:path');
    const { CniNetworkManager } = await import('./manager.js');
    const root = mkdtempSync(pathMod.join(tmpdir(), 'vessel-rootless-'));
    try {
      writeFileSync(pathMod.join(root, 'resolv.conf'), 'nameserver 127.0.0.53\nnameserver 10.9.9.9\n');
      // No passt (a path that does not exist): user mode falls back to QEMU's slirp.
      const mgr = new CniNetworkManager({ root, privileged: false, resolvConfPath: pathMod.join(root, 'resolv.conf'), passtPath: pathMod.join(root, 'no-passt') });
      const hostPort = 40000 + Math.floor(Math.random() * 9999);
      const rec = await mgr.setupSandbox('sb1', { ports: [{ hostIp: '127.0.0.1', hostPort, containerPort: 80, protocol: 'tcp' }] });
      expect(rec).toMatchObject({ mode: 'user', netnsPath: null, dns: ['nameserver 10.9.9.9'] });
      expect(mgr.vmNetwork(rec)?.nics[0]).toMatchObject({ kind: 'user', hostForwards: [{ protocol: 'tcp', hostIp: '127.0.0.1', hostPort, guestPort: 80 }] });
      // The same host port for another sandbox is refused by name.
      await expect(mgr.setupSandbox('sb4', { ports: [{ hostIp: '127.0.0.1', hostPort, containerPort: 81, protocol: 'tcp' }] })).rejects.toThrow(new RegExp(`host port ${hostPort}/tcp is already forwarded`));
      const plain = await mgr.setupSandbox('sb2', {});
      expect(plain.mode).toBe('user');
      expect(plain.reason).toMatch(/without root.*backend slirp: passt is not installed/);
      expect(mgr.vmNetwork(plain)?.nics[0]).toMatchObject({ kind: 'user', id: 'net0' });
      expect(mgr.guestConfig(plain).interfaces[0]?.ips).toEqual([{ address: '10.0.2.15', prefix: 24 }]);
      expect(mgr.status(plain).datapath).toBe('user-mode (QEMU slirp)');
      await expect(mgr.setupSandbox('sb3', { network: 'vessel' })).rejects.toThrow(/needs root/);
      await mgr.teardownSandbox('sb2');
      expect(mgr.read('sb2')).toBeNull();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
