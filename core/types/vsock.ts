import { z } from 'zod';
import { DECIMAL_UINT, UINT32_MAX, invalidArgument, isAbsolutePath, quote } from './internal.js';

/**
 * Agent addresses over vsock.
 *
 * `vsock://CID:PORT` — AF_VSOCK, as QEMU's vhost-vsock-pci. CID and port are
 * unsigned 32-bit decimals. Well-known CIDs (linux/vm_sockets.h):
 *   0 VMADDR_CID_HYPERVISOR — reserved for the hypervisor      → rejected
 *   1 VMADDR_CID_LOCAL      — local loopback, not a peer       → rejected
 *   2 VMADDR_CID_HOST       — the host, as seen from a guest   → accepted
 *   3 … 0xFFFFFFFE          — guests                           → accepted
 *   0xFFFFFFFF VMADDR_CID_ANY — wildcard, for listeners        → accepted
 * Use {@link isGuestCid} / {@link assertGuestCid} where a CID must name a
 * guest (e.g. the `guest-cid` given to a VM): that excludes 2 and ANY too.
 *
 * `hvsock://PATH:PORT` — hybrid vsock, as Firecracker and Cloud Hypervisor
 * expose it: the host connects to the unix socket at PATH, writes
 * "CONNECT PORT\n" and then talks to the guest's vsock PORT. PATH is absolute
 * and fits in sun_path (at most 107 bytes); the port follows the LAST ':', so
 * the path may itself contain ':'.
 */

export const VMADDR_CID_HYPERVISOR = 0;
export const VMADDR_CID_LOCAL = 1;
export const VMADDR_CID_HOST = 2;
export const VMADDR_CID_ANY = UINT32_MAX;
/** sun_path is 108 bytes including the terminating NUL. */
export const UNIX_PATH_MAX_BYTES = 107;

const uint32 = z.number().int().min(0).max(UINT32_MAX);

export const VsockAddress = z.object({
  scheme: z.literal('vsock'),
  cid: uint32.refine((cid) => cid !== VMADDR_CID_HYPERVISOR && cid !== VMADDR_CID_LOCAL, 'CIDs 0 (hypervisor) and 1 (local) are reserved'),
  port: uint32,
});
export type VsockAddress = z.infer<typeof VsockAddress>;

export const HybridVsockAddress = z.object({
  scheme: z.literal('hvsock'),
  path: z
    .string()
    .refine(isAbsolutePath, 'the socket path must be absolute')
    .refine((p) => Buffer.byteLength(p) <= UNIX_PATH_MAX_BYTES, `the socket path must be at most ${UNIX_PATH_MAX_BYTES} bytes`),
  port: uint32,
});
export type HybridVsockAddress = z.infer<typeof HybridVsockAddress>;

export const AgentVsockAddress = z.discriminatedUnion('scheme', [VsockAddress, HybridVsockAddress]);
export type AgentVsockAddress = z.infer<typeof AgentVsockAddress>;

function parseUint32(text: string, what: string, input: string, expected: string): number {
  if (!DECIMAL_UINT.test(text) || Number(text) > UINT32_MAX) {
    throw invalidArgument(
      `invalid address ${quote(input)}: ${what} ${quote(text)} must be a decimal number from 0 to ${UINT32_MAX} (${expected})`,
      { input },
    );
  }
  return Number(text);
}

const VSOCK_EXPECTED = 'expected "vsock://CID:PORT", e.g. "vsock://3:1024"';

export function parseVsockAddress(input: string): VsockAddress {
  const prefix = 'vsock://';
  if (!input.startsWith(prefix)) throw invalidArgument(`invalid address ${quote(input)}: ${VSOCK_EXPECTED}`, { input });
  const rest = input.slice(prefix.length);
  const parts = rest.split(':');
  if (parts.length !== 2) throw invalidArgument(`invalid address ${quote(input)}: ${VSOCK_EXPECTED}`, { input });
  const cid = parseUint32(parts[0] ?? '', 'CID', input, VSOCK_EXPECTED);
  const port = parseUint32(parts[1] ?? '', 'port', input, VSOCK_EXPECTED);
  if (cid === VMADDR_CID_HYPERVISOR || cid === VMADDR_CID_LOCAL) {
    throw invalidArgument(
      `invalid address ${quote(input)}: CID ${cid} is reserved (0 is the hypervisor, 1 is local loopback); guests use 3 or more, the host is 2`,
      { input },
    );
  }
  return { scheme: 'vsock', cid, port };
}

const HVSOCK_EXPECTED = 'expected "hvsock://PATH:PORT", e.g. "hvsock:///run/vessel/sbx/vsock.sock:1024"';

export function parseHybridVsockAddress(input: string): HybridVsockAddress {
  const prefix = 'hvsock://';
  if (!input.startsWith(prefix)) throw invalidArgument(`invalid address ${quote(input)}: ${HVSOCK_EXPECTED}`, { input });
  const rest = input.slice(prefix.length);
  const colon = rest.lastIndexOf(':');
  if (colon < 0) throw invalidArgument(`invalid address ${quote(input)}: missing ":PORT" (${HVSOCK_EXPECTED})`, { input });
  const path = rest.slice(0, colon);
  const port = parseUint32(rest.slice(colon + 1), 'port', input, HVSOCK_EXPECTED);
  if (!isAbsolutePath(path)) {
    throw invalidArgument(`invalid address ${quote(input)}: socket path ${quote(path)} must be absolute (${HVSOCK_EXPECTED})`, { input });
  }
  if (Buffer.byteLength(path) > UNIX_PATH_MAX_BYTES) {
    throw invalidArgument(
      `invalid address ${quote(input)}: socket path is ${Buffer.byteLength(path)} bytes, a unix socket path must be at most ${UNIX_PATH_MAX_BYTES}`,
      { input },
    );
  }
  return { scheme: 'hvsock', path, port };
}

/** Either form, chosen by the scheme. */
export function parseAgentVsockAddress(input: string): AgentVsockAddress {
  if (input.startsWith('vsock://')) return parseVsockAddress(input);
  if (input.startsWith('hvsock://')) return parseHybridVsockAddress(input);
  throw invalidArgument(`invalid address ${quote(input)}: expected "vsock://CID:PORT" or "hvsock://PATH:PORT"`, { input });
}

export function formatAgentVsockAddress(address: AgentVsockAddress): string {
  return address.scheme === 'vsock' ? `vsock://${address.cid}:${address.port}` : `hvsock://${address.path}:${address.port}`;
}

/** A CID that can be given to a guest: 3 … 0xFFFFFFFE. */
export function isGuestCid(cid: number): boolean {
  return Number.isInteger(cid) && cid > VMADDR_CID_HOST && cid < VMADDR_CID_ANY;
}

export function assertGuestCid(cid: number): void {
  if (!isGuestCid(cid)) {
    throw invalidArgument(
      `invalid guest CID ${cid}: a guest CID is an integer from 3 to ${VMADDR_CID_ANY - 1} (0-2 are reserved, ${VMADDR_CID_ANY} means "any")`,
      { cid },
    );
  }
}
