// Networks: persistent config in the store (<root>/networks/<name>.json),
// each rendered as a CNI conflist of Debian's plugins. No IPAM or NAT of our
// own: host-local hands out addresses, bridge/portmap/firewall do the rules.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CreateNetworkRequest, NetworkDriver, NetworkName, VesselError, type NetworkInfo } from '../contract/index.js';
import { writeFileAtomic } from '../store/index.js';
import { CNI_VERSION, type CniConfList, type CniPluginConfig } from './cni.js';
import { ip } from './exec.js';
import { cidrContains, cidrsOverlap, hostAddress, parseCidr, parseIpv4 } from './ipv4.js';

export const DEFAULT_NETWORK = 'vessel';
/** The default network's bridge is one per host, shared by every store on it (as Podman's podman0). */
export const DEFAULT_BRIDGE = 'vessel0';
/** Leases of the default network live where CNI keeps them by default, so stores sharing vessel0 never hand out one address twice. */
export const DEFAULT_IPAM_DIR = '/var/lib/cni/networks';
export const RESERVED_NETWORKS = new Set(['none', 'user', 'host']);
export const MAX_IFNAME = 15;

export const NetworkRecord = z.object({
  schemaVersion: z.literal(1),
  name: NetworkName,
  driver: NetworkDriver,
  subnet: z.string(),
  gateway: z.string(),
  /** bridge name (bridge driver) or parent link (macvlan). */
  hostInterface: z.string().max(MAX_IFNAME),
  internal: z.boolean(),
  isDefault: z.boolean(),
  ipamDir: z.string(),
  /** How the sandbox's link is joined to the VM (virtcontainers' internetworking model). */
  model: z.enum(['tcfilter', 'macvtap']).default('tcfilter'),
  createdAt: z.string(),
});
export type NetworkRecord = z.infer<typeof NetworkRecord>;

/** The conflist a sandbox is attached with. */
export function confList(net: NetworkRecord): CniConfList {
  const ipam = {
    type: 'host-local',
    ranges: [[{ subnet: net.subnet, gateway: net.gateway }]],
    ...(net.internal ? {} : { routes: [{ dst: '0.0.0.0/0' }] }),
    dataDir: net.ipamDir,
  };
  const plugins: CniPluginConfig[] = [];
  if (net.driver === 'bridge') {
    plugins.push({ type: 'bridge', bridge: net.hostInterface, isGateway: true, ipMasq: !net.internal, hairpinMode: true, ipam });
    plugins.push({ type: 'portmap', capabilities: { portMappings: true }, snat: true });
    plugins.push({ type: 'firewall', backend: 'iptables' });
  } else {
    plugins.push({ type: 'macvlan', master: net.hostInterface, mode: 'bridge', ipam });
  }
  // tuning: where per-network sysctls and MTU go; with none set it passes the result on.
  plugins.push({ type: 'tuning' });
  return { cniVersion: CNI_VERSION, name: `vessel-${net.name}`, plugins };
}

export function validateIfName(name: string, what: string): void {
  if (name.length > MAX_IFNAME) throw new VesselError('E_INVALID_ARGUMENT', `${what} "${name}" is ${name.length} characters: Linux interface names have at most ${MAX_IFNAME}`);
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new VesselError('E_INVALID_ARGUMENT', `${what} "${name}" may only hold letters, digits, "_", "." and "-"`);
}

interface RouteJson { dst?: string }

/** Host routes' destinations as CIDRs (the places a new subnet must not collide with). */
async function hostRouteCidrs(): Promise<string[]> {
  const out = await ip(null, ['-j', '-4', 'route', 'show', 'table', 'all']);
  const routes = z.array(z.object({ dst: z.string().optional() }).loose()).parse(JSON.parse(out || '[]')) as RouteJson[];
  return routes.map((r) => r.dst ?? '').filter((d) => d && d !== 'default').map((d) => (d.includes('/') ? d : `${d}/32`)).filter((d) => {
    try { parseCidr(d); return true; } catch { return false; }
  });
}

/** The IPv4 CIDR on a host link, or null. */
async function linkCidr(name: string): Promise<string | null> {
  try {
    const out = await ip(null, ['-j', '-4', 'addr', 'show', 'dev', name]);
    const links = z.array(z.object({ addr_info: z.array(z.object({ local: z.string(), prefixlen: z.number() }).loose()).default([]) }).loose()).parse(JSON.parse(out || '[]'));
    const a = links[0]?.addr_info[0];
    return a ? `${a.local}/${a.prefixlen}` : null;
  } catch {
    return null;
  }
}

export async function linkExists(name: string): Promise<boolean> {
  try {
    await ip(null, ['link', 'show', 'dev', name]);
    return true;
  } catch {
    return false;
  }
}

export class NetworkStore {
  readonly dir: string;

  constructor(root: string) {
    this.dir = path.join(root, 'networks');
  }

  private file(name: string): string {
    NetworkName.parse(name);
    return path.join(this.dir, `${name}.json`);
  }

  /** A user network's bridge: a name per store and network, so two stores never share one. */
  bridgeName(name: string): string {
    return `vsl${createHash('sha256').update(`${this.dir}\0${name}`).digest('hex').slice(0, 8)}`;
  }

  list(): NetworkRecord[] {
    if (!existsSync(this.dir)) return [];
    const out: NetworkRecord[] = [];
    for (const f of readdirSync(this.dir).sort()) {
      if (!f.endsWith('.json')) continue;
      const name = f.slice(0, -5);
      if (!NetworkName.safeParse(name).success) continue;
      const rec = this.read(name);
      if (rec) out.push(rec);
    }
    return out;
  }

  read(name: string): NetworkRecord | null {
    const file = this.file(name);
    if (!existsSync(file)) return null;
    const parsed = NetworkRecord.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) throw new VesselError('E_CORRUPT_STATE', `network config ${file} is malformed: ${parsed.error.issues[0]?.message ?? ''}`);
    return parsed.data;
  }

  get(name: string): NetworkRecord {
    if (!NetworkName.safeParse(name).success) throw new VesselError('E_INVALID_ARGUMENT', `"${name}" is not a valid network name (1-32 lowercase letters, digits, "_" or "-")`);
    const rec = this.read(name);
    if (rec) return rec;
    throw new VesselError('E_NOT_FOUND', `no network named "${name}": 'vessel network list' shows them, 'vessel network create ${name}' makes it`);
  }

  /** The default network, created on first use: bridge vessel0, NAT, a /24 that collides with nothing routed here. */
  async ensureDefault(): Promise<NetworkRecord> {
    const existing = this.read(DEFAULT_NETWORK);
    if (existing) return existing;
    // Another store may already run vessel0: adopt its subnet so both agree.
    const onBridge = await linkCidr(DEFAULT_BRIDGE);
    const subnet = onBridge ? networkOf(onBridge) : await this.freeSubnet();
    return this.write({
      schemaVersion: 1, name: DEFAULT_NETWORK, driver: 'bridge', subnet, gateway: hostAddress(subnet, 1),
      hostInterface: DEFAULT_BRIDGE, internal: false, isDefault: true, ipamDir: DEFAULT_IPAM_DIR, createdAt: new Date().toISOString(), model: 'tcfilter',
    });
  }

  /** A /24 in 10.89.0.0/16 that overlaps no host route and no other network of this store. */
  async freeSubnet(): Promise<string> {
    const taken = [...(await hostRouteCidrs()), ...this.list().map((n) => n.subnet)];
    for (let i = 0; i < 256; i++) {
      const candidate = `10.89.${i}.0/24`;
      if (!taken.some((t) => cidrsOverlap(t, candidate))) return candidate;
    }
    throw new VesselError('E_NETWORK', 'no free /24 left in 10.89.0.0/16: give --subnet');
  }

  async create(input: CreateNetworkRequest): Promise<NetworkRecord> {
    const parsed = CreateNetworkRequest.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new VesselError('E_INVALID_ARGUMENT', `invalid network: ${issue?.path.length ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? ''}`);
    }
    const req = parsed.data;
    if (RESERVED_NETWORKS.has(req.name)) throw new VesselError('E_INVALID_ARGUMENT', `"${req.name}" is reserved (--network ${req.name} is a mode, not a network): pick another name`);
    if (this.read(req.name)) throw new VesselError('E_ALREADY_EXISTS', `a network named "${req.name}" already exists`);
    let subnet: string;
    if (req.subnet !== undefined) {
      const c = parseCidr(req.subnet); // throws E_INVALID_ARGUMENT with the reason
      if (c.prefix > 30 || c.prefix < 8) throw new VesselError('E_INVALID_ARGUMENT', `subnet ${req.subnet}: the prefix must be /8 to /30`);
      subnet = networkOf(req.subnet);
      const clash = this.list().find((n) => cidrsOverlap(n.subnet, subnet));
      if (clash) throw new VesselError('E_INVALID_ARGUMENT', `subnet ${subnet} overlaps network "${clash.name}" (${clash.subnet})`);
      const route = (await hostRouteCidrs()).find((r) => cidrsOverlap(r, subnet) && parseCidr(r).prefix > 0);
      if (route && req.driver === 'bridge') throw new VesselError('E_INVALID_ARGUMENT', `subnet ${subnet} overlaps the host route ${route}: pick another --subnet`);
    } else {
      subnet = await this.freeSubnet();
    }
    let gateway = hostAddress(subnet, 1);
    if (req.gateway !== undefined) {
      parseIpv4(req.gateway);
      if (!cidrContains(subnet, req.gateway)) throw new VesselError('E_INVALID_ARGUMENT', `gateway ${req.gateway} is not inside subnet ${subnet}`);
      gateway = req.gateway;
    }
    let hostInterface = this.bridgeName(req.name);
    if (req.driver === 'macvlan') {
      if (!req.parent) throw new VesselError('E_INVALID_ARGUMENT', 'a macvlan network needs --parent IFACE (the host link it hangs off)');
      validateIfName(req.parent, 'parent interface');
      if (!(await linkExists(req.parent))) throw new VesselError('E_NOT_FOUND', `parent interface ${req.parent} does not exist on this host`);
      hostInterface = req.parent;
    } else if (req.parent) {
      throw new VesselError('E_INVALID_ARGUMENT', '--parent is for --driver macvlan');
    }
    return this.write({
      schemaVersion: 1, name: req.name, driver: req.driver, subnet, gateway, hostInterface, internal: req.internal, isDefault: false,
      ipamDir: path.join(this.dir, 'ipam'), createdAt: new Date().toISOString(), model: req.model ?? 'tcfilter',
    });
  }

  private async write(rec: NetworkRecord): Promise<NetworkRecord> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file(rec.name), JSON.stringify(rec, null, 2));
    return rec;
  }

  /** Removes the record, its bridge (unless another store's default network still has ports on it) and its lease directory. */
  async remove(rec: NetworkRecord): Promise<void> {
    if (rec.driver === 'bridge' && !rec.isDefault && (await linkExists(rec.hostInterface))) {
      await ip(null, ['link', 'delete', rec.hostInterface, 'type', 'bridge']);
    }
    // The default network's leases are shared by every store on this host (DEFAULT_IPAM_DIR): keep them.
    if (!rec.isDefault) rmSync(path.join(rec.ipamDir, `vessel-${rec.name}`), { recursive: true, force: true });
    rmSync(this.file(rec.name), { force: true });
  }
}

function networkOf(cidr: string): string {
  const c = parseCidr(cidr);
  return `${c.networkText}/${c.prefix}`;
}

export function toNetworkInfo(rec: NetworkRecord, sandboxes: string[]): NetworkInfo {
  return {
    name: rec.name, driver: rec.driver, subnet: rec.subnet, gateway: rec.gateway, hostInterface: rec.hostInterface,
    internal: rec.internal, isDefault: rec.isDefault, model: rec.model, createdAt: rec.createdAt, sandboxes,
  };
}
