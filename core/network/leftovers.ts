// What a sandbox's networking can leave on the host, for tests and for
// `vessel` to check itself: its namespace, NAT/filter rules naming it or its
// addresses, host-local leases. Empty means nothing is left.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runTool } from './exec.js';

export async function networkLeftovers(sandboxId: string, ipamDirs: string[], ips: string[] = []): Promise<string[]> {
  const out: string[] = [];
  const ns = `vsl-${sandboxId.slice(0, 20)}`;
  if (existsSync(`/run/netns/${ns}`)) out.push(`netns ${ns}`);
  const rules = await runTool('/usr/sbin/iptables-save', []);
  for (const line of rules.stdout.split('\n')) {
    if (line.includes(sandboxId) || ips.some((ip) => line.includes(`${ip}/32`) || line.includes(` ${ip} `) || line.includes(`${ip}:`))) out.push(`iptables: ${line}`);
  }
  for (const dir of ipamDirs) {
    if (!existsSync(dir)) continue;
    for (const net of readdirSync(dir)) {
      const netDir = path.join(dir, net);
      let files: string[] = [];
      try { files = readdirSync(netDir); } catch { continue; }
      for (const f of files) {
        try {
          if (readFileSync(path.join(netDir, f), 'utf8').includes(sandboxId)) out.push(`lease ${net}/${f}`);
        } catch {
          // a directory or unreadable: not a lease
        }
      }
    }
  }
  return out;
}
