// Sandbox networking end to end through the real `vessel` CLI: real QEMU
// guests (TCG), the real agent configuring NICs, real CNI plugins, tc,
// iptables. Traffic goes only to loopback and to namespaces this test made.
// Two VMs on a test network are shared by the bridge tests; one VM for
// user-mode networking.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRoot, runCli, type CliResult } from '../cli/test-helpers.js';
import { freePort, httpGet, netSkipReason, ok } from './test-net.js';
import { CniRunner } from './cni.js';
import { ip } from './exec.js';
import { networkLeftovers } from './leftovers.js';
import { confList, NetworkRecord } from './networks.js';
import { readFileSync } from 'node:fs';
import { readProcStartTime } from '../util/proc.js';
import { runningPasst } from './passt.js';

const reason = netSkipReason();
if (reason) console.log(`[sandbox-network.int] skipped: ${reason}`);

interface Nic { id: string; ips: string[]; network: string; mac: string }
interface Status { id: string; network: { mode: string; datapath: string; nics: Nic[]; ports: unknown[] } }
interface Stats { networks?: { id: string; host: { rxBytes: number; txBytes: number } | null; guest: { rxBytes: number; txBytes: number } | null }[] }

describe.skipIf(reason !== null)('sandbox networking in real VMs (bridge networks, CNI)', () => {
  const tag = randomBytes(3).toString('hex');
  const lab = `lab${tag}`;
  const lab2 = `side${tag}`;
  let root: string;
  let a: Status;
  let b: Status;
  let hostPort: number;
  let server: ChildProcess | null = null;
  const serverNs = `vsltest-${tag}`;
  const serverId = `srv${tag}`;
  let serverIp = '';
  let labRec: NetworkRecord;
  const cli = (args: string[]): Promise<CliResult> => runCli(root, args);
  const ipamDir = (): string => path.join(root, 'networks', 'ipam');

  beforeAll(async () => {
    root = makeRoot('vsl-net-');
    // The guest's resolv.conf comes from here: never the host's resolvers.
    const resolv = path.join(root, 'resolv.conf');
    writeFileSync(resolv, 'nameserver 10.255.255.254\nsearch vessel.test\n');
    process.env.VESSEL_RESOLV_CONF = resolv;
    ok(await cli(['network', 'create', lab]), 'network create');
    ok(await cli(['network', 'create', lab2]), 'network create');
    labRec = NetworkRecord.parse(JSON.parse(readFileSync(path.join(root, 'networks', `${lab}.json`), 'utf8')));
    // A server in a namespace of our own on the same bridge, attached with the same CNI plugins (real IPAM).
    await ip(null, ['netns', 'add', serverNs]);
    const result = await new CniRunner().add(confList(labRec), { containerId: serverId, netnsPath: `/run/netns/${serverNs}`, ifName: 'eth0' });
    serverIp = (result.ips[0]?.address ?? '').split('/')[0] ?? '';
    const www = path.join(root, 'www');
    mkdirSync(www);
    writeFileSync(path.join(www, 'index.html'), 'hello from the test namespace\n');
    server = spawn('/usr/sbin/ip', ['netns', 'exec', serverNs, '/bin/busybox', 'httpd', '-f', '-p', '8080', '-h', www], { stdio: 'ignore' });
    hostPort = await freePort();
    a = JSON.parse(ok(await cli(['sandbox', 'run', '--name', `a${tag}`, '--network', lab, '-p', `127.0.0.1:${hostPort}:80`, '--json']), 'sandbox run a')) as Status;
    b = JSON.parse(ok(await cli(['sandbox', 'run', '--name', `b${tag}`, '--network', lab, '--json']), 'sandbox run b')) as Status;
    ok(await cli(['container', 'run', a.id, '--name', 'web', '--', 'sh', '-c', 'mkdir -p /www && echo page-from-a > /www/index.html && exec httpd -f -p 80 -h /www']), 'web container');
    ok(await cli(['container', 'run', b.id, '--name', 'sh', '--', 'sleep', '3600']), 'sh container');
  }, 600_000); // two TCG boots: slow on a loaded machine

  afterAll(async () => {
    const ids = [a?.id, b?.id].filter((x): x is string => Boolean(x));
    for (const id of ids) await cli(['sandbox', 'delete', '--force', id]).catch(() => undefined);
    for (const id of ids) expect(await networkLeftovers(id, [ipamDir()])).toEqual([]);
    server?.kill('SIGKILL');
    if (labRec) await new CniRunner().del(confList(labRec), { containerId: serverId, netnsPath: `/run/netns/${serverNs}`, ifName: 'eth0' }, null).catch(() => undefined);
    await ip(null, ['netns', 'delete', serverNs]).catch(() => undefined);
    await cli(['network', 'delete', lab]);
    await cli(['network', 'delete', lab2]);
    delete process.env.VESSEL_RESOLV_CONF;
    rmSync(root, { recursive: true, force: true });
  });

  it('each sandbox has an address on the network, a tcfilter veth endpoint and says it runs on plain taps', () => {
    for (const s of [a, b]) {
      expect(s.network.mode).toBe(lab);
      expect(s.network.datapath).toMatch(/tap/);
      expect(s.network.nics[0]?.ips[0]).toMatch(/^10\.89\.\d+\.\d+\/24$/);
    }
    expect(a.network.nics[0]?.ips[0]).not.toBe(b.network.nics[0]?.ips[0]);
  });

  it('the guest has the DNS lines of the test resolv.conf, /etc/hosts with the sandbox name, and the NIC with its MAC', async () => {
    const out = ok(await cli(['exec', b.id, 'sh', '--', 'sh', '-c', 'cat /etc/resolv.conf /etc/hosts; cat /sys/class/net/eth0/address']), 'exec');
    expect(out).toContain('nameserver 10.255.255.254');
    expect(out).toContain(`${b.network.nics[0]?.ips[0]?.split('/')[0] ?? 'x'}\tb${tag}`);
    expect(out).toContain(b.network.nics[0]?.mac ?? 'x');
  });

  it('a container fetches a page from a server in another namespace on the same bridge', async () => {
    const out = ok(await cli(['exec', b.id, 'sh', '--', 'sh', '-c', `wget -q -O - http://${serverIp}:8080/`]), 'wget');
    expect(out).toBe('hello from the test namespace\n');
  });

  it('two sandboxes on one network reach each other', async () => {
    const aIp = a.network.nics[0]?.ips[0]?.split('/')[0] ?? 'x';
    const out = ok(await cli(['exec', b.id, 'sh', '--', 'sh', '-c', `wget -q -O - http://${aIp}/`]), 'wget a');
    expect(out).toBe('page-from-a\n');
  });

  it("a forwarded port serves the container's page on 127.0.0.1; ports are added and removed live", async () => {
    expect(await httpGet(`http://127.0.0.1:${hostPort}/`)).toBe('page-from-a\n');
    const second = await freePort();
    ok(await cli(['port', 'add', a.id, `${second}:80`]), 'port add');
    expect(await httpGet(`http://127.0.0.1:${second}/`)).toBe('page-from-a\n');
    const dup = await cli(['port', 'add', b.id, `${second}:80`]);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(new RegExp(`E_BUSY: host port ${second}/tcp is already forwarded`));
    ok(await cli(['port', 'remove', a.id, `${second}:80`]), 'port remove');
    await expect(httpGet(`http://127.0.0.1:${second}/`)).rejects.toThrow();
    expect(ok(await cli(['port', 'list', a.id]), 'port list').trim()).toBe(`127.0.0.1:${hostPort}->80/tcp`);
  });

  it('per-NIC counters (host tap and guest) rise with traffic', async () => {
    const before = JSON.parse(ok(await cli(['stats', a.id, '--json']), 'stats')) as Stats;
    for (let i = 0; i < 3; i++) await httpGet(`http://127.0.0.1:${hostPort}/`);
    const after = JSON.parse(ok(await cli(['stats', a.id, '--json']), 'stats')) as Stats;
    const n0 = before.networks?.[0];
    const n1 = after.networks?.[0];
    expect(n1?.id).toBe('net0');
    expect(n1?.host?.rxBytes ?? 0).toBeGreaterThan(n0?.host?.rxBytes ?? Infinity);
    expect(n1?.guest?.rxBytes ?? 0).toBeGreaterThan(n0?.guest?.rxBytes ?? Infinity);
    expect(n1?.guest?.txBytes ?? 0).toBeGreaterThan(n0?.guest?.txBytes ?? Infinity);
  });

  it('a second NIC is hot plugged into the running sandbox and unplugged, seen from inside the guest', async () => {
    const st = JSON.parse(ok(await cli(['network', 'connect', b.id, lab2, '--json']), 'connect')) as Status['network'];
    const nic = st.nics.find((n) => n.network === lab2);
    expect(nic?.id).toBe('net1');
    const ipAddr = nic?.ips[0]?.split('/')[0] ?? 'x';
    const seen = ok(await cli(['exec', b.id, 'sh', '--', 'ip', 'addr', 'show', 'eth1']), 'ip addr');
    expect(seen).toContain(nic?.mac ?? 'x');
    expect(seen).toContain(`inet ${ipAddr}/24`);
    // The first NIC keeps the default route.
    expect(ok(await cli(['exec', b.id, 'sh', '--', 'ip', 'route']), 'ip route')).toMatch(/^default via [\d.]+ dev eth0/m);
    ok(await cli(['network', 'disconnect', b.id, lab2]), 'disconnect');
    expect(ok(await cli(['exec', b.id, 'sh', '--', 'ls', '/sys/class/net']), 'ls').split(/\s+/).filter(Boolean).sort()).toEqual(['eth0', 'lo']);
    const again = JSON.parse(ok(await cli(['sandbox', 'status', b.id, '--json']), 'status')) as Status;
    expect(again.network.nics.map((n) => n.network)).toEqual([lab]);
    expect(await networkLeftovers(b.id, [ipamDir()], [ipAddr]).then((l) => l.filter((x) => x.includes(ipAddr) || x.includes(lab2)))).toEqual([]);
  });

  it('deleting a network in use is refused; unknown networks and bad ports are refused before anything is made', async () => {
    const del = await cli(['network', 'delete', lab]);
    expect(del.stderr).toMatch(/E_BUSY: network .* is in use by 2 sandbox/);
    const unknown = await cli(['sandbox', 'create', '--network', 'nosuchnet']);
    expect(unknown.stderr).toMatch(/E_NOT_FOUND: no network named "nosuchnet"/);
    const badPort = await cli(['sandbox', 'create', '--network', lab, '-p', '99999:80']);
    expect(badPort.stderr).toMatch(/E_INVALID_ARGUMENT: invalid port mapping "99999:80"/);
    const inUse = await cli(['sandbox', 'create', '--network', lab, '-p', `127.0.0.1:${hostPort}:80`]);
    expect(inUse.stderr).toMatch(new RegExp(`E_BUSY: host port ${hostPort}/tcp is already forwarded`));
    expect((JSON.parse(ok(await cli(['sandbox', 'list', '--json']), 'list')) as unknown[]).length).toBe(2);
  });
});

const passtReason = reason ?? (existsSync('/usr/bin/passt') ? null : 'passt is not installed (apt-get install passt)');
if (passtReason && !reason) console.log(`[sandbox-network.int] passt sandbox skipped: ${passtReason}`);

describe.skipIf(reason !== null)('user-mode networking in real VMs (--network user:slirp and user:passt, as a rootless user gets)', () => {
  let root: string;
  let slirp = '';
  let passt = '';
  let host: Server;
  let hostPort = 0;
  let fwdPort = 0;
  let passtPort = 0;
  const cli = (args: string[]): Promise<CliResult> => runCli(root, args);
  const web = 'mkdir -p /www && echo page-from-user > /www/index.html && exec httpd -f -p 80 -h /www';

  beforeAll(async () => {
    root = makeRoot('vsl-usr-');
    const resolv = path.join(root, 'resolv.conf');
    writeFileSync(resolv, 'nameserver 10.255.255.254\n');
    process.env.VESSEL_RESOLV_CONF = resolv;
    host = createServer((_req, res) => res.end('hello from the host loopback\n'));
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    hostPort = (host.address() as { port: number }).port;
    fwdPort = await freePort();
    slirp = (JSON.parse(ok(await cli(['sandbox', 'run', '--network', 'user:slirp', '-p', `${fwdPort}:80`, '--json']), 'sandbox run slirp')) as Status).id;
    ok(await cli(['container', 'run', slirp, '--name', 'web', '--', 'sh', '-c', web]), 'web');
    if (!passtReason) {
      passtPort = await freePort();
      passt = (JSON.parse(ok(await cli(['sandbox', 'run', '--network', 'user:passt', '-p', `${passtPort}:80`, '--json']), 'sandbox run passt')) as Status).id;
      ok(await cli(['container', 'run', passt, '--name', 'web', '--', 'sh', '-c', web]), 'web');
    }
  }, 600_000); // two TCG boots

  afterAll(async () => {
    for (const id of [slirp, passt].filter(Boolean)) await cli(['sandbox', 'delete', '--force', id]);
    host.close();
    delete process.env.VESSEL_RESOLV_CONF;
    rmSync(root, { recursive: true, force: true });
  });

  it('slirp: reaches a server on the host loopback through the user-mode gateway, and serves a forwarded port', async () => {
    const st = JSON.parse(ok(await cli(['sandbox', 'status', slirp, '--json']), 'status')) as Status;
    expect(st.network.mode).toBe('user');
    expect(st.network.datapath).toBe('user-mode (QEMU slirp)');
    const out = ok(await cli(['exec', slirp, 'web', '--', 'sh', '-c', `wget -q -O - http://10.0.2.2:${hostPort}/`]), 'wget');
    expect(out).toBe('hello from the host loopback\n');
    expect(await httpGet(`http://127.0.0.1:${fwdPort}/`)).toBe('page-from-user\n');
  });

  it('slirp: a port is forwarded live (hostfwd_add), a host port in use is refused by name with nothing changed, and removed live', async () => {
    const live = await freePort();
    ok(await cli(['port', 'add', slirp, `${live}:80`]), 'port add');
    expect(await httpGet(`http://127.0.0.1:${live}/`)).toBe('page-from-user\n');
    // The test's own server holds hostPort on 127.0.0.1.
    const busy = await cli(['port', 'add', slirp, `${hostPort}:80`]);
    expect(busy.code).not.toBe(0);
    expect(busy.stderr).toMatch(new RegExp(`E_BUSY: host port 127\\.0\\.0\\.1:${hostPort}/tcp is already in use`));
    expect(ok(await cli(['port', 'list', slirp]), 'list').trim().split('\n').sort()).toEqual([`127.0.0.1:${fwdPort}->80/tcp`, `127.0.0.1:${live}->80/tcp`].sort());
    ok(await cli(['port', 'remove', slirp, `${live}:80`]), 'port remove');
    await expect(httpGet(`http://127.0.0.1:${live}/`)).rejects.toThrow();
    expect(ok(await cli(['port', 'list', slirp]), 'list').trim()).toBe(`127.0.0.1:${fwdPort}->80/tcp`);
    // The store keeps what the next boot gets: the forward given at create, not the removed one.
    const rec = JSON.parse(readFileSync(path.join(root, 'network', 'sandboxes', `${slirp}.json`), 'utf8')) as { ports: { hostPort: number }[] };
    expect(rec.ports.map((p) => p.hostPort)).toEqual([fwdPort]);
  });

  it.skipIf(passtReason !== null)('passt: a helper process per sandbox reaches the host loopback, serves its forwarded port, refuses live port changes and is reaped on delete', async () => {
    const st = JSON.parse(ok(await cli(['sandbox', 'status', passt, '--json']), 'status')) as Status;
    expect(st.network.datapath).toBe('user-mode (passt)');
    const helper = runningPasst(path.join(root, 'sandboxes', passt));
    expect(helper?.pid).toBeGreaterThan(0);
    expect(ok(await cli(['exec', passt, 'web', '--', 'cat', '/sys/class/net/eth0/mtu']), 'mtu').trim()).toBe('65520');
    const out = ok(await cli(['exec', passt, 'web', '--', 'sh', '-c', `wget -q -O - http://10.0.2.2:${hostPort}/`]), 'wget');
    expect(out).toBe('hello from the host loopback\n');
    expect(await httpGet(`http://127.0.0.1:${passtPort}/`)).toBe('page-from-user\n');
    const liveAdd = await cli(['port', 'add', passt, `${await freePort()}:80`]);
    expect(liveAdd.stderr).toMatch(/E_UNSUPPORTED: .*passt.*stop the sandbox.*--network user:slirp/);
    expect(ok(await cli(['port', 'list', passt]), 'list').trim()).toBe(`127.0.0.1:${passtPort}->80/tcp`);
    ok(await cli(['sandbox', 'delete', '--force', passt]), 'delete');
    passt = '';
    expect(helper && readProcStartTime(helper.pid) === helper.startTime).toBe(false);
  });
});
