// The network manager SandboxService is given (virtcontainers' Network):
// one namespace per sandbox, CNI ADD/DEL/CHECK on it, endpoints from the
// links found there, the NICs QEMU needs, the config the guest agent needs.
// Every host change is journalled in <root>/network/sandboxes/<id>.json
// before it is made, so a process killed half way leaves a record the next
// process finishes (teardown) from, not guesswork.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  PortMapping, SandboxId, VesselError, type CreateNetworkRequest, type NetworkInfo, type NicStats, type SandboxNetworkStatus,
} from '../contract/index.js';
import { writeFileAtomic } from '../store/index.js';
import { readProcStartTime } from '../util/proc.js';
import type { UserHostForward, VmNetworkConfig, VmNic } from '../hypervisor/hypervisor.js';
import { CniResult, CniRunner, type CniInvocation } from './cni.js';
import { ip, mustRun } from './exec.js';
import { assertEndpointSupported, linkCounters, makeMacvtapDevice, removeMacvtap, removeTcFilter, scanNamespace, setupMacvtap, setupTcFilter, tapName } from './endpoint.js';
import { confList, DEFAULT_NETWORK, NetworkStore, toNetworkInfo, type NetworkRecord } from './networks.js';
import { assertPortsFree } from './ports.js';
import { passtSocket, startPasst, stopPasst, USER_NET, userBackend, type UserBackend } from './passt.js';

const NicRecord = z.object({
  id: z.string(),
  network: z.string(),
  /** CNI_IFNAME in the namespace (eth0, eth1...). */
  ifName: z.string(),
  cniResult: CniResult.nullable(),
  tap: z.string().nullable(),
  mac: z.string(),
  mtu: z.number(),
  ips: z.array(z.string()),
  gateway: z.string().nullable(),
  routes: z.array(z.object({ dest: z.string(), gateway: z.string() })),
  endpointType: z.enum(['veth', 'macvlan', 'macvtap', 'tap', 'tuntap', 'physical', 'vhost-user', 'user']),
  model: z.enum(['tcfilter', 'macvtap', 'none', 'user']),
  hotplugged: z.boolean(),
  /** The macvtap character device QEMU opens (macvtap model). */
  device: z.string().nullable().default(null),
  /** false while being plugged/unplugged: a journal mark for recovery. */
  complete: z.boolean(),
});
export type NicRecord = z.infer<typeof NicRecord>;

export const SandboxNetRecord = z.object({
  schemaVersion: z.literal(1),
  sandboxId: SandboxId,
  /** 'setup' and 'teardown' are journal phases: a record left in them by a dead process is undone by recover(). */
  phase: z.enum(['setup', 'ready', 'teardown']),
  owner: z.object({ pid: z.number(), startTime: z.number() }),
  mode: z.string(),
  reason: z.string(),
  netnsName: z.string().nullable(),
  netnsPath: z.string().nullable(),
  /** Whether Vessel made the namespace (and deletes it), or joined one (ns:PATH). */
  ownNetns: z.boolean(),
  nics: z.array(NicRecord),
  ports: z.array(PortMapping),
  dns: z.array(z.string()),
  /** User-mode networking: which backend serves it (absent in records made before passt: slirp). */
  userBackend: z.enum(['passt', 'slirp']).optional(),
});
export type SandboxNetRecord = z.infer<typeof SandboxNetRecord>;

/** What the guest agent is told: interfaces by MAC, routes, resolv.conf lines. */
export interface GuestNetConfig {
  interfaces: { hwAddr: string; name: string; ips: { address: string; prefix: number }[]; mtu: number }[];
  routes: { dest: string; gateway: string; device: string }[];
  dns: string[];
}

export interface NetworkRequest {
  network?: string;
  ports?: PortMapping[];
}

/** Changes a running VM's user-mode forwards (the hypervisor driver's, given by the caller). */
export interface LiveUserForwards {
  add(nicId: string, forward: UserHostForward): Promise<void>;
  remove(nicId: string, forward: UserHostForward): Promise<void>;
}

export interface SetPortsOptions {
  /** Whether the sandbox's VM is up (user-mode forwards then change in it live, or not at all). */
  vmRunning: boolean;
  /** How to change them in the VM (absent: the driver cannot). */
  live?: LiveUserForwards;
}

/** The interface SandboxService depends on (tests may give another). */
export interface NetworkManager {
  setupSandbox(sandboxId: string, request: NetworkRequest): Promise<SandboxNetRecord>;
  teardownSandbox(sandboxId: string): Promise<void>;
  read(sandboxId: string): SandboxNetRecord | null;
  vmNetwork(rec: SandboxNetRecord): VmNetworkConfig | undefined;
  /** What the VM gets at boot, after starting the helpers it needs (passt, in runDir); vmGone stops them. */
  beforeBoot?(rec: SandboxNetRecord, runDir: string): Promise<VmNetworkConfig | undefined>;
  vmGone?(runDir: string): Promise<void>;
  guestConfig(rec: SandboxNetRecord, nics?: NicRecord[]): GuestNetConfig;
  status(rec: SandboxNetRecord): SandboxNetworkStatus;
  /** Plans and makes the host side of a second NIC (CNI ADD + tap); commit/abort after the hot plug. */
  prepareNic(sandboxId: string, network: string): Promise<NicRecord>;
  commitNic(sandboxId: string, id: string): Promise<void>;
  releaseNic(sandboxId: string, id: string): Promise<void>;
  hostCounters(rec: SandboxNetRecord): Promise<Map<string, NicStats['host']>>;
  /**
   * Replace the sandbox's port forwards live (bridge: portmap DEL + ADD;
   * user mode with slirp: the driver's live forwards; passt: only while the
   * VM is down); a port in use fails before anything changes.
   */
  setPorts(sandboxId: string, ports: PortMapping[], options?: SetPortsOptions): Promise<SandboxNetRecord>;
  recover(isSandboxAlive: (id: string) => boolean): Promise<string[]>;
  /**
   * Before a sandbox boots again (CNI's CHECK on restore): the namespace is
   * there and each plugin still agrees with the recorded result. Returns what
   * it could not check and why; throws with the fix when a check fails.
   */
  checkSandbox(sandboxId: string): Promise<string[]>;
  networks: NetworkAdmin;
}

export interface NetworkAdmin {
  create(req: CreateNetworkRequest): Promise<NetworkInfo>;
  list(): Promise<NetworkInfo[]>;
  inspect(name: string): Promise<NetworkInfo>;
  remove(name: string): Promise<void>;
}

export interface CniNetworkManagerOptions {
  root: string;
  cniPath?: string;
  /** Whether this process may make namespaces and links (root). */
  privileged?: boolean;
  /** The resolv.conf whose non-loopback lines a guest gets when its network gives no DNS (tests give their own). */
  resolvConfPath?: string;
  /** The passt binary user mode would use (default VESSEL_PASST or /usr/bin/passt; tests give a missing one to get slirp). */
  passtPath?: string;
}

const USER_GUEST_IP = USER_NET.guestIp;
const USER_GATEWAY = USER_NET.gateway;
const USER_DNS = USER_NET.dns;

/** resolv.conf lines a guest can use: the loopback resolvers of the host (systemd-resolved, dnsmasq) are unreachable from it. */
export function guestResolvLines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => /^(nameserver|search|options|domain)\s/.test(l))
    .filter((l) => !/^nameserver\s+(127\.|::1$|0\.0\.0\.0)/.test(l));
}

/**
 * A named point where the integration tests SIGKILL this process
 * (VESSEL_TEST_CRASH_AT=name) to prove the journal recovers from it.
 */
function crashPoint(name: string): void {
  if (process.env.VESSEL_TEST_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}

/** The fields of a joined NIC recorded before its device node is made (so a crash leaves a record that removes it). */
const PENDING_JOINED = {
  cniResult: null, mtu: 1500, ips: [], gateway: null, routes: [], endpointType: 'macvtap', model: 'none', hotplugged: false, complete: false,
} as const satisfies Partial<NicRecord>;

function toForward(p: PortMapping): UserHostForward {
  return { protocol: p.protocol, hostIp: p.hostIp, hostPort: p.hostPort, guestPort: p.containerPort };
}

function randomMac(): string {
  const b = randomBytes(3);
  return `52:54:00:${[...b].map((x) => x.toString(16).padStart(2, '0')).join(':')}`;
}

export class CniNetworkManager implements NetworkManager {
  private readonly dir: string;
  private readonly store: NetworkStore;
  private readonly cni: CniRunner;
  private readonly privileged: boolean;
  private readonly resolvConfPath: string;
  readonly networks: NetworkAdmin;

  constructor(private readonly options: CniNetworkManagerOptions) {
    this.dir = path.join(options.root, 'network', 'sandboxes');
    this.store = new NetworkStore(options.root);
    this.cni = new CniRunner(options.cniPath);
    this.privileged = options.privileged ?? process.getuid?.() === 0;
    this.resolvConfPath = options.resolvConfPath ?? '/etc/resolv.conf';
    this.networks = {
      create: async (req) => toNetworkInfo(await this.store.create(req), []),
      list: async () => {
        if (this.privileged) await this.store.ensureDefault();
        const users = this.attachments();
        return this.store.list().map((n) => toNetworkInfo(n, users.get(n.name) ?? []));
      },
      inspect: async (name) => {
        if (name === DEFAULT_NETWORK && this.privileged) await this.store.ensureDefault();
        return toNetworkInfo(this.store.get(name), this.attachments().get(name) ?? []);
      },
      remove: async (name) => {
        const rec = this.store.get(name);
        const users = this.attachments().get(name) ?? [];
        if (users.length > 0) throw new VesselError('E_BUSY', `network "${name}" is in use by ${users.length} sandbox(es) (${users.map((u) => u.slice(0, 12)).join(', ')}): delete them or disconnect them first`);
        await this.store.remove(rec);
      },
    };
  }

  // ---- records (the journal) ------------------------------------------

  private file(id: string): string {
    SandboxId.parse(id);
    return path.join(this.dir, `${id}.json`);
  }

  read(id: string): SandboxNetRecord | null {
    const f = this.file(id);
    if (!existsSync(f)) return null;
    const parsed = SandboxNetRecord.safeParse(JSON.parse(readFileSync(f, 'utf8')));
    if (!parsed.success) throw new VesselError('E_CORRUPT_STATE', `network record ${f} is malformed: ${parsed.error.issues[0]?.message ?? ''}`);
    return parsed.data;
  }

  private async write(rec: SandboxNetRecord): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file(rec.sandboxId), JSON.stringify(rec, null, 2));
  }

  private all(): SandboxNetRecord[] {
    if (!existsSync(this.dir)) return [];
    const out: SandboxNetRecord[] = [];
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith('.json')) continue;
      try {
        const rec = this.read(f.slice(0, -5));
        if (rec) out.push(rec);
      } catch {
        // malformed: reported by the sandbox's own status
      }
    }
    return out;
  }

  /** network name → sandbox IDs on it. */
  private attachments(): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const rec of this.all()) {
      for (const nic of rec.nics) {
        const list = m.get(nic.network) ?? [];
        if (!list.includes(rec.sandboxId)) list.push(rec.sandboxId);
        m.set(nic.network, list);
      }
    }
    return m;
  }

  private owner(): { pid: number; startTime: number } {
    return { pid: process.pid, startTime: readProcStartTime(process.pid) ?? 0 };
  }

  // ---- set-up and tear-down -------------------------------------------

  async setupSandbox(sandboxId: string, request: NetworkRequest): Promise<SandboxNetRecord> {
    const ports = request.ports ?? [];
    let mode = request.network;
    let reason = 'asked for with --network';
    if (mode === undefined) {
      mode = this.privileged ? DEFAULT_NETWORK : 'user';
      reason = this.privileged ? 'default as root: the vessel bridge network' : 'default without root: user-mode networking';
    }
    const base: SandboxNetRecord = {
      schemaVersion: 1, sandboxId, phase: 'setup', owner: this.owner(), mode, reason, netnsName: null, netnsPath: null, ownNetns: false,
      nics: [], ports, dns: [],
    };
    if (this.read(sandboxId)) throw new VesselError('E_ALREADY_EXISTS', `sandbox ${sandboxId} already has a network record`);
    if (mode === 'none') {
      if (ports.length) throw new VesselError('E_INVALID_ARGUMENT', 'port forwards need a network: drop -p or use --network NAME|user');
      const rec = { ...base, phase: 'ready' as const };
      await this.write(rec);
      return rec;
    }
    if (mode === 'user' || mode.startsWith('user:')) return this.setupUser(base, ports, mode);
    if (mode.startsWith('ns:')) return this.setupJoined(base, mode.slice(3));
    if (!this.privileged) throw new VesselError('E_PERMISSION', `network "${mode}" needs root (namespaces, bridges): use --network user`);
    const net = mode === DEFAULT_NETWORK ? await this.store.ensureDefault() : this.store.get(mode);
    if (ports.length && net.driver !== 'bridge') throw new VesselError('E_INVALID_ARGUMENT', `port forwards need a bridge network; "${net.name}" is ${net.driver}`);
    await assertPortsFree(ports, this.all().flatMap((r) => r.ports));
    const netnsName = `vsl-${sandboxId.slice(0, 20)}`;
    let rec: SandboxNetRecord = { ...base, netnsName, netnsPath: `/run/netns/${netnsName}`, ownNetns: true };
    await this.write(rec); // journal: the namespace is about to exist
    try {
      await ip(null, ['netns', 'add', netnsName]);
      crashPoint('netns-added');
      await ip(rec.netnsPath, ['link', 'set', 'lo', 'up']);
      const nic = await this.attach(rec, net, 0, ports);
      crashPoint('endpoint-ready');
      rec = { ...rec, nics: [nic] };
      rec.dns = this.dnsFor(nic.cniResult);
      rec = { ...rec, phase: 'ready', nics: rec.nics.map((n) => ({ ...n, complete: true })) };
      await this.write(rec);
      return rec;
    } catch (err) {
      await this.teardownSandbox(sandboxId).catch(() => undefined);
      throw err;
    }
  }

  private async setupUser(base: SandboxNetRecord, ports: PortMapping[], mode: string): Promise<SandboxNetRecord> {
    const asked = mode.slice('user:'.length);
    if (mode !== 'user' && asked !== 'passt' && asked !== 'slirp') throw new VesselError('E_INVALID_ARGUMENT', `unknown user-mode backend "${asked}": use --network user, user:passt or user:slirp`);
    const found = asked === 'slirp' ? { backend: 'slirp' as const, reason: '' } : await userBackend(this.options.passtPath ? { ...process.env, VESSEL_PASST: this.options.passtPath } : process.env);
    let backend: UserBackend = found.backend;
    let why = found.reason;
    if (mode !== 'user') {
      if (asked === 'passt' && found.backend !== 'passt') throw new VesselError('E_MISSING_DEPENDENCY', `--network user:passt: ${found.reason.replace(/: QEMU's built-in slirp$/, '')}; use --network user or user:slirp`);
      backend = asked === 'passt' ? 'passt' : 'slirp';
      why = `${backend} asked for (${mode})`;
    }
    await assertPortsFree(ports, this.all().flatMap((r) => r.ports));
    const nic: NicRecord = {
      // passt's own MTU (65520, as Podman's pasta uses): its stream socket has no 1500-byte limit; slirp stays at 1500.
      id: 'net0', network: 'user', ifName: 'eth0', cniResult: null, tap: null, mac: randomMac(), mtu: backend === 'passt' ? 65520 : 1500, ips: [`${USER_GUEST_IP}/24`],
      gateway: USER_GATEWAY, routes: [{ dest: 'default', gateway: USER_GATEWAY }], endpointType: 'user', model: 'user', hotplugged: false, complete: true, device: null,
    };
    const rec: SandboxNetRecord = {
      ...base, mode: 'user', reason: `${base.reason}; backend ${backend}: ${why}`, userBackend: backend, phase: 'ready', nics: [nic],
      dns: this.options.resolvConfPath ? this.dnsFor(null) : [`nameserver ${USER_DNS}`],
    };
    await this.write(rec);
    return rec;
  }

  /** ns:PATH: a namespace another tool made; its links become endpoints, as virtcontainers does with the netns CNI hands it. */
  private async setupJoined(base: SandboxNetRecord, nsPath: string): Promise<SandboxNetRecord> {
    if (!path.isAbsolute(nsPath) || !existsSync(nsPath)) throw new VesselError('E_NOT_FOUND', `network namespace ${nsPath} does not exist (give ns:/run/netns/NAME or ns:/proc/PID/ns/net)`);
    let rec: SandboxNetRecord = { ...base, netnsPath: nsPath, ownNetns: false };
    await this.write(rec);
    try {
      const scan = await scanNamespace(nsPath);
      const links = scan.links.filter((l) => l.addresses.length > 0 && !l.name.endsWith('_vsl'));
      if (links.length === 0) throw new VesselError('E_NETWORK', `namespace ${nsPath} has no link with an IPv4 address to give the sandbox`);
      const nics: NicRecord[] = [];
      for (const [i, link] of links.entries()) {
        assertEndpointSupported(link, true);
        // A macvtap link (Kata's macvtap endpoint): QEMU opens its character device; the link itself is left as it is.
        const device = link.kind === 'macvtap' ? path.join(this.devDir(), `${rec.sandboxId.slice(0, 20)}-j${i}`) : null;
        const tap = link.kind === 'tap' || link.kind === 'macvtap' ? link.name : tapName(i);
        if (device) {
          mkdirSync(this.devDir(), { recursive: true, mode: 0o700 });
          rec = { ...rec, nics: [...nics, { ...PENDING_JOINED, id: `net${i}`, network: `ns:${nsPath}`, ifName: link.name, tap, mac: link.mac, device }] };
          await this.write(rec); // journal: the device node is about to exist
          await makeMacvtapDevice(nsPath, link.name, device);
        } else if (link.kind !== 'tap') {
          await setupTcFilter(nsPath, link, tap);
        }
        nics.push({
          id: `net${i}`, network: `ns:${nsPath}`, ifName: link.name, cniResult: null, tap, mac: link.mac, mtu: link.mtu,
          ips: link.addresses.map((a) => `${a.address}/${a.prefix}`),
          gateway: scan.routes.find((r) => r.dest === 'default' && r.device === link.name)?.gateway ?? null,
          routes: scan.routes.filter((r) => r.device === link.name && r.gateway).map((r) => ({ dest: r.dest, gateway: r.gateway })),
          endpointType: link.kind === 'other' ? 'veth' : link.kind, model: link.kind === 'tap' || link.kind === 'macvtap' ? 'none' : 'tcfilter', hotplugged: false, complete: true, device,
        });
      }
      rec = { ...rec, phase: 'ready', nics, dns: this.dnsFor(null) };
      await this.write(rec);
      return rec;
    } catch (err) {
      await this.teardownSandbox(base.sandboxId).catch(() => undefined);
      throw err;
    }
  }

  /** CNI ADD of one network on ifName eth<index>, then its tcfilter endpoint. The journal records the NIC before ADD. */
  private async attach(rec: SandboxNetRecord, net: NetworkRecord, index: number, ports: PortMapping[]): Promise<NicRecord> {
    const nsPath = rec.netnsPath;
    if (!nsPath) throw new VesselError('E_INTERNAL', 'no namespace to attach to');
    const ifName = `eth${index}`;
    const macvtap = net.model === 'macvtap';
    const pending: NicRecord = {
      id: `net${index}`, network: net.name, ifName, cniResult: null, tap: macvtap ? `mtap${index}_vsl` : tapName(index), mac: '', mtu: 1500, ips: [], gateway: null, routes: [],
      endpointType: net.driver === 'bridge' ? 'veth' : 'macvlan', model: macvtap ? 'macvtap' : 'tcfilter', hotplugged: index > 0, complete: false,
      device: macvtap ? path.join(this.devDir(), `${rec.sandboxId.slice(0, 20)}-${index}`) : null,
    };
    await this.write({ ...rec, nics: [...rec.nics.filter((n) => n.id !== pending.id), pending] });
    const result = await this.cni.add(confList(net), this.invocation(rec.sandboxId, nsPath, ifName, ports));
    crashPoint('cni-added');
    const withResult = { ...pending, cniResult: result };
    await this.write({ ...rec, nics: [...rec.nics.filter((n) => n.id !== pending.id), withResult] });
    const scan = await scanNamespace(nsPath);
    const link = scan.links.find((l) => l.name === ifName);
    if (!link) throw new VesselError('E_NETWORK', `CNI ADD on ${net.name} made no ${ifName} in the sandbox's namespace`);
    assertEndpointSupported(link);
    if (pending.device && rec.netnsName) {
      mkdirSync(this.devDir(), { recursive: true, mode: 0o700 });
      await setupMacvtap(rec.netnsName, nsPath, link, pending.tap ?? `mtap${index}_vsl`, pending.device);
    } else {
      await setupTcFilter(nsPath, link, pending.tap ?? tapName(index));
    }
    const ips = result.ips.map((i) => i.address);
    const gateway = result.ips[0]?.gateway ?? null;
    return {
      ...withResult, mac: link.mac.toLowerCase(), mtu: link.mtu, ips, gateway,
      routes: result.routes.map((r) => ({ dest: r.dst === '0.0.0.0/0' ? 'default' : r.dst, gateway: r.gw ?? gateway ?? '' })),
    };
  }

  private devDir(): string {
    return path.join(this.options.root, 'network', 'dev');
  }

  private invocation(sandboxId: string, nsPath: string, ifName: string, ports: PortMapping[]): CniInvocation {
    return { containerId: sandboxId, netnsPath: nsPath, ifName, portMappings: ports };
  }

  private dnsFor(result: CniResult | null): string[] {
    const ns = result?.dns.nameservers ?? [];
    if (ns.length) return [...ns.map((n) => `nameserver ${n}`), ...((result?.dns.search ?? []).length ? [`search ${(result?.dns.search ?? []).join(' ')}`] : [])];
    try {
      return guestResolvLines(readFileSync(this.resolvConfPath, 'utf8'));
    } catch {
      return [];
    }
  }

  async checkSandbox(sandboxId: string): Promise<string[]> {
    const rec = this.read(sandboxId);
    if (!rec || !rec.ownNetns || !rec.netnsPath) return [];
    const fix = 'delete the sandbox and create it again (its network cannot be repaired in place)';
    if (!existsSync(rec.netnsPath)) throw new VesselError('E_NETWORK', `the sandbox's network namespace ${rec.netnsPath} is gone (was the host restarted?): ${fix}`);
    const skipped: string[] = [];
    for (const nic of rec.nics) {
      if (!nic.complete || !nic.cniResult || nic.network.startsWith('ns:')) continue;
      if (nic.model === 'macvtap') {
        // The macvtap model moves the link's MAC and addresses to the guest, so CHECK's view of eth<N> cannot match.
        skipped.push(`${nic.id}: macvtap model (its addresses live in the guest), not checked`);
        continue;
      }
      const net = this.store.read(nic.network);
      if (!net) throw new VesselError('E_NETWORK', `network "${nic.network}" of ${nic.id} no longer exists: ${fix}`);
      try {
        await this.cni.check(confList(net), this.invocation(rec.sandboxId, rec.netnsPath, nic.ifName, nic.id === 'net0' ? rec.ports : []), nic.cniResult);
      } catch (err) {
        throw new VesselError('E_NETWORK', `CNI CHECK of ${nic.id} on network "${nic.network}" failed: ${err instanceof Error ? err.message : String(err)}; ${fix}`);
      }
    }
    return skipped;
  }

  /** Undo everything the record names; idempotent (CNI DEL and link deletes tolerate what is already gone). */
  async teardownSandbox(sandboxId: string): Promise<void> {
    const rec = this.read(sandboxId);
    if (!rec) return;
    await this.write({ ...rec, phase: 'teardown', owner: this.owner() });
    const errors: unknown[] = [];
    for (const nic of [...rec.nics].reverse()) {
      try {
        await this.detachHost(rec, nic);
      } catch (err) {
        errors.push(err);
      }
    }
    crashPoint('teardown-cni-deleted');
    if (rec.ownNetns && rec.netnsName) {
      await ip(null, ['netns', 'delete', rec.netnsName]).catch((err: unknown) => {
        if (existsSync(`/run/netns/${rec.netnsName ?? ''}`)) errors.push(err);
      });
    }
    if (errors.length) throw errors[0];
    rmSync(this.file(sandboxId), { force: true });
  }

  private async detachHost(rec: SandboxNetRecord, nic: NicRecord): Promise<void> {
    if (nic.model === 'user') return;
    const nsPath = rec.netnsPath;
    if (nic.network.startsWith('ns:') && nic.model === 'none') {
      // A joined namespace's tap or macvtap is not ours: only the device node we made goes.
      if (nic.device) rmSync(nic.device, { force: true });
      return;
    }
    if (nsPath && nic.tap && nic.model === 'tcfilter' && existsSync(nsPath)) await removeTcFilter(nsPath, nic.ifName, nic.tap);
    if (nic.model === 'macvtap' && nic.device) {
      rmSync(nic.device, { force: true });
      if (nsPath && existsSync(nsPath)) {
        await removeMacvtap(nsPath, nic.tap ?? '', nic.device).catch(() => undefined);
        // The bridge plugin's DEL finds the NAT rules to remove from the addresses on the link: give them back.
        for (const cidr of nic.ips) await ip(nsPath, ['addr', 'add', cidr, 'dev', nic.ifName]).catch(() => undefined);
      }
    }
    if (nic.network.startsWith('ns:')) return;
    const net = this.store.read(nic.network);
    if (!net) return; // network removed by hand: nothing of ours to DEL against
    // Without a recorded result (killed between ADD and the journal write) DEL still frees the lease and the rules keyed by container ID.
    await this.cni.del(confList(net), this.invocation(rec.sandboxId, nsPath && existsSync(nsPath) ? nsPath : '', nic.ifName, nic.id === 'net0' ? rec.ports : []), nic.cniResult);
  }

  // ---- what the VM and the guest get ------------------------------------

  vmNetwork(rec: SandboxNetRecord, runDir?: string): VmNetworkConfig | undefined {
    const nics: VmNic[] = rec.nics.filter((n) => n.complete).map((n): VmNic => {
      if (n.model !== 'user') return { kind: 'tap', id: n.id, tap: n.tap ?? '', mac: n.mac, ...(n.device ? { device: n.device } : {}) };
      if (rec.userBackend === 'passt') {
        if (!runDir) throw new VesselError('E_INTERNAL', `sandbox ${rec.sandboxId} uses passt: its VM needs beforeBoot (which starts passt)`);
        return { kind: 'stream', id: n.id, mac: n.mac, socketPath: passtSocket(runDir) };
      }
      return { kind: 'user', id: n.id, mac: n.mac, hostForwards: rec.ports.map(toForward) };
    });
    if (nics.length === 0 && !rec.netnsPath) return undefined;
    return { ...(rec.netnsPath ? { netnsPath: rec.netnsPath } : {}), nics };
  }

  async beforeBoot(rec: SandboxNetRecord, runDir: string): Promise<VmNetworkConfig | undefined> {
    if (rec.userBackend === 'passt' && rec.nics.some((n) => n.model === 'user' && n.complete)) {
      await startPasst(runDir, rec.ports, this.options.passtPath ? { ...process.env, VESSEL_PASST: this.options.passtPath } : process.env);
    }
    return this.vmNetwork(rec, runDir);
  }

  async vmGone(runDir: string): Promise<void> {
    await stopPasst(runDir);
  }

  guestConfig(rec: SandboxNetRecord, only?: NicRecord[]): GuestNetConfig {
    const nics = only ?? rec.nics.filter((n) => n.complete);
    const interfaces = nics.map((n) => ({
      hwAddr: n.mac, name: n.ifName.startsWith('eth') ? n.ifName : `eth${n.id.slice(3)}`, mtu: n.mtu,
      ips: n.ips.map((c) => ({ address: c.split('/')[0] ?? '', prefix: Number(c.split('/')[1] ?? 32) })),
    }));
    const routes = nics.flatMap((n, i) => n.routes.map((r) => ({ dest: r.dest, gateway: r.gateway, device: interfaces[i]?.name ?? 'eth0' })));
    return { interfaces, routes, dns: rec.dns };
  }

  status(rec: SandboxNetRecord): SandboxNetworkStatus {
    const hasTap = rec.nics.some((n) => n.model !== 'user');
    const datapath = rec.nics.length === 0 ? 'none' : hasTap
      ? (existsSync('/dev/vhost-net') ? 'tap (vhost-net available but not used yet)' : 'plain tap (no /dev/vhost-net on this host)')
      : rec.userBackend === 'passt' ? 'user-mode (passt)' : 'user-mode (QEMU slirp)';
    return {
      mode: rec.mode, reason: rec.phase === 'ready' ? rec.reason : `${rec.reason} (${rec.phase} interrupted: the next vessel command cleans it up)`,
      netns: rec.netnsPath, datapath, ports: rec.ports, dns: rec.dns,
      nics: rec.nics.map((n, i) => ({
        id: n.id, network: n.network, guestName: n.ifName.startsWith('eth') ? n.ifName : `eth${i}`, mac: n.mac, ips: n.ips, gateway: n.gateway,
        endpointType: n.endpointType, model: n.model, hostInterface: n.tap, hotplugged: n.hotplugged,
      })),
    };
  }

  async hostCounters(rec: SandboxNetRecord): Promise<Map<string, NicStats['host']>> {
    const out = new Map<string, NicStats['host']>();
    for (const n of rec.nics) {
      if (!rec.netnsPath || !n.tap) { out.set(n.id, null); continue; }
      const c = await linkCounters(rec.netnsPath, n.tap);
      // The tap's rx is what the guest sent: report from the guest NIC's point of view.
      out.set(n.id, c ? {
        rxBytes: c.tx.bytes, rxPackets: c.tx.packets, rxErrors: c.tx.errors, rxDropped: c.tx.dropped,
        txBytes: c.rx.bytes, txPackets: c.rx.packets, txErrors: c.rx.errors, txDropped: c.rx.dropped,
      } : null);
    }
    return out;
  }

  async setPorts(sandboxId: string, ports: PortMapping[], options: SetPortsOptions = { vmRunning: false }): Promise<SandboxNetRecord> {
    const rec = this.read(sandboxId);
    if (!rec) throw new VesselError('E_NOT_FOUND', `sandbox ${sandboxId} has no network record`);
    const nic = rec.nics.find((n) => n.id === 'net0');
    if (nic?.model === 'user') return this.setUserPorts(rec, nic, ports, options);
    const net = nic ? this.store.read(nic.network) : null;
    if (!nic || !net || net.driver !== 'bridge' || !nic.cniResult || !rec.netnsPath) {
      throw new VesselError('E_UNSUPPORTED', `live port forwards need a sandbox on a bridge network; this one uses ${rec.mode}`);
    }
    const added = ports.filter((p) => !rec.ports.some((o) => o.hostPort === p.hostPort && o.protocol === p.protocol));
    await assertPortsFree(added, this.all().filter((r) => r.sandboxId !== sandboxId).flatMap((r) => r.ports));
    const list = { ...confList(net), plugins: confList(net).plugins.filter((p) => p.type === 'portmap') };
    await this.cni.del(list, this.invocation(sandboxId, rec.netnsPath, nic.ifName, rec.ports), nic.cniResult);
    const next = { ...rec, ports };
    await this.write(next); // journal first: a DEL of the new list is what undoes a half-made ADD
    try {
      await this.cni.add(list, this.invocation(sandboxId, rec.netnsPath, nic.ifName, ports), nic.cniResult);
    } catch (err) {
      await this.cni.del(list, this.invocation(sandboxId, rec.netnsPath, nic.ifName, ports), nic.cniResult).catch(() => undefined);
      await this.cni.add(list, this.invocation(sandboxId, rec.netnsPath, nic.ifName, rec.ports), nic.cniResult).catch(() => undefined);
      await this.write(rec);
      throw err;
    }
    return next;
  }

  /**
   * User mode: the record holds the forwards the VM gets at its next boot.
   * While it runs, slirp's are changed live (added ones first, each undone
   * when a later one fails); passt's cannot be (passt of 2023 has no way to
   * change them at run time), so that is refused with the alternatives.
   */
  private async setUserPorts(rec: SandboxNetRecord, nic: NicRecord, ports: PortMapping[], options: SetPortsOptions): Promise<SandboxNetRecord> {
    const same = (a: PortMapping, b: PortMapping): boolean => a.hostPort === b.hostPort && a.protocol === b.protocol && a.hostIp === b.hostIp && a.containerPort === b.containerPort;
    const added = ports.filter((p) => !rec.ports.some((o) => same(o, p)));
    const removed = rec.ports.filter((o) => !ports.some((p) => same(o, p)));
    await assertPortsFree(added, this.all().filter((r) => r.sandboxId !== rec.sandboxId).flatMap((r) => r.ports));
    if (options.vmRunning && (added.length || removed.length)) {
      if (rec.userBackend === 'passt') {
        throw new VesselError('E_UNSUPPORTED', `sandbox ${rec.sandboxId} runs user-mode networking on passt, whose forwards are fixed when it starts (Debian's passt of 2023 cannot change them at run time): stop the sandbox, change the ports, start it (forwards are kept), or create it with --network user:slirp for live port changes`);
      }
      const live = options.live;
      if (!live) throw new VesselError('E_UNSUPPORTED', `this hypervisor driver cannot change user-mode port forwards of a running VM: stop the sandbox first`);
      const done: PortMapping[] = [];
      try {
        for (const p of added) {
          await live.add(nic.id, toForward(p));
          done.push(p);
        }
      } catch (err) {
        for (const p of done.reverse()) await live.remove(nic.id, toForward(p)).catch(() => undefined);
        throw err;
      }
      for (const p of removed) await live.remove(nic.id, toForward(p));
    }
    const next = { ...rec, ports };
    await this.write(next);
    return next;
  }

  // ---- second NICs ------------------------------------------------------

  async prepareNic(sandboxId: string, network: string): Promise<NicRecord> {
    const rec = this.read(sandboxId);
    if (!rec) throw new VesselError('E_NOT_FOUND', `sandbox ${sandboxId} has no network record`);
    if (!rec.ownNetns || !rec.netnsPath) throw new VesselError('E_UNSUPPORTED', `sandbox ${sandboxId} uses ${rec.mode} networking: only sandboxes on Vessel networks can connect more`);
    const net = network === DEFAULT_NETWORK ? await this.store.ensureDefault() : this.store.get(network);
    if (rec.nics.some((n) => n.network === net.name)) throw new VesselError('E_ALREADY_EXISTS', `sandbox ${sandboxId} is already on network ${net.name}`);
    let index = 0;
    while (rec.nics.some((n) => n.id === `net${index}` || n.ifName === `eth${index}`)) index++;
    try {
      const nic = await this.attach({ ...rec, owner: this.owner() }, net, index, []);
      await this.write({ ...rec, owner: this.owner(), nics: [...rec.nics, nic] });
      return nic;
    } catch (err) {
      await this.releaseNic(sandboxId, `net${index}`).catch(() => undefined);
      throw err;
    }
  }

  async commitNic(sandboxId: string, id: string): Promise<void> {
    const rec = this.read(sandboxId);
    if (!rec) return;
    await this.write({ ...rec, nics: rec.nics.map((n) => (n.id === id ? { ...n, complete: true } : n)) });
  }

  async releaseNic(sandboxId: string, id: string): Promise<void> {
    const rec = this.read(sandboxId);
    const nic = rec?.nics.find((n) => n.id === id);
    if (!rec || !nic) return;
    await this.write({ ...rec, nics: rec.nics.map((n) => (n.id === id ? { ...n, complete: false } : n)) });
    await this.detachHost(rec, nic);
    await this.write({ ...rec, nics: rec.nics.filter((n) => n.id !== id) });
  }

  // ---- recovery -----------------------------------------------------------

  /**
   * Finish what a killed process left: records in 'setup' or 'teardown'
   * whose owner is gone, and records of sandboxes that no longer exist, are
   * torn down. NICs half plugged (complete=false) by a dead owner are released.
   */
  async recover(sandboxExists: (id: string) => boolean): Promise<string[]> {
    const cleaned: string[] = [];
    for (const rec of this.all()) {
      const ownerAlive = readProcStartTime(rec.owner.pid) === rec.owner.startTime;
      if ((rec.phase !== 'ready' && !ownerAlive) || (rec.phase === 'ready' && !sandboxExists(rec.sandboxId))) {
        await this.teardownSandbox(rec.sandboxId).catch(() => undefined);
        cleaned.push(rec.sandboxId);
        continue;
      }
      if (ownerAlive || rec.phase !== 'ready') continue;
      for (const nic of rec.nics.filter((n) => !n.complete)) {
        await this.releaseNic(rec.sandboxId, nic.id).catch(() => undefined);
        cleaned.push(`${rec.sandboxId}/${nic.id}`);
      }
    }
    return cleaned;
  }
}

/** For tests: whether a named namespace exists. */
export async function netnsExists(name: string): Promise<boolean> {
  const out = await mustRun('/usr/sbin/ip', ['netns', 'list']);
  return out.split('\n').some((l) => l.split(' ')[0] === name);
}
