// Which networking backend a sandbox gets on this host, and why (for `host check`).
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface NetworkCheck { name: string; status: 'ok' | 'warn' | 'fail'; detail: string }

/** user: which user-mode backend `--network user` gets here and why (core/network/passt.ts userBackend). */
export function networkChecks(root = '/', uid: number = process.getuid?.() ?? -1, user?: { backend: 'passt' | 'slirp'; reason: string }): NetworkCheck[] {
  const cni = ['bridge', 'host-local', 'portmap', 'firewall', 'tuning', 'macvlan'].filter((p) => !existsSync(path.join(root, 'usr/lib/cni', p)));
  const passt = existsSync(path.join(root, 'usr/bin/passt'));
  const vhost = existsSync(path.join(root, 'dev/vhost-net'));
  const out: NetworkCheck[] = [];
  if (uid === 0) {
    out.push(cni.length
      ? { name: 'network', status: 'warn', detail: `default network "vessel" unavailable: CNI plugins missing (${cni.join(', ')}): apt-get install containernetworking-plugins; use --network user` }
      : { name: 'network', status: 'ok', detail: `default: the "vessel" bridge network (CNI in /usr/lib/cni, one namespace per sandbox); taps ${vhost ? 'with /dev/vhost-net present (not used yet)' : 'without vhost (no /dev/vhost-net)'}` });
  } else {
    out.push({ name: 'network', status: 'ok', detail: 'default: user-mode networking, as Vessel does not run as root' });
  }
  const backend = user ?? (passt ? { backend: 'passt' as const, reason: 'passt is installed (not probed)' } : { backend: 'slirp' as const, reason: "passt is not installed (apt-get install passt): QEMU's built-in slirp" });
  out.push({
    name: 'user-mode network', status: 'ok',
    detail: `--network user uses ${backend.backend === 'passt' ? 'passt' : 'QEMU slirp'}: ${backend.reason}${backend.backend === 'passt' ? "; live port add/remove needs slirp (--network user:slirp): passt's forwards are fixed at start" : ''}`,
  });
  return out;
}
