// Inline validation of the network forms, with the contract's own schemas
// where they exist (so the dialog and the core agree).
import { NetworkName, type PortMapping } from '../../../../core/contract/index.js';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4(text: string): number | null {
  const m = IPV4.exec(text.trim());
  if (!m) return null;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return null;
  return (((p[0] ?? 0) << 24) >>> 0) + ((p[1] ?? 0) << 16) + ((p[2] ?? 0) << 8) + (p[3] ?? 0);
}

export interface NetworkForm { name: string; driver: 'bridge' | 'macvlan'; subnet: string; gateway: string; parent: string; internal: boolean; model: 'tcfilter' | 'macvtap' }
export type NetworkFormErrors = Partial<Record<keyof NetworkForm, string>>;

export function validateNetworkForm(f: NetworkForm, taken: string[]): NetworkFormErrors {
  const e: NetworkFormErrors = {};
  const name = NetworkName.safeParse(f.name.trim());
  if (!name.success) e.name = name.error.issues[0]?.message ?? 'invalid name';
  else if (['none', 'user', 'host'].includes(f.name.trim())) e.name = `"${f.name.trim()}" is reserved`;
  else if (taken.includes(f.name.trim())) e.name = 'a network with this name exists';
  let range: [number, number] | null = null;
  if (f.subnet.trim()) {
    const [addr, len] = f.subnet.trim().split('/');
    const n = addr === undefined ? null : ipv4(addr);
    const prefix = len !== undefined && /^\d{1,2}$/.test(len) ? Number(len) : NaN;
    if (n === null || !(prefix >= 8 && prefix <= 30)) e.subnet = 'an IPv4 CIDR such as 10.90.0.0/24 (prefix /8 to /30)';
    else {
      const size = 2 ** (32 - prefix);
      const base = n - (n % size);
      range = [base, base + size - 1];
    }
  }
  if (f.gateway.trim()) {
    const g = ipv4(f.gateway);
    if (g === null) e.gateway = 'an IPv4 address';
    else if (range && (g <= range[0] || g >= range[1])) e.gateway = 'must be inside the subnet';
    else if (!f.subnet.trim()) e.gateway = 'give the subnet too';
  }
  if (f.driver === 'macvlan') {
    if (!f.parent.trim()) e.parent = 'a macvlan network needs a parent interface';
    else if (f.parent.trim().length > 15) e.parent = 'interface names have at most 15 characters';
  }
  return e;
}

export interface PortForm { hostPort: string; containerPort: string; protocol: 'tcp' | 'udp' }

export function parsePortForm(f: PortForm): { port: PortMapping | null; errors: Partial<Record<keyof PortForm, string>> } {
  const errors: Partial<Record<keyof PortForm, string>> = {};
  const num = (s: string): number => (/^\d{1,5}$/.test(s.trim()) ? Number(s) : NaN);
  const hp = num(f.hostPort);
  const cp = num(f.containerPort);
  if (!(hp >= 1 && hp <= 65535)) errors.hostPort = 'a port from 1 to 65535';
  if (!(cp >= 1 && cp <= 65535)) errors.containerPort = 'a port from 1 to 65535';
  return { port: Object.keys(errors).length ? null : { hostIp: '127.0.0.1', hostPort: hp, containerPort: cp, protocol: f.protocol }, errors };
}
