// Template clones with networks, through the real `vessel` CLI on real QEMU
// under TCG: a template has no NICs, so a clone gets the sandbox's NICs hot
// plugged after the restore (a tap on a bridge network, QEMU's slirp, passt)
// and the guest configures them as at a boot. Two clones on one bridge reach
// each other and a forwarded port; a user-mode clone serves a forwarded
// port; a VM taken from the VM cache gets its NIC the same way. Traffic
// goes only to loopback and to namespaces this test made.
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRoot, runCli, type CliResult } from '../cli/test-helpers.js';
import { freePort, netSkipReason, ok, pageOf } from '../network/test-net.js';
import { networkLeftovers } from '../network/leftovers.js';
import { resolveRunDir } from './config.js';

const reason = netSkipReason();
if (reason) console.log(`[factory-net.int] skipped: ${reason}`);
const passtReason = reason ?? (existsSync('/usr/bin/passt') ? null : 'passt is not installed (apt-get install passt)');
if (passtReason && !reason) console.log(`[factory-net.int] the passt clone is skipped: ${passtReason}`);

interface Nic { id: string; ips: string[]; network: string; mac: string }
interface Status { id: string; vmOrigin?: { source: string; fallbackReason?: string }; network: { mode: string; nics: Nic[] } }

const WEB = (word: string): string[] => ['--', 'sh', '-c', `mkdir -p /www && echo ${word} > /www/index.html && exec httpd -f -p 80 -h /www`];

describe.skipIf(reason !== null)('template clones with NICs hot plugged after the restore (real QEMU, CNI, slirp, passt)', () => {
  const tag = randomBytes(3).toString('hex');
  const lab = `fnet${tag}`;
  const side = `fside${tag}`;
  let root = '';
  const cli = (args: string[]): Promise<CliResult> => runCli(root, args);
  const ids: string[] = [];
  const run = async (args: string[], what: string): Promise<Status> => {
    const s = JSON.parse(ok(await cli(['sandbox', 'run', ...args, '--json']), what)) as Status;
    ids.push(s.id);
    return s;
  };

  beforeAll(async () => {
    root = makeRoot('vsl-fnet-');
    // The guest's resolv.conf comes from here: never the host's resolvers.
    const resolv = path.join(root, 'resolv.conf');
    writeFileSync(resolv, 'nameserver 10.255.255.254\n');
    process.env.VESSEL_RESOLV_CONF = resolv;
    ok(await cli(['network', 'create', lab]), 'network create');
    ok(await cli(['network', 'create', side]), 'network create');
    ok(await cli(['factory', 'init', '--template', '--json']), 'factory init');
  }, 400_000);

  afterAll(async () => {
    for (const id of ids) await cli(['sandbox', 'delete', '--force', id]).catch(() => undefined);
    for (const id of ids) expect(await networkLeftovers(id, [path.join(root, 'networks', 'ipam')])).toEqual([]);
    await cli(['network', 'delete', lab]).catch(() => undefined);
    await cli(['network', 'delete', side]).catch(() => undefined);
    await cli(['factory', 'destroy']).catch(() => undefined);
    delete process.env.VESSEL_RESOLV_CONF;
    rmSync(resolveRunDir(root, { ...process.env, VESSEL_ROOT: root }), { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  it('two clones on one bridge network: each its own MAC and address, they reach each other, a forwarded port serves', async () => {
    const hostPort = await freePort();
    const [a, b] = await Promise.all([
      run(['--name', `fa${tag}`, '--network', lab, '-p', `127.0.0.1:${hostPort}:80`], 'sandbox run a'),
      run(['--name', `fb${tag}`, '--network', lab], 'sandbox run b'),
    ]);
    for (const s of [a, b]) {
      expect(s.vmOrigin?.source, s.vmOrigin?.fallbackReason).toBe('template');
      expect(s.network.nics[0]?.ips[0]).toMatch(/^10\.89\.\d+\.\d+\/24$/);
    }
    expect(a.network.nics[0]?.mac).not.toBe(b.network.nics[0]?.mac);
    ok(await cli(['container', 'run', a.id, '--name', 'web', ...WEB('page-from-a')]), 'web container');
    ok(await cli(['container', 'run', b.id, '--name', 'sh', '--', 'sleep', '3600']), 'sh container');
    // The hot-plugged NIC took the boot-time name and the default route, as at a boot.
    const seen = ok(await cli(['exec', b.id, 'sh', '--', 'sh', '-c', 'cat /sys/class/net/eth0/address; ip route']), 'exec');
    expect(seen).toContain(b.network.nics[0]?.mac ?? 'x');
    expect(seen).toMatch(/^default via [\d.]+ dev eth0/m);
    const aIp = a.network.nics[0]?.ips[0]?.split('/')[0] ?? 'x';
    expect(ok(await cli(['exec', b.id, 'sh', '--', 'wget', '-q', '-O', '-', `http://${aIp}/`]), 'wget a')).toBe('page-from-a\n');
    expect(await pageOf(`http://127.0.0.1:${hostPort}/`)).toBe('page-from-a\n');
    // A network connected later goes on the next free root port (the clone's first NIC holds one).
    const st = JSON.parse(ok(await cli(['network', 'connect', b.id, side, '--json']), 'connect')) as Status['network'];
    const second = st.nics.find((n) => n.network === side);
    const eth1 = ok(await cli(['exec', b.id, 'sh', '--', 'ip', 'addr', 'show', 'eth1']), 'ip addr eth1');
    expect(eth1).toContain(second?.mac ?? 'x');
    expect(eth1).toContain(`inet ${second?.ips[0] ?? 'x'}`);
  }, 600_000);

  const userModeClone = async (backend: 'slirp' | 'passt'): Promise<void> => {
    const hostPort = await freePort();
    const s = await run(['--name', `f${backend}${tag}`, '--network', `user:${backend}`, '-p', `127.0.0.1:${hostPort}:80`], `sandbox run ${backend}`);
    expect(s.vmOrigin?.source, s.vmOrigin?.fallbackReason).toBe('template');
    ok(await cli(['container', 'run', s.id, '--name', 'web', ...WEB(`page-from-${backend}`)]), 'web container');
    expect(await pageOf(`http://127.0.0.1:${hostPort}/`)).toBe(`page-from-${backend}\n`);
  };

  it('a clone on user-mode networking (slirp) gets its NIC and its forwarded port', () => userModeClone('slirp'), 400_000);

  it.skipIf(passtReason !== null)('a clone on passt gets its NIC and its forwarded port', () => userModeClone('passt'), 400_000);

  it('a VM from the cache (a warmed template clone) gets its bridge NIC hot plugged when it is handed out', async () => {
    ok(await cli(['factory', 'init', '--cache', '1']), 'factory init --cache 1');
    try {
      const deadline = Date.now() + 300_000;
      for (;;) {
        const st = JSON.parse(ok(await cli(['factory', 'status', '--json']), 'factory status')) as { cache: { vms: { state: string }[]; failures: string[] } };
        if (st.cache.vms.some((v) => v.state === 'ready')) break;
        if (Date.now() > deadline) throw new Error(`the VM cache did not fill: ${st.cache.failures.join('; ')}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      const s = await run(['--name', `fc${tag}`, '--network', lab], 'sandbox run from the cache');
      expect(s.vmOrigin?.source, s.vmOrigin?.fallbackReason).toBe('cache');
      const ipAddr = s.network.nics[0]?.ips[0] ?? 'x';
      ok(await cli(['container', 'run', s.id, '--name', 'sh', '--', 'sleep', '3600']), 'sh container');
      const seen = ok(await cli(['exec', s.id, 'sh', '--', 'ip', 'addr', 'show', 'eth0']), 'ip addr');
      expect(seen).toContain(s.network.nics[0]?.mac ?? 'x');
      expect(seen).toContain(`inet ${ipAddr}`);
    } finally {
      ok(await cli(['factory', 'init', '--cache', '0']), 'factory init --cache 0');
    }
  }, 600_000);
});
