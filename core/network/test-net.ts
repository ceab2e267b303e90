// Helpers for the networking tests that run real VMs through the CLI: why
// they skip, a CLI result's output, HTTP GETs to loopback or to namespaces
// the test made, a free loopback port.
import { existsSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import { vmSkipReason, type CliResult } from '../cli/test-helpers.js';

/** Why a test with bridges, namespaces and real VMs cannot run here, or null. */
export function netSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, bridges, iptables)';
  if (!existsSync('/usr/lib/cni/bridge')) return 'no CNI plugins in /usr/lib/cni (Debian containernetworking-plugins)';
  return vmSkipReason();
}

/** The command's stdout; its stderr in the error when it failed. */
export function ok(r: CliResult, what: string): string {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

export function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 15_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** The page, once a container's server listens (it starts after `container run` returns): bounded retries. */
export async function pageOf(url: string, withinMs = 20_000): Promise<string> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await httpGet(url);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s: Server = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
