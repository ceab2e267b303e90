// Which networking backend a sandbox gets on this host, and why (for `host check`).
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface NetworkCheck { name: string; status: 'ok' | 'warn' | 'fail'; detail: string }

export function networkChecks(root = '/', uid: number = process.getuid?.() ?? -1): NetworkCheck[] {
  const cni = ['bridge', 'host-local', 'portmap', 'firewall', 'tuning', 'macvlan'].filter((p) => !existsSync(path.join(root, 'usr/lib/cni', p)));
  const passt = existsSync(path.join(root, 'usr/bin/passt'));
  const vhost = existsSync(path.join(root, 'dev/vhost-net'));
  const out: NetworkCheck[] = [];
  if (uid === 0) {
    out.push(cni.length
      ? { name: 'network', status: 'warn', detail: `default network "vessel" unavailable: CNI plugins missing (${cni.join(', ')}): apt-get install containernetworking-plugins; use --network user` }
      : { name: 'network', status: 'ok', detail: `default: the "vessel" bridge network (CNI in /usr/lib/cni, one namespace per sandbox); taps ${vhost ? 'with /dev/vhost-net present (not used yet)' : 'without vhost (no /dev/vhost-net)'}` });
  } else {
    out.push({ name: 'network', status: 'ok', detail: `default: user-mode networking (QEMU slirp), as Vessel does not run as root${passt ? '; passt is installed but not used yet' : ' (passt not installed)'}` });
  }
  return out;
}
