import type { PortMapping } from './network.js';

/**
 * An image's ExposedPorts ("80/tcp", "53/udp", "8080") turned into the port
 * forwards Vessel suggests for it: the same host port, or port + 8000 for a
 * privileged one (80 → 8080, 443 → 8443), on 127.0.0.1 as -p gives it.
 * Ports already forwarded to the same container port and protocol are left
 * out. Pure (no Node, no DOM): the CLI hint and the UI's create dialog share it.
 */

export interface PortSuggestion {
  /** What was declared, as the image says it. */
  exposed: string;
  mapping: PortMapping;
  /** The -p value that gives this forward: "8080:80/tcp". */
  flag: string;
}

/** "80/tcp" → {port, protocol}; null for what -p cannot forward (sctp, ranges, junk). */
export function parseExposedPort(spec: string): { port: number; protocol: 'tcp' | 'udp' } | null {
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(spec.trim());
  if (!m) return null;
  const port = Number(m[1]);
  if (port < 1 || port > 65535) return null;
  return { port, protocol: (m[2]?.toLowerCase() ?? 'tcp') as 'tcp' | 'udp' };
}

export function suggestedHostPort(port: number): number {
  return port < 1024 && port + 8000 <= 65535 ? port + 8000 : port;
}

export function portFlag(p: Pick<PortMapping, 'hostPort' | 'containerPort' | 'protocol'> & { hostIp?: string }): string {
  const ip = p.hostIp && p.hostIp !== '127.0.0.1' ? `${p.hostIp}:` : '';
  return `${ip}${p.hostPort}:${p.containerPort}/${p.protocol}`;
}

export function suggestPortForwards(exposedPorts: readonly string[], alreadyForwarded: readonly Pick<PortMapping, 'containerPort' | 'protocol'>[] = []): PortSuggestion[] {
  const out: PortSuggestion[] = [];
  const seen = new Set(alreadyForwarded.map((p) => `${p.containerPort}/${p.protocol}`));
  for (const exposed of exposedPorts) {
    const e = parseExposedPort(exposed);
    if (!e) continue;
    const key = `${e.port}/${e.protocol}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const mapping: PortMapping = { hostIp: '127.0.0.1', hostPort: suggestedHostPort(e.port), containerPort: e.port, protocol: e.protocol };
    out.push({ exposed, mapping, flag: portFlag(mapping) });
  }
  return out;
}

/**
 * One -p value typed in the UI ("[hostip:]hostport:containerport[/tcp|udp]")
 * → a mapping, or the reason it is not one. The core validates again
 * (core/network/ports.ts); this only lets the dialog say what is wrong early.
 */
export function parsePortFlag(spec: string): PortMapping | string {
  const m = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/.exec(spec.trim());
  if (!m) return `"${spec}" is not [hostip:]hostport:containerport[/tcp|/udp]`;
  const hostPort = Number(m[2]);
  const containerPort = Number(m[3]);
  if (hostPort < 1 || hostPort > 65535 || containerPort < 1 || containerPort > 65535) return `"${spec}": ports are 1 – 65535`;
  if (m[1] !== undefined && m[1].split('.').some((o) => Number(o) > 255)) return `"${spec}": ${m[1]} is not an IPv4 address`;
  return { hostIp: m[1] ?? '127.0.0.1', hostPort, containerPort, protocol: (m[4] ?? 'tcp') as 'tcp' | 'udp' };
}
