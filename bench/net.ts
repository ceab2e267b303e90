/**
 * Network benchmark (`npm run bench:net`): TCP throughput host → container
 * and container → container through the tcfilter model (bridge network), the
 * macvtap model and user-mode networking, and the time to hot plug (and unplug) a NIC,
 * measured side by side in one run on the same machine. Traffic goes only to
 * loopback and to the namespaces this benchmark makes. Not a test: it prints
 * figures and asserts nothing. Needs root (namespaces) and a built guest.
 *
 * The macvtap model runs on its own network (network create --model macvtap);
 * user mode twice: QEMU's slirp and passt (--network user:slirp|user:passt).
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
const STALL_MS = 30_000;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(repo, 'dist', 'core', 'cli', 'main.js');
const root = mkdtempSync(path.join(tmpdir(), 'vsl-bench-'));
const resolv = path.join(root, 'resolv.conf');
writeFileSync(resolv, 'nameserver 10.255.255.254\n');
const env = { ...process.env, VESSEL_ROOT: root, VESSEL_RESOLV_CONF: resolv };

function vessel(...args: string[]): string {
  return vesselWithin(600_000, ...args);
}

function vesselWithin(timeoutMs: number, ...args: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw new Error(`vessel ${args.join(' ')}: ${r.error.message}`);
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

/**
 * Send MIB MiB to host:port (a sink in the container: nc -l > /dev/null) and
 * time it until the peer closes. Bounded: a transfer that makes no progress
 * for STALL_MS, or that the peer closes before it got everything, resolves
 * with how far it got instead of a time.
 */
function sendTo(host: string, port: number): Promise<{ ms: number } | { stalled: string }> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(64 * 1024);
    const total = (MIB * 1024 * 1024) / chunk.length;
    let left = total;
    let done = false;
    const start = performance.now();
    const finish = (r: { ms: number } | { stalled: string }): void => {
      if (done) return;
      done = true;
      clearInterval(watchdog);
      sock.destroy();
      resolve(r);
    };
    let lastWritten = -1;
    const watchdog = setInterval(() => {
      if (sock.bytesWritten === lastWritten) finish({ stalled: `no progress for ${STALL_MS / 1000} s after ${(sock.bytesWritten / 1048576).toFixed(1)} MiB` });
      lastWritten = sock.bytesWritten;
    }, STALL_MS);
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
    sock.on('end', () => {
      if (left > 0) finish({ stalled: `the receiver closed after ${(sock.bytesWritten / 1048576).toFixed(1)} of ${MIB} MiB` });
    });
    sock.on('close', () => finish(left > 0 ? { stalled: `closed after ${(sock.bytesWritten / 1048576).toFixed(1)} of ${MIB} MiB` } : { ms: performance.now() - start }));
    sock.on('error', (err) => finish({ stalled: err.message }));
    sock.resume();
  });
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/**
 * A one-shot sink in the container. busybox nc ends the connection when its
 * stdin ends, so stdin is a pipe that stays open (a sleep), not /dev/null:
 * then it reads until the sender closes.
 */
function sinkScript(port: number): string {
  // Every stdio of the background pair away from the exec's, or the exec waits for the sleep.
  return `(sleep 900 < /dev/null 2> /dev/null | nc -l -p ${port} > /dev/null 2>&1 &) ; sleep 1`;
}

/** Host → container: a sink container behind a forwarded port, one round per port. */
async function hostToContainer(sandbox: string, port: number, cport: number): Promise<{ ms: number } | { stalled: string }> {
  // One-shot sink: busybox nc -l exits after the connection closes, so each round starts a fresh one.
  vessel('exec', sandbox, 'sink', '--', 'sh', '-c', sinkScript(cport));
  await sleep(500);
  return sendTo('127.0.0.1', port);
}

function mbps(ms: number): string {
  return ms > 0 ? `${((MIB * 8 * 1024 * 1024) / (ms / 1000) / 1e6).toFixed(1)} Mbit/s` : '?';
}

/** Time for `dd COUNT×64 KiB | nc IP PORT` from inside `from` to toIp:toPort, which reaches a fresh one-shot sink in `to` listening on sinkPort. */
function c2cOnce(from: string, to: string, toIp: string, toPort: number, sinkPort: number, blocks: number): number {
  vessel('exec', to, 'sink', '--', 'sh', '-c', sinkScript(sinkPort));
  const start = performance.now();
  vesselWithin(180_000, 'exec', from, 'sink', '--', 'sh', '-c', `dd if=/dev/zero bs=65536 count=${blocks} 2>/dev/null | nc -w 30 ${toIp} ${toPort}`);
  return performance.now() - start;
}

/**
 * Container → container: the time of an exec that sends MIB MiB, minus the
 * time of the same exec sending nothing (the exec round trip and the connect),
 * both alternated per round. to:port is where the sender reaches the sink
 * (its IP on the network, or 10.0.2.2:HOSTPORT for user mode, which reaches
 * the host's loopback and from there the sink's forwarded port).
 */
function containerToContainer(from: string, to: string, toIp: string, toPort: number, sinkPort: number): { data: number; empty: number } {
  const empty = c2cOnce(from, to, toIp, toPort, sinkPort, 0);
  const data = c2cOnce(from, to, toIp, toPort, sinkPort, MIB * 16);
  return { data, empty };
}

interface Created { id: string; network: { nics: { ips: string[] }[]; datapath: string } }

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:net needs root (network namespaces, bridges)');
  const tag = randomBytes(2).toString('hex');
  const net = `bench${tag}`;
  const rows: [string, string][] = [];
  const created: string[] = [];
  const load = [spawnSync('uptime', { encoding: 'utf8' }).stdout.trim()];
  const run = (name: string, network: string, port?: number): Created => {
    const s = JSON.parse(vessel('sandbox', 'run', '--name', `${name}${tag}`, '--network', network, ...(port ? ['-p', `${port}:5001`] : []), '--json')) as Created;
    created.push(s.id);
    vessel('container', 'run', s.id, '--name', 'sink', '--', 'sleep', '3600');
    return s;
  };
  const ipOf = (s: Created): string => s.network.nics[0]?.ips[0]?.split('/')[0] ?? '';
  try {
    vessel('network', 'create', net);
    vessel('network', 'create', `${net}m`, '--model', 'macvtap');
    const pA = await freePort();
    const a = run('ba', net, pA); // tcfilter, receiver
    const b = run('bb', net); // tcfilter, sender (also the sender for user mode through the host)
    const pM = await freePort();
    const m = run('bm', `${net}m`, pM); // macvtap, receiver
    const m2 = run('bn', `${net}m`); // macvtap, sender
    const pU = await freePort();
    const u = run('bu', 'user:slirp', pU);
    const pP = await freePort();
    let p: Created | null = null;
    try {
      p = run('bp', 'user:passt', pP);
    } catch (err) {
      rows.push(['passt', `not measured: ${err instanceof Error ? err.message : String(err)}`]);
    }
    load.push(spawnSync('uptime', { encoding: 'utf8' }).stdout.trim());

    const h: Record<string, number[]> = { tc: [], mt: [], us: [], pa: [] };
    const stalls: Record<string, string[]> = { tc: [], mt: [], us: [], pa: [] };
    const record = (k: string, r: { ms: number } | { stalled: string }): void => {
      if ('ms' in r) h[k]?.push(r.ms);
      else stalls[k]?.push(r.stalled);
    };
    for (let i = 0; i < ROUNDS; i++) {
      // Alternating, so load changes hit all of them the same way.
      record('tc', await hostToContainer(a.id, pA, 5001));
      record('mt', await hostToContainer(m.id, pM, 5001));
      record('us', await hostToContainer(u.id, pU, 5001));
      if (p) record('pa', await hostToContainer(p.id, pP, 5001));
    }
    const of = (k: string): string => {
      const xs = h[k] ?? [];
      const st = stalls[k] ?? [];
      return `${xs.length ? `${mbps(median(xs))} (median of ${xs.length})` : 'no complete transfer'}${st.length ? `; ${st.length} of ${ROUNDS} stalled: ${st.join('; ')}` : ''}`;
    };
    rows.push([`host → container, tcfilter model (bridge network, plain tap), ${MIB} MiB`, of('tc')]);
    rows.push([`host → container, macvtap model (bridge network), ${MIB} MiB`, of('mt')]);
    rows.push([`host → container, user mode: QEMU slirp (hostfwd), ${MIB} MiB`, of('us')]);
    if (p) rows.push([`host → container, user mode: passt (-t), ${MIB} MiB`, of('pa')]);

    const c: Record<string, number[]> = { tc: [], mt: [], us: [], pa: [], tcE: [], mtE: [], usE: [], paE: [] };
    const c2cFail: Record<string, string> = {};
    const push = (k: string, f: () => { data: number; empty: number }): void => {
      if (c2cFail[k]) return;
      try {
        const r = f();
        c[k]?.push(Math.max(1, r.data - r.empty));
        c[`${k}E`]?.push(r.empty);
      } catch (err) {
        c2cFail[k] = err instanceof Error ? err.message.slice(0, 200) : String(err);
      }
    };
    for (let i = 0; i < ROUNDS; i++) {
      push('tc', () => containerToContainer(b.id, a.id, ipOf(a), 5002, 5002));
      push('mt', () => containerToContainer(m2.id, m.id, ipOf(m), 5002, 5002));
      // User mode has no path between two guests but the host: 10.0.2.2 is the host's loopback, where the receiver's forward listens.
      push('us', () => containerToContainer(u.id, a.id, '10.0.2.2', pA, 5001));
      if (p) push('pa', () => containerToContainer(p.id, a.id, '10.0.2.2', pA, 5001));
    }
    const ofC = (k: string): string => (c[k]?.length
      ? `${mbps(median(c[k] ?? []))} (median of ${c[k]?.length ?? 0}; exec overhead ${(median(c[`${k}E`] ?? []) / 1000).toFixed(2)} s subtracted)`
      : 'not measured') + (c2cFail[k] ? `; failed: ${c2cFail[k]}` : '');
    rows.push([`container → container, tcfilter ↔ tcfilter (one bridge), ${MIB} MiB`, ofC('tc')]);
    rows.push([`container → container, macvtap ↔ macvtap (one bridge), ${MIB} MiB`, ofC('mt')]);
    rows.push([`container → container, slirp guest → host loopback → tcfilter guest (its -p), ${MIB} MiB`, ofC('us')]);
    if (p) rows.push([`container → container, passt guest → host loopback → tcfilter guest (its -p), ${MIB} MiB`, ofC('pa')]);

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
    const t0 = performance.now();
    vessel('sandbox', 'status', b.id);
    const cliMs = performance.now() - t0;
    vessel('network', 'delete', side);
    rows.push(['hot plug a NIC (CNI ADD + getfd + netdev_add + device_add + guest config), CLI end to end', `${(median(plug) / 1000).toFixed(2)} s (median of ${ROUNDS})`]);
    rows.push(['hot unplug a NIC (device_del + DEVICE_DELETED + netdev_del + CNI DEL), CLI end to end', `${(median(unplug) / 1000).toFixed(2)} s (median of ${ROUNDS})`]);
    rows.push(['  of which a vessel CLI start (sandbox status, for scale)', `${(cliMs / 1000).toFixed(2)} s`]);
  } finally {
    for (const id of created) spawnSync(process.execPath, [cli, 'sandbox', 'delete', '--force', id], { env });
    spawnSync(process.execPath, [cli, 'network', 'delete', net], { env });
    spawnSync(process.execPath, [cli, 'network', 'delete', `${net}m`], { env });
    rmSync(root, { recursive: true, force: true });
  }
  load.push(spawnSync('uptime', { encoding: 'utf8' }).stdout.trim());
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`bench:net (TCG guests, 1 vCPU each; ${MIB} MiB per transfer; busybox nc sinks)\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
  process.stdout.write(`load: start ${load[0] ?? ''}\n      after boots ${load[1] ?? ''}\n      end ${load[2] ?? ''}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:net: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
