// IPv4 address and CIDR arithmetic for validating user input and choosing subnets.
import { VesselError } from '../contract/index.js';

export function parseIpv4(text: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  const parts = m ? m.slice(1).map(Number) : [];
  if (!m || parts.some((p) => p > 255) || parts.length !== 4) throw new VesselError('E_INVALID_ARGUMENT', `"${text}" is not an IPv4 address`);
  return (((parts[0] ?? 0) << 24) >>> 0) + ((parts[1] ?? 0) << 16) + ((parts[2] ?? 0) << 8) + (parts[3] ?? 0);
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Cidr {
  network: number;
  prefix: number;
  networkText: string;
}

export function parseCidr(text: string): Cidr {
  const [addr, len, extra] = text.trim().split('/');
  if (addr === undefined || len === undefined || extra !== undefined || !/^\d{1,2}$/.test(len) || Number(len) > 32) {
    throw new VesselError('E_INVALID_ARGUMENT', `"${text}" is not an IPv4 CIDR such as 10.90.0.0/24`);
  }
  const prefix = Number(len);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const network = (parseIpv4(addr) & mask) >>> 0;
  return { network, prefix, networkText: formatIpv4(network) };
}

function range(c: Cidr): [number, number] {
  const size = 2 ** (32 - c.prefix);
  return [c.network, c.network + size - 1];
}

export function cidrsOverlap(a: string, b: string): boolean {
  const [a0, a1] = range(parseCidr(a));
  const [b0, b1] = range(parseCidr(b));
  return a0 <= b1 && b0 <= a1;
}

export function cidrContains(cidr: string, address: string): boolean {
  const [lo, hi] = range(parseCidr(cidr));
  const n = parseIpv4(address);
  return n > lo && n < hi;
}

/** The i-th host address of a subnet (1 = the first usable one). */
export function hostAddress(cidr: string, i: number): string {
  return formatIpv4(parseCidr(cidr).network + i);
}
