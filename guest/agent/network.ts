// Guest-side networking (Kata's agent netlink.rs, done with busybox ip):
// find a NIC by MAC, set its addresses, MTU and state, add routes
// (gateway-less first), static ARP neighbours, and the DNS/hosts files that
// every container bind-mounts. Counters come from /proc/net/dev.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';

/** Where the agent keeps the files containers bind-mount (resolv.conf, hosts, hostname). */
export const NET_FILES_DIR = '/run/vessel/net';

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-fA-F:]+$/;
const Ip = z.string().check(z.refine((s) => IPV4.test(s) || (s.includes(':') && IPV6.test(s)), 'not an IP address'));
const Family = z.union([z.literal('v4'), z.literal('v6')]);

export const IPAddressSchema = z.object({ family: Family, address: Ip, mask: z.string().check(z.regex(/^\d{1,3}$/, 'mask must be a prefix length')) });
export const InterfaceSchema = z.object({
  device: z.string().check(z.refine((s) => s === '' || IFNAME.test(s), 'device must be a link name of 1-15 characters')),
  name: z.string().check(z.refine((s) => s === '' || IFNAME.test(s), 'name must be a link name of 1-15 characters')),
  IPAddresses: z.array(IPAddressSchema).check(z.maxLength(64)),
  mtu: z.number().check(z.refine((n) => n === 0 || (Number.isInteger(n) && n >= 68 && n <= 65535), 'mtu must be 68..65535')),
  hwAddr: z.string().check(z.regex(MAC, 'hwAddr must be a MAC address')),
});
export const RouteSchema = z.object({
  dest: z.string().check(z.refine((s) => s === '' || s === 'default' || /^[0-9a-fA-F.:]+\/\d{1,3}$/.test(s), 'dest must be "default" or a CIDR')),
  gateway: z.string().check(z.refine((s) => s === '' || IPV4.test(s) || IPV6.test(s), 'gateway must be an IP address')),
  device: z.string().check(z.refine((s) => s === '' || IFNAME.test(s), 'device must be a link name')),
  source: z.string().check(z.refine((s) => s === '' || IPV4.test(s) || IPV6.test(s), 'source must be an IP address')),
  family: Family,
  mtu: z.number().check(z.refine((n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'mtu must be 0..65535')),
});
export const NeighborSchema = z.object({
  toIPAddress: IPAddressSchema,
  device: z.string().check(z.refine((s) => IFNAME.test(s), 'device must be a link name')),
  lladdr: z.string().check(z.regex(MAC, 'lladdr must be a MAC address')),
});
export const DnsLinesSchema = z.array(z.string().check(z.maxLength(512), z.refine((s) => !/[\r\n]/.test(s), 'a dns line must be one line'))).check(z.maxLength(64));

export type GuestInterface = z.infer<typeof InterfaceSchema>;
export type GuestRoute = z.infer<typeof RouteSchema>;
export type GuestNeighbor = z.infer<typeof NeighborSchema>;

export interface NicCounters {
  name: string;
  hwAddr: string;
  rxBytes: number; rxPackets: number; rxErrors: number; rxDropped: number;
  txBytes: number; txPackets: number; txErrors: number; txDropped: number;
}

/** Parses /proc/net/dev (two header lines, then "name: 16 numbers"). */
export function parseProcNetDev(text: string): Omit<NicCounters, 'hwAddr'>[] {
  const out: Omit<NicCounters, 'hwAddr'>[] = [];
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    const n = m[2].trim().split(/\s+/).map(Number);
    if (n.length < 16 || n.some((x) => !Number.isFinite(x))) continue;
    const v = (i: number): number => n[i] ?? 0;
    out.push({ name: m[1], rxBytes: v(0), rxPackets: v(1), rxErrors: v(2), rxDropped: v(3), txBytes: v(8), txPackets: v(9), txErrors: v(10), txDropped: v(11) });
  }
  return out;
}

/** Gateway-less (on-link) routes first, so the gateways of the others are reachable when they are added (Kata does the same). */
export function orderRoutes(routes: GuestRoute[]): GuestRoute[] {
  return [...routes.filter((r) => r.gateway === ''), ...routes.filter((r) => r.gateway !== '')];
}

/** The `ip route replace` arguments for one route on link `dev`. */
export function routeArgs(r: GuestRoute, dev: string): string[] {
  const args = [r.family === 'v6' ? '-6' : '-4', 'route', 'replace', r.dest === '' ? 'default' : r.dest];
  if (r.gateway) args.push('via', r.gateway);
  args.push('dev', dev);
  if (r.source) args.push('src', r.source);
  if (r.mtu > 0) args.push('mtu', String(r.mtu));
  return args;
}

/** /etc/hosts for the sandbox: loopback names and the sandbox name on each of its addresses. */
export function hostsFile(hostname: string, addresses: string[]): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const a of addresses) lines.push(`${a}\t${hostname}`);
  if (addresses.length === 0) lines.push(`127.0.1.1\t${hostname}`);
  return `${lines.join('\n')}\n`;
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`ip ${args.join(' ')}: ${err.trim() || `exit ${String(code)}`}`))));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class GuestNetwork {
  private hostname = 'localhost';
  private readonly addresses = new Set<string>();

  constructor(
    private readonly sysNet = '/sys/class/net',
    private readonly procNetDev = '/proc/net/dev',
    private readonly filesDir = NET_FILES_DIR,
    private readonly ip = (args: string[]) => run('/bin/busybox', ['ip', ...args]),
  ) {}

  /** The link whose MAC is mac; waits for a hot-plugged NIC (virtio_net may still be loading). */
  async linkByMac(mac: string, timeoutMs = 20_000): Promise<string> {
    const want = mac.toLowerCase();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const name of existsSync(this.sysNet) ? readdirSync(this.sysNet) : []) {
        try {
          if (readFileSync(path.join(this.sysNet, name, 'address'), 'utf8').trim().toLowerCase() === want) return name;
        } catch {
          // link went away meanwhile
        }
      }
      if (Date.now() > deadline) throw new Error(`no network interface with MAC ${mac} in the guest`);
      await sleep(100);
    }
  }

  async updateInterface(i: GuestInterface): Promise<GuestInterface> {
    let dev = await this.linkByMac(i.hwAddr);
    await this.ip(['link', 'set', 'dev', dev, 'down']);
    if (i.name && i.name !== dev) {
      await this.ip(['link', 'set', 'dev', dev, 'name', i.name]);
      dev = i.name;
    }
    if (i.mtu > 0) await this.ip(['link', 'set', 'dev', dev, 'mtu', String(i.mtu)]);
    await this.ip(['addr', 'flush', 'dev', dev]);
    for (const a of i.IPAddresses) {
      await this.ip([a.family === 'v6' ? '-6' : '-4', 'addr', 'add', `${a.address}/${a.mask}`, 'dev', dev]);
      this.addresses.add(a.address);
    }
    await this.ip(['link', 'set', 'dev', dev, 'up']);
    this.writeHosts();
    return { ...i, device: dev, name: dev };
  }

  async updateRoutes(routes: GuestRoute[]): Promise<GuestRoute[]> {
    for (const r of orderRoutes(routes)) {
      if (!r.device) throw new Error(`route ${r.dest || 'default'} names no device`);
      await this.ip(routeArgs(r, r.device));
    }
    return routes;
  }

  async addNeighbors(ns: GuestNeighbor[]): Promise<void> {
    for (const n of ns) await this.ip(['neigh', 'replace', n.toIPAddress.address, 'lladdr', n.lladdr, 'dev', n.device, 'nud', 'permanent']);
  }

  /** Interfaces as the guest sees them (loopback left out). */
  async listInterfaces(): Promise<GuestInterface[]> {
    const out: GuestInterface[] = [];
    const addrText = await this.ip(['-o', 'addr', 'show']);
    for (const name of existsSync(this.sysNet) ? readdirSync(this.sysNet).sort() : []) {
      if (name === 'lo') continue;
      const read = (f: string): string => { try { return readFileSync(path.join(this.sysNet, name, f), 'utf8').trim(); } catch { return ''; } };
      const IPAddresses = [];
      for (const line of addrText.split('\n')) {
        const m = new RegExp(`^\\d+:\\s+${name.replace(/[.]/g, '\\.')}\\s+(inet6?)\\s+([0-9a-fA-F.:]+)/(\\d+)`).exec(line);
        if (m?.[1] && m[2] && m[3]) IPAddresses.push({ family: m[1] === 'inet6' ? 'v6' as const : 'v4' as const, address: m[2], mask: m[3] });
      }
      out.push({ device: name, name, hwAddr: read('address'), mtu: Number(read('mtu')) || 0, IPAddresses });
    }
    return out;
  }

  async listRoutes(): Promise<GuestRoute[]> {
    const out: GuestRoute[] = [];
    for (const line of (await this.ip(['-4', 'route', 'show'])).split('\n')) {
      const t = line.trim().split(/\s+/);
      if (!t[0]) continue;
      const at = (k: string): string => { const i = t.indexOf(k); return i >= 0 ? t[i + 1] ?? '' : ''; };
      out.push({ dest: t[0], gateway: at('via'), device: at('dev'), source: at('src'), family: 'v4', mtu: Number(at('mtu')) || 0 });
    }
    return out;
  }

  counters(): NicCounters[] {
    return parseProcNetDev(readFileSync(this.procNetDev, 'utf8')).filter((c) => c.name !== 'lo').map((c) => {
      let hwAddr = '';
      try { hwAddr = readFileSync(path.join(this.sysNet, c.name, 'address'), 'utf8').trim(); } catch { /* gone */ }
      return { ...c, hwAddr };
    });
  }

  /** Loopback up: the guest's init leaves it down, and containers share this namespace. */
  async loopbackUp(): Promise<void> {
    await this.ip(['link', 'set', 'dev', 'lo', 'up']);
  }

  /** Written once at CreateSandbox: resolv.conf (the host's chosen lines), hosts, hostname. */
  writeSandboxFiles(hostname: string, dns: string[]): void {
    this.hostname = hostname;
    mkdirSync(this.filesDir, { recursive: true });
    writeFileSync(path.join(this.filesDir, 'resolv.conf'), dns.length ? `${dns.join('\n')}\n` : '');
    writeFileSync(path.join(this.filesDir, 'hostname'), `${hostname}\n`);
    this.writeHosts();
  }

  private writeHosts(): void {
    mkdirSync(this.filesDir, { recursive: true });
    writeFileSync(path.join(this.filesDir, 'hosts'), hostsFile(this.hostname, [...this.addresses]));
  }
}

/** Bind mounts that give a container the sandbox's resolv.conf, hosts and hostname (only the files that exist). */
export function networkFileMounts(filesDir = NET_FILES_DIR): { destination: string; type: string; source: string; options: string[] }[] {
  return ['resolv.conf', 'hosts', 'hostname']
    .filter((f) => existsSync(path.join(filesDir, f)))
    .map((f) => ({ destination: `/etc/${f}`, type: 'bind', source: path.join(filesDir, f), options: ['rbind', 'ro'] }));
}
