// Endpoints (virtcontainers' *_endpoint.go): what a link found in the
// sandbox's namespace becomes for the VM. veth and macvlan links get a tap
// joined with the tcfilter model (ingress qdisc + u32/mirred redirect both
// ways); the tap takes the link's MTU and the guest NIC takes its MAC. A tap
// found in the namespace is used as it is.
import { z } from 'zod';
import { VesselError } from '../contract/index.js';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { IP, ip, mustRun, tc } from './exec.js';

const AddrInfo = z.object({ family: z.string(), local: z.string(), prefixlen: z.number() }).loose();
const LinkJson = z.object({
  ifindex: z.number(),
  ifname: z.string(),
  mtu: z.number(),
  address: z.string().optional(),
  link_type: z.string().optional(),
  addr_info: z.array(AddrInfo).default([]),
  linkinfo: z.object({ info_kind: z.string().optional() }).loose().optional(),
}).loose();
const RouteJson = z.object({ dst: z.string(), gateway: z.string().optional(), dev: z.string().optional(), prefsrc: z.string().optional(), mtu: z.number().optional() }).loose();

export type EndpointKind = 'veth' | 'macvlan' | 'macvtap' | 'tap' | 'tuntap';

export interface ScannedLink {
  name: string;
  kind: EndpointKind | 'other';
  mac: string;
  mtu: number;
  addresses: { address: string; prefix: number }[];
}

export interface ScannedRoute {
  dest: string;
  gateway: string;
  device: string;
  source: string;
}

function kindOf(infoKind: string | undefined): ScannedLink['kind'] {
  switch (infoKind) {
    case 'veth': return 'veth';
    case 'macvlan': return 'macvlan';
    case 'macvtap': return 'macvtap';
    case 'tun': return 'tap';
    default: return 'other';
  }
}

/** The links (with IPv4 addresses) and routes in a namespace, loopback skipped, as virtcontainers scans a netns it is handed. */
export async function scanNamespace(nsPath: string): Promise<{ links: ScannedLink[]; routes: ScannedRoute[] }> {
  const links = z.array(LinkJson).parse(JSON.parse((await ip(nsPath, ['-j', '-d', 'addr', 'show'])) || '[]'));
  const routes = z.array(RouteJson).parse(JSON.parse((await ip(nsPath, ['-j', '-4', 'route', 'show'])) || '[]'));
  return {
    links: links.filter((l) => l.ifname !== 'lo' && l.link_type !== 'loopback').map((l) => ({
      name: l.ifname,
      kind: kindOf(l.linkinfo?.info_kind),
      mac: l.address ?? '',
      mtu: l.mtu,
      addresses: l.addr_info.filter((a) => a.family === 'inet').map((a) => ({ address: a.local, prefix: a.prefixlen })),
    })),
    routes: routes.map((r) => ({ dest: r.dst, gateway: r.gateway ?? '', device: r.dev ?? '', source: r.prefsrc ?? '' })),
  };
}

/** The tap of NIC index i: short, and inside the sandbox's own namespace so it cannot collide. */
export function tapName(index: number): string {
  return `tap${index}_vsl`;
}

/**
 * tcfilter: a tap beside the link, both with an ingress qdisc, and a u32
 * match-all filter on each redirecting to the other. Idempotent: a tap or
 * qdisc already there (a run interrupted half way) is replaced.
 */
export async function setupTcFilter(nsPath: string, link: ScannedLink, tap: string): Promise<void> {
  await removeTcFilter(nsPath, link.name, tap);
  await ip(nsPath, ['tuntap', 'add', 'dev', tap, 'mode', 'tap', 'vnet_hdr']);
  await ip(nsPath, ['link', 'set', 'dev', tap, 'mtu', String(link.mtu), 'up']);
  await ip(nsPath, ['link', 'set', 'dev', link.name, 'up']);
  for (const [from, to] of [[link.name, tap], [tap, link.name]] as const) {
    await tc(nsPath, ['qdisc', 'add', 'dev', from, 'ingress']);
    await tc(nsPath, ['filter', 'add', 'dev', from, 'parent', 'ffff:', 'protocol', 'all', 'u32', 'match', 'u8', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', to]);
  }
}

export async function removeTcFilter(nsPath: string, link: string, tap: string): Promise<void> {
  await tc(nsPath, ['qdisc', 'del', 'dev', link, 'ingress']).catch(() => undefined);
  await ip(nsPath, ['link', 'delete', tap]).catch(() => undefined);
}

/**
 * macvtap model: a bridge-mode macvtap on the link takes the link's MAC (so the
 * guest NIC has it); the link gets a random MAC and loses its addresses (the
 * guest owns them now). QEMU opens the macvtap's character device, made at
 * devPath from the numbers the namespace's sysfs gives.
 */
export async function setupMacvtap(netnsName: string, nsPath: string, link: ScannedLink, name: string, devPath: string): Promise<void> {
  await removeMacvtap(nsPath, name, devPath);
  await ip(nsPath, ['link', 'add', 'link', link.name, 'name', name, 'type', 'macvtap', 'mode', 'bridge']);
  const b = randomBytes(3);
  await ip(nsPath, ['link', 'set', 'dev', link.name, 'address', `02:00:00:${[...b].map((x) => x.toString(16).padStart(2, '0')).join(':')}`]);
  await ip(nsPath, ['link', 'set', 'dev', name, 'address', link.mac, 'mtu', String(link.mtu), 'up']);
  await ip(nsPath, ['addr', 'flush', 'dev', link.name]);
  await ip(nsPath, ['link', 'set', 'dev', link.name, 'up']);
  await makeMacvtapDevice(`/run/netns/${netnsName}`, name, devPath);
}

/**
 * The character device QEMU opens for a macvtap link: its numbers are in the
 * namespace's own sysfs (/sys/class/net/NAME/macvtap/tap<ifindex>/dev), which
 * `ip netns exec` mounts for a named namespace; any other namespace path is
 * entered with nsenter and a private mount of sysfs.
 */
export async function makeMacvtapDevice(nsPath: string, name: string, devPath: string): Promise<void> {
  const info = z.array(z.object({ ifindex: z.number() }).loose()).parse(JSON.parse(await ip(nsPath, ['-j', 'link', 'show', 'dev', name])));
  const index = info[0]?.ifindex;
  if (index === undefined) throw new VesselError('E_NETWORK', `macvtap ${name} vanished`);
  const file = `/sys/class/net/${name}/macvtap/tap${index}/dev`;
  const named = /^\/run\/netns\/([A-Za-z0-9_.-]+)$/.exec(nsPath)?.[1];
  const dev = (named
    ? await mustRun(IP, ['netns', 'exec', named, 'cat', file])
    // The file travels as $1, never inside the script text.
    : await mustRun('/usr/bin/nsenter', [`--net=${nsPath}`, '--', '/usr/bin/unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', 'mount -t sysfs sysfs /sys && cat "$1"', 'sh', file])).trim();
  const m = /^(\d+):(\d+)$/.exec(dev);
  if (!m?.[1] || !m[2]) throw new VesselError('E_NETWORK', `cannot read the device numbers of macvtap ${name} (got "${dev}")`);
  rmSync(devPath, { force: true });
  await mustRun('/usr/bin/mknod', ['-m', '600', devPath, 'c', m[1], m[2]]);
}

export async function removeMacvtap(nsPath: string, name: string, devPath: string): Promise<void> {
  rmSync(devPath, { force: true });
  await ip(nsPath, ['link', 'delete', name]).catch(() => undefined);
}

const Stats = z.object({ bytes: z.number(), packets: z.number(), errors: z.number(), dropped: z.number() }).loose();
const LinkStats = z.array(z.object({ ifname: z.string(), stats64: z.object({ rx: Stats, tx: Stats }).loose() }).loose());

/** Host-side counters of a link in the namespace (the tap: its rx is what the guest sent). */
export async function linkCounters(nsPath: string, name: string): Promise<{ rx: z.infer<typeof Stats>; tx: z.infer<typeof Stats> } | null> {
  try {
    const parsed = LinkStats.parse(JSON.parse(await ip(nsPath, ['-j', '-s', 'link', 'show', 'dev', name])));
    return parsed[0]?.stats64 ?? null;
  } catch {
    return null;
  }
}

/** macvtap links are accepted where asked for (a joined namespace: the macvtap endpoint); CNI ADD never makes one. */
export function assertEndpointSupported(link: ScannedLink, allowMacvtap = false): void {
  if (link.kind === 'other' || (link.kind === 'macvtap' && !allowMacvtap)) {
    throw new VesselError('E_UNSUPPORTED', `link ${link.name} in the namespace is a ${link.kind === 'other' ? 'kind Vessel cannot attach' : 'macvtap, which CNI does not make'}: veth, macvlan, macvtap and tap links are`);
  }
}
