// Networks and sandbox namespaces on the real host tools, without a VM: CNI
// plugins from Debian, iproute2, tc, iptables. Bad input, clean-up that
// leaves nothing, and recovery from a vessel process SIGKILLed at each step.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VesselError } from '../contract/index.js';
import { ip, tc } from './exec.js';
import { networkLeftovers } from './leftovers.js';
import { CniNetworkManager } from './manager.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = path.join(repo, 'dist', 'core', 'network', 'index.js');

function skipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, bridges, iptables)';
  if (!existsSync('/usr/lib/cni/bridge')) return 'no CNI plugins in /usr/lib/cni (Debian containernetworking-plugins)';
  if (!existsSync(DIST)) return 'no dist/ build (npm run build)';
  return null;
}
const reason = skipReason();
if (reason) console.log(`[network.int] skipped: ${reason}`);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof VesselError ? `${err.code}: ${err.message}` : `not a VesselError: ${String(err)}`;
  }
  return 'no error';
}

function sandboxId(): string {
  return randomBytes(16).toString('hex');
}

describe.skipIf(reason !== null)('networks and sandbox namespaces (real CNI plugins, no VM)', () => {
  let root: string;
  let mgr: CniNetworkManager;
  let subnet: string;
  const tag = randomBytes(3).toString('hex');
  const net = `t${tag}`;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'vessel-netint-'));
    mgr = new CniNetworkManager({ root, resolvConfPath: '/dev/null' });
    const info = await mgr.networks.create({ name: net });
    subnet = info.subnet;
  });

  afterAll(async () => {
    await mgr.networks.remove(net).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses bad networks with clear errors and makes nothing', async () => {
    expect(await code(mgr.networks.create({ name: `o${tag}`, subnet }))).toMatch(/^E_INVALID_ARGUMENT: subnet .* overlaps network/);
    expect(await code(mgr.networks.create({ name: `c${tag}`, subnet: '10.1.2.0/33' }))).toMatch(/^E_INVALID_ARGUMENT: .*not an IPv4 CIDR/);
    expect(await code(mgr.networks.create({ name: `g${tag}`, subnet: '10.93.200.0/24', gateway: '10.93.201.1' }))).toMatch(/^E_INVALID_ARGUMENT: gateway .* not inside/);
    expect(await code(mgr.networks.create({ name: 'user' }))).toMatch(/^E_INVALID_ARGUMENT: "user" is reserved/);
    expect(await code(mgr.networks.create({ name: net }))).toMatch(/^E_ALREADY_EXISTS/);
    expect(await code(mgr.networks.create({ name: `m${tag}`, driver: 'macvlan', parent: 'averyveryverylongname0' }))).toMatch(/^E_INVALID_ARGUMENT: parent interface .* at most 15/);
    expect(await code(mgr.networks.inspect('nosuchnet'))).toMatch(/^E_NOT_FOUND: no network named "nosuchnet"/);
    expect(await code(mgr.setupSandbox(sandboxId(), { network: 'nosuchnet' }))).toMatch(/^E_NOT_FOUND/);
    expect((await mgr.networks.list()).map((n) => n.name)).toContain(net);
    expect((await mgr.networks.list()).filter((n) => n.name.endsWith(tag)).map((n) => n.name)).toEqual([net]);
  });

  it('sets up a namespace with a veth + tcfilter tap, refuses to delete the network in use, and tears down to nothing', async () => {
    const id = sandboxId();
    const rec = await mgr.setupSandbox(id, { network: net });
    const nic = rec.nics[0];
    expect(nic?.ips[0]).toMatch(/^10\.89\.\d+\.\d+\/24$/);
    expect(nic?.mac).toMatch(/^[0-9a-f:]{17}$/);
    const ns = rec.netnsPath ?? '';
    expect(existsSync(ns)).toBe(true);
    // The tcfilter model: ingress qdiscs on both, a redirect to the other.
    const filters = await tc(ns, ['filter', 'show', 'dev', 'eth0', 'ingress']);
    expect(filters).toMatch(/mirred \(Egress Redirect to device tap0_vsl\)/);
    expect(await ip(ns, ['link', 'show', 'dev', 'tap0_vsl'])).toMatch(/mtu 1500/);
    expect(await code(mgr.networks.remove(net))).toMatch(/^E_BUSY: network .* is in use by 1 sandbox/);
    expect((await mgr.networks.inspect(net)).sandboxes).toEqual([id]);
    // The check below can see what a sandbox leaves: now, all of it.
    const live = await networkLeftovers(id, [path.join(root, 'networks', 'ipam')], [nic?.ips[0]?.split('/')[0] ?? 'x']);
    expect(live.some((l) => l.startsWith('netns '))).toBe(true);
    expect(live.some((l) => l.startsWith('lease '))).toBe(true);
    expect(live.filter((l) => l.startsWith('iptables: ')).length).toBeGreaterThan(2);
    await mgr.teardownSandbox(id);
    expect(await networkLeftovers(id, [path.join(root, 'networks', 'ipam')], [nic?.ips[0]?.split('/')[0] ?? 'x'])).toEqual([]);
    expect(mgr.read(id)).toBeNull();
  });

  it('a host port already in use is refused, naming it, and nothing is left half made', async () => {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const id = sandboxId();
    try {
      expect(await code(mgr.setupSandbox(id, { network: net, ports: [{ hostIp: '127.0.0.1', hostPort: port, containerPort: 80, protocol: 'tcp' }] })))
        .toMatch(new RegExp(`^E_BUSY: host port 127.0.0.1:${port}/tcp is already in use`));
    } finally {
      server.close();
    }
    expect(mgr.read(id)).toBeNull();
    expect(await networkLeftovers(id, [path.join(root, 'networks', 'ipam')])).toEqual([]);
  });

  it('ns:PATH joins a namespace another tool made: its veth becomes a tcfilter endpoint; teardown leaves the namespace, minus our tap', async () => {
    const ns = `vsltj-${tag}`;
    await ip(null, ['netns', 'add', ns]);
    try {
      const nsPath = `/run/netns/${ns}`;
      await ip(nsPath, ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0']);
      await ip(nsPath, ['addr', 'add', '192.168.77.5/24', 'dev', 'eth0']);
      await ip(nsPath, ['link', 'set', 'eth0', 'up']);
      await ip(nsPath, ['link', 'set', 'peer0', 'up']);
      await ip(nsPath, ['route', 'add', 'default', 'via', '192.168.77.1', 'dev', 'eth0']);
      const id = sandboxId();
      const rec = await mgr.setupSandbox(id, { network: `ns:${nsPath}` });
      expect(rec.ownNetns).toBe(false);
      expect(rec.nics.map((n) => [n.ifName, n.endpointType, n.model, n.ips[0], n.gateway])).toEqual([['eth0', 'veth', 'tcfilter', '192.168.77.5/24', '192.168.77.1']]);
      expect(await tc(nsPath, ['filter', 'show', 'dev', 'eth0', 'ingress'])).toMatch(/redirect to device tap0_vsl/i);
      await mgr.teardownSandbox(id);
      expect(existsSync(nsPath)).toBe(true);
      expect(await ip(nsPath, ['-o', 'link', 'show'])).not.toContain('tap0_vsl');
      expect(await code(mgr.setupSandbox(sandboxId(), { network: 'ns:/run/netns/does-not-exist' }))).toMatch(/^E_NOT_FOUND: network namespace/);
    } finally {
      await ip(null, ['netns', 'delete', ns]).catch(() => undefined);
    }
  });

  it('ns:PATH with a macvtap link (the macvtap endpoint): QEMU gets its character device, by name or by /proc/PID/ns/net; teardown keeps the link', async () => {
    const ns = `vsltm-${tag}`;
    await ip(null, ['netns', 'add', ns]);
    const holder = spawn('/usr/sbin/ip', ['netns', 'exec', ns, 'sleep', '60'], { stdio: 'ignore' });
    try {
      const nsPath = `/run/netns/${ns}`;
      // No dummy links in this kernel: a veth is the macvtap's parent.
      await ip(nsPath, ['link', 'add', 'vpar0', 'type', 'veth', 'peer', 'name', 'vpar1']);
      await ip(nsPath, ['link', 'add', 'link', 'vpar0', 'name', 'mvt0', 'type', 'macvtap', 'mode', 'bridge']);
      await ip(nsPath, ['addr', 'add', '192.168.78.5/24', 'dev', 'mvt0']);
      for (const l of ['vpar0', 'vpar1', 'mvt0']) await ip(nsPath, ['link', 'set', l, 'up']);
      const mac = /link\/ether ([0-9a-f:]+)/.exec(await ip(nsPath, ['link', 'show', 'dev', 'mvt0']))?.[1];
      const rdevs: number[] = [];
      for (const where of [nsPath, `/proc/${holder.pid ?? 0}/ns/net`]) {
        const id = sandboxId();
        const rec = await mgr.setupSandbox(id, { network: `ns:${where}` });
        const nic = rec.nics.find((n) => n.ifName === 'mvt0');
        expect([nic?.endpointType, nic?.model, nic?.mac, nic?.ips[0], nic?.tap]).toEqual(['macvtap', 'none', mac, '192.168.78.5/24', 'mvt0']);
        expect(nic?.device && statSync(nic.device).isCharacterDevice()).toBe(true);
        rdevs.push(statSync(nic?.device ?? '/').rdev);
        expect(mgr.vmNetwork(rec)?.nics).toContainEqual(expect.objectContaining({ kind: 'tap', device: nic?.device, mac }));
        await mgr.teardownSandbox(id);
        expect(existsSync(nic?.device ?? '/')).toBe(false);
        expect(await ip(nsPath, ['link', 'show', 'dev', 'mvt0'])).toContain('mvt0');
      }
      // Both ways of reading the namespace's sysfs find the same device.
      expect(rdevs[0]).toBe(rdevs[1]);
    } finally {
      holder.kill('SIGKILL');
      await ip(null, ['netns', 'delete', ns]).catch(() => undefined);
    }
  });

  it('a macvlan network (CNI macvlan on a parent link) gives a macvlan endpoint joined by tcfilter', async () => {
    // No dummy links in this kernel: a veth pair on the host is the parent.
    const parent = `vslp${tag}`;
    await ip(null, ['link', 'add', parent, 'type', 'veth', 'peer', 'name', `${parent}b`]);
    const name = `mv${tag}`;
    try {
      await ip(null, ['link', 'set', parent, 'up']);
      await mgr.networks.create({ name, driver: 'macvlan', parent, subnet: '10.93.77.0/24' });
      const id = sandboxId();
      const rec = await mgr.setupSandbox(id, { network: name });
      expect(rec.nics[0]?.endpointType).toBe('macvlan');
      expect(rec.nics[0]?.ips[0]).toMatch(/^10\.93\.77\.\d+\/24$/);
      expect(await tc(rec.netnsPath ?? '', ['filter', 'show', 'dev', 'eth0', 'ingress'])).toMatch(/redirect to device tap0_vsl/i);
      expect(await code(mgr.setupSandbox(sandboxId(), { network: name, ports: [{ hostIp: '127.0.0.1', hostPort: 39999, containerPort: 80, protocol: 'tcp' }] }))).toMatch(/^E_INVALID_ARGUMENT: port forwards need a bridge network/);
      await mgr.teardownSandbox(id);
      expect(await networkLeftovers(id, [path.join(root, 'networks', 'ipam')])).toEqual([]);
      await mgr.networks.remove(name);
      expect(await ip(null, ['link', 'show', parent])).toContain(parent); // the parent is the user's: kept
    } finally {
      await mgr.networks.remove(name).catch(() => undefined);
      await ip(null, ['link', 'delete', parent]).catch(() => undefined);
    }
  });

  it('the macvtap model: a bridge macvtap on the veth takes its MAC, the veth loses its address, QEMU gets a character device', async () => {
    const name = `mt${tag}`;
    try {
      await mgr.networks.create({ name, model: 'macvtap' });
      const id = sandboxId();
      const rec = await mgr.setupSandbox(id, { network: name });
      const nic = rec.nics[0];
      expect(nic?.model).toBe('macvtap');
      expect(nic?.device && statSync(nic.device).isCharacterDevice()).toBe(true);
      const ns = rec.netnsPath ?? '';
      expect(await ip(ns, ['link', 'show', 'dev', 'mtap0_vsl'])).toContain(nic?.mac ?? 'x');
      expect(await ip(ns, ['-4', 'addr', 'show', 'dev', 'eth0'])).not.toContain('inet ');
      await mgr.teardownSandbox(id);
      expect(existsSync(nic?.device ?? '/')).toBe(false);
      expect(await networkLeftovers(id, [path.join(root, 'networks', 'ipam')])).toEqual([]);
    } finally {
      await mgr.networks.remove(name).catch(() => undefined);
    }
  });

  for (const point of ['netns-added', 'cni-added', 'endpoint-ready', 'teardown-cni-deleted']) {
    it(`a vessel process SIGKILLed at "${point}" leaves a journal the next process finishes from: nothing left`, async () => {
      const id = sandboxId();
      const script = `
        const { CniNetworkManager } = await import(${JSON.stringify(DIST)});
        const m = new CniNetworkManager({ root: ${JSON.stringify(root)}, resolvConfPath: '/dev/null' });
        await m.setupSandbox(${JSON.stringify(id)}, { network: ${JSON.stringify(net)}, ports: [{ hostIp: '127.0.0.1', hostPort: 39000 + Math.floor(Math.random() * 999), containerPort: 80, protocol: 'tcp' }] });
        if (process.env.VESSEL_TEST_CRASH_AT?.startsWith('teardown')) await m.teardownSandbox(${JSON.stringify(id)});
      `;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, VESSEL_TEST_CRASH_AT: point }, encoding: 'utf8', timeout: 60_000 });
      expect(child.signal).toBe('SIGKILL');
      const before = mgr.read(id);
      expect(before?.phase).toBe(point.startsWith('teardown') ? 'teardown' : 'setup');
      // The next process: the sandbox does not exist for it (its creation never finished).
      const cleaned = await new CniNetworkManager({ root, resolvConfPath: '/dev/null' }).recover(() => false);
      expect(cleaned).toContain(id);
      expect(mgr.read(id)).toBeNull();
      const ips = (before?.nics ?? []).flatMap((n) => n.ips.map((c) => c.split('/')[0] ?? ''));
      expect(await networkLeftovers(id, [path.join(root, 'networks', 'ipam')], ips)).toEqual([]);
    });
  }
});
