/**
 * Network benchmark (`npm run bench:net`): TCP throughput host → container
 * and container → container through the tcfilter model (bridge network) and
 * through user-mode networking, and the time to hot plug (and unplug) a NIC,
 * measured side by side in one run on the same machine. Traffic goes only to
 * loopback and to the namespaces this benchmark makes. Not a test: it prints
 * figures and asserts nothing. Needs root (namespaces) and a built guest.
 *
 * The macvtap model runs on its own network (network create --model macvtap).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MIB = Number(process.env.BENCH_NET_MIB ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(repo, 'dist', 'core', 'cli', 'main.js');
const root = mkdtempSync(path.join(tmpdir(), 'vsl-bench-'));
const resolv = path.join(root, 'resolv.conf');
writeFileSync(resolv, 'nameserver 10.255.255.254\n');
const env = { ...process.env, VESSEL_ROOT: root, VESSEL_RESOLV_CONF: resolv };

function vessel(...args: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`vessel ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** Send MIB MiB to host:port (a sink in the container: nc -l > /dev/null) and time it until the peer closes. */
function sendTo(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024);
    let left = (MIB * 1024 * 1024) / chunk.length;
    const start = performance.now();
    const sock = connect({ host, port }, () => {
      const pump = (): void => {
        while (left > 0) {
          left--;
          if (!sock.write(chunk)) { sock.once('drain', pump); return; }
        }
        sock.end();
      };
      pump();
    });
    sock.on('close', () => resolve(performance.now() - start));
    sock.on('error', reject);
    sock.resume();
  });
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Host → container: a sink container behind a forwarded port, one round per port. */
async function hostToContainer(sandbox: string, port: number, cport: number): Promise<number> {
  // One-shot sink: busybox nc -l exits after the connection closes, so each round starts a fresh one.
  vessel('exec', sandbox, 'sink', '--', 'sh', '-c', `(nc -l -p ${cport} > /dev/null &) ; sleep 1`);
  await sleep(500);
  return sendTo('127.0.0.1', port);
}

function mbps(ms: number): string {
  return ms > 0 ? `${((MIB * 8 * 1024 * 1024) / (ms / 1000) / 1e6).toFixed(1)} Mbit/s` : '?';
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:net needs root (network namespaces, bridges)');
  const tag = randomBytes(2).toString('hex');
  const net = `bench${tag}`;
  const rows: [string, string][] = [];
  const created: string[] = [];
  try {
    vessel('network', 'create', net);
    vessel('network', 'create', `${net}m`, '--model', 'macvtap');
    const pM = await freePort();
    const pA = await freePort();
    const pU = await freePort();
    const a = (JSON.parse(vessel('sandbox', 'run', '--name', `ba${tag}`, '--network', net, '-p', `${pA}:5001`, '--json')) as { id: string; network: { nics: { ips: string[] }[] } });
    created.push(a.id);
    const b = (JSON.parse(vessel('sandbox', 'run', '--name', `bb${tag}`, '--network', net, '--json')) as { id: string });
    created.push(b.id);
    const mv = (JSON.parse(vessel('sandbox', 'run', '--name', `bm${tag}`, '--network', `${net}m`, '-p', `${pM}:5001`, '--json')) as { id: string });
    created.push(mv.id);
    const u = (JSON.parse(vessel('sandbox', 'run', '--name', `bu${tag}`, '--network', 'user', '-p', `${pU}:5001`, '--json')) as { id: string });
    created.push(u.id);
    for (const id of created) vessel('container', 'run', id, '--name', 'sink', '--', 'sleep', '3600');

    const tc: number[] = [];
    const us: number[] = [];
    const mt: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Alternating, so load changes hit all three the same way.
      tc.push(await hostToContainer(a.id, pA, 5001));
      mt.push(await hostToContainer(mv.id, pM, 5001));
      us.push(await hostToContainer(u.id, pU, 5001));
    }
    rows.push([`host → container, tcfilter (bridge, plain tap), ${MIB} MiB`, `${mbps(median(tc))} (median of ${ROUNDS})`]);
    rows.push([`host → container, user-mode (QEMU slirp hostfwd), ${MIB} MiB`, `${mbps(median(us))} (median of ${ROUNDS})`]);
    rows.push([`host → container, macvtap model (bridge network), ${MIB} MiB`, `${mbps(median(mt))} (median of ${ROUNDS})`]);

    // Container → container over the bridge: B sends to a sink in A, timed inside the guest by the exec.
    const aIp = a.network.nics[0]?.ips[0]?.split('/')[0] ?? '';
    const c2c: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      vessel('exec', a.id, 'sink', '--', 'sh', '-c', '(nc -l -p 5002 > /dev/null &) ; sleep 1');
      const start = performance.now();
      vessel('exec', b.id, 'sink', '--', 'sh', '-c', `dd if=/dev/zero bs=65536 count=${MIB * 16} 2>/dev/null | nc ${aIp} 5002`);
      c2c.push(performance.now() - start);
    }
    rows.push([`container → container, tcfilter, ${MIB} MiB (incl. one exec round trip)`, `${mbps(median(c2c))} (median of ${ROUNDS})`]);

    const plug: number[] = [];
    const unplug: number[] = [];
    const side = `bside${tag}`;
    vessel('network', 'create', side);
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      vessel('network', 'connect', b.id, side);
      plug.push(performance.now() - t);
      t = performance.now();
      vessel('network', 'disconnect', b.id, side);
      unplug.push(performance.now() - t);
    }
    vessel('network', 'delete', side);
    rows.push(['hot plug a NIC (CNI ADD + getfd + netdev_add + device_add + guest config), CLI end to end', `${(median(plug) / 1000).toFixed(2)} s (median of ${ROUNDS})`]);
    rows.push(['hot unplug a NIC (device_del + DEVICE_DELETED + netdev_del + CNI DEL), CLI end to end', `${(median(unplug) / 1000).toFixed(2)} s (median of ${ROUNDS})`]);
  } finally {
    for (const id of created) spawnSync(process.execPath, [cli, 'sandbox', 'delete', '--force', id], { env });
    spawnSync(process.execPath, [cli, 'network', 'delete', net], { env });
    spawnSync(process.execPath, [cli, 'network', 'delete', `${net}m`], { env });
    rmSync(root, { recursive: true, force: true });
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`bench:net (TCG guests; ${MIB} MiB per transfer)\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
}


main().catch((err: unknown) => {
  process.stderr.write(`bench:net: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
