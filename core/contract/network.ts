import { z } from 'zod';

/** A network's name: it lands in file names and CNI configs. */
export const NETWORK_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const NetworkName = z.string().regex(NETWORK_NAME_PATTERN, {
  message: 'a network name is 1-32 lowercase letters, digits, "_" or "-", starting with a letter or digit',
});

export const NetworkDriver = z.enum(['bridge', 'macvlan']);
export type NetworkDriver = z.infer<typeof NetworkDriver>;

/** What `network create` asks for. */
export const CreateNetworkRequest = z.object({
  name: NetworkName,
  driver: NetworkDriver.default('bridge'),
  subnet: z.string().optional(),
  gateway: z.string().optional(),
  parent: z.string().optional(),
  internal: z.boolean().default(false),
  /** tcfilter (default) or macvtap. */
  model: z.enum(['tcfilter', 'macvtap']).optional(),
});
export type CreateNetworkRequest = z.input<typeof CreateNetworkRequest>;

export const NetworkInfo = z.object({
  name: NetworkName,
  driver: NetworkDriver,
  subnet: z.string(),
  gateway: z.string(),
  /** The host link the network hangs off: the bridge, or the macvlan parent. */
  hostInterface: z.string(),
  internal: z.boolean(),
  isDefault: z.boolean(),
  /** tcfilter or macvtap (how sandbox links join their VM). */
  model: z.enum(['tcfilter', 'macvtap']).default('tcfilter'),
  createdAt: z.string(),
  /** IDs of the sandboxes attached to it. */
  sandboxes: z.array(z.string()),
});
export type NetworkInfo = z.infer<typeof NetworkInfo>;

export const PortProtocol = z.enum(['tcp', 'udp']);
export const PortMapping = z.object({
  hostIp: z.string().default('127.0.0.1'),
  hostPort: z.number().int().min(1).max(65535),
  containerPort: z.number().int().min(1).max(65535),
  protocol: PortProtocol.default('tcp'),
});
export type PortMapping = z.output<typeof PortMapping>;

/** How the sandbox's NIC reaches its network (virtcontainers' endpoint types). */
export const EndpointType = z.enum(['veth', 'macvlan', 'macvtap', 'tap', 'tuntap', 'physical', 'vhost-user', 'user']);
/** How the endpoint is joined to the VM's tap (virtcontainers' internetworking models). */
export const NetInterworkingModel = z.enum(['tcfilter', 'macvtap', 'none', 'user']);

export const NicCounters = z.object({
  rxBytes: z.number(), rxPackets: z.number(), rxErrors: z.number(), rxDropped: z.number(),
  txBytes: z.number(), txPackets: z.number(), txErrors: z.number(), txDropped: z.number(),
});
export type NicCounters = z.infer<typeof NicCounters>;

export const NicStatus = z.object({
  /** QEMU's device id (net0, net1, ...). */
  id: z.string(),
  network: z.string(),
  guestName: z.string(),
  mac: z.string(),
  ips: z.array(z.string()),
  gateway: z.string().nullable(),
  endpointType: EndpointType,
  model: NetInterworkingModel,
  /** Host-side link (tap) in the sandbox's namespace; null for user-mode. */
  hostInterface: z.string().nullable(),
  hotplugged: z.boolean(),
});
export type NicStatus = z.infer<typeof NicStatus>;

export const SandboxNetworkStatus = z.object({
  /** 'vessel' or a network name, 'user', 'none' or 'ns:PATH'. */
  mode: z.string(),
  /** Why this mode (the default chosen, or asked for). */
  reason: z.string(),
  netns: z.string().nullable(),
  /** "vhost-net" or "plain tap (no /dev/vhost-net)", "user-mode (QEMU slirp)". */
  datapath: z.string(),
  nics: z.array(NicStatus),
  ports: z.array(PortMapping),
  dns: z.array(z.string()),
});
export type SandboxNetworkStatus = z.infer<typeof SandboxNetworkStatus>;

/** One NIC's counters from both sides: the host (tap in the sandbox's namespace) and the guest (/proc/net/dev). */
export const NicStats = z.object({
  id: z.string(),
  network: z.string(),
  mac: z.string(),
  host: NicCounters.nullable(),
  guest: NicCounters.nullable(),
});
export type NicStats = z.infer<typeof NicStats>;
