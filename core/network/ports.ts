// -p [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp], and whether a host port is free.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { VesselError, type PortMapping } from '../contract/index.js';
import { parseIpv4 } from './ipv4.js';

function port(text: string, what: string, spec: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new VesselError('E_INVALID_ARGUMENT', `invalid port mapping "${spec}": ${what} must be 1-65535, got "${text}"`);
  }
  return Number(text);
}

export function parsePortMapping(spec: string): PortMapping {
  const [main, proto, extra] = spec.split('/');
  if (main === undefined || extra !== undefined) throw new VesselError('E_INVALID_ARGUMENT', `invalid port mapping "${spec}": expected [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]`);
  const protocol = proto ?? 'tcp';
  if (protocol !== 'tcp' && protocol !== 'udp') throw new VesselError('E_INVALID_ARGUMENT', `invalid port mapping "${spec}": protocol must be tcp or udp`);
  const parts = main.split(':');
  if (parts.length < 2 || parts.length > 3) throw new VesselError('E_INVALID_ARGUMENT', `invalid port mapping "${spec}": expected [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]`);
  const hostIp = parts.length === 3 ? (parts[0] ?? '') : '127.0.0.1';
  try {
    parseIpv4(hostIp);
  } catch {
    throw new VesselError('E_INVALID_ARGUMENT', `invalid port mapping "${spec}": host IP "${hostIp}" is not an IPv4 address`);
  }
  const hp = parts[parts.length - 2] ?? '';
  const cp = parts[parts.length - 1] ?? '';
  return { hostIp, hostPort: port(hp, 'the host port', spec), containerPort: port(cp, 'the container port', spec), protocol };
}

export function formatPortMapping(p: PortMapping): string {
  return `${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.protocol}`;
}

/** Throws E_BUSY naming the port when something on the host already listens there (or another mapping in the list takes it). */
export async function assertPortsFree(ports: PortMapping[], alsoTaken: PortMapping[] = []): Promise<void> {
  const seen = new Set(alsoTaken.map((p) => `${p.protocol}:${p.hostPort}`));
  for (const p of ports) {
    const key = `${p.protocol}:${p.hostPort}`;
    if (seen.has(key)) throw new VesselError('E_BUSY', `host port ${p.hostPort}/${p.protocol} is already forwarded by a sandbox`, { port: p.hostPort });
    seen.add(key);
    const free = await new Promise<boolean>((resolve) => {
      if (p.protocol === 'udp') {
        const s = createSocket('udp4');
        s.once('error', () => resolve(false));
        s.bind(p.hostPort, p.hostIp, () => s.close(() => resolve(true)));
        return;
      }
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen({ port: p.hostPort, host: p.hostIp, exclusive: true }, () => srv.close(() => resolve(true)));
    });
    if (!free) throw new VesselError('E_BUSY', `host port ${p.hostIp}:${p.hostPort}/${p.protocol} is already in use on this host: pick another -p`, { port: p.hostPort });
  }
}
