// Fast exec in a real VM: a process started by the guest's spawner
// (guest/spawner/vessel-spawner.c) lands in the container's namespaces,
// cgroup, user, groups, capabilities, limits and environment exactly as
// `crun exec` puts it. One VM (QEMU under TCG, real agent, real crun) and one
// container for the whole file; each probe runs once through the spawner and
// once through crun exec ("vesselExecVia": "crun"), and the two must match
// each other and the container's spec.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from './client.js';
import { guestImageDir, readGuestManifest, type GuestImage } from './manifest.js';
import { startRawAgentVm } from './testing/raw-vm.js';

const QEMU = 'qemu-system-x86_64';
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
const APPLETS = ['sh', 'cat', 'sleep', 'echo', 'true', 'readlink', 'grep', 'env', 'sort', 'head', 'id'];
const CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
];

function skipReason(): string | null {
  if (spawnSync(QEMU, ['--version']).status !== 0) return `${QEMU} is not installed (Debian package qemu-system-x86)`;
  if (spawnSync('crun', ['--version']).status !== 0) return 'crun is not installed (Debian package crun)';
  if (!BUSYBOX) return 'busybox is not installed (Debian package busybox-static)';
  if (!existsSync(path.join(guestImageDir(), 'manifest.json'))) return `no guest image in ${guestImageDir()} (run npm run build && npm run build:guest)`;
  return null;
}

const reason = skipReason();
if (reason) console.log(`[exec-spawner.int] skipped: ${reason}`);

function mask(names: string[]): string {
  let m = 0n;
  for (const n of names) m |= 1n << BigInt(CAPS.indexOf(n));
  return m.toString(16).padStart(16, '0');
}

/** Every namespace link, the credentials, capabilities, limits, cgroup, umask, cwd and environment of the probe itself. */
const PROBE = [
  'for n in cgroup ipc mnt net pid pid_for_children time uts user; do echo "ns $n $(readlink /proc/self/ns/$n)"; done',
  'grep -E "^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status',
  'echo "cgroup $(cat /proc/self/cgroup)"',
  'grep -E "^Max (open files|processes)" /proc/self/limits',
  'echo "umask $(umask)"; echo "cwd $(pwd)"',
].join('; ');

/** A process's start environment (`cat /proc/self/environ` run as the exec itself, no shell adding to it), sorted. */
function environ(out: string): string[] {
  return out.split('\0').filter((e) => e !== '').sort();
}

describe.skipIf(reason !== null)('exec through the guest spawner matches crun exec (real VM)', () => {
  let qemu: ChildProcess | undefined;
  let agent: AgentClient;
  let image: GuestImage;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-spawner-int-'));
  const shared = path.join(dir, 'shared');
  const rootfs = path.join(shared, 'box', 'rootfs');
  const serialLog = path.join(dir, 'serial.log');
  const spec: { process: Record<string, unknown> } & Record<string, unknown> = { process: {} };

  async function run(execId: string, proc: Record<string, unknown>, stdin?: string): Promise<{ out: string; err: string; status: number; signal: number }> {
    await agent.execProcess('box', execId, proc);
    const read = async (which: 'stdout' | 'stderr'): Promise<string> => {
      const parts: Buffer[] = [];
      for await (const chunk of agent.readStream('box', execId, which)) parts.push(chunk);
      return Buffer.concat(parts).toString();
    };
    const reading = Promise.all([read('stdout'), read('stderr')]);
    if (stdin !== undefined) {
      await agent.writeStdin('box', execId, Buffer.from(stdin));
      await agent.closeStdin('box', execId);
    }
    const [out, err] = await reading;
    const exit = await agent.waitProcess('box', execId);
    return { out, err, status: exit.exitStatus, signal: exit.signal };
  }

  /** The probe through the spawner and through crun exec. */
  async function both(name: string, proc: Record<string, unknown>): Promise<{ fast: string; crun: string }> {
    const fast = await run(`${name}-fast`, proc);
    const crun = await run(`${name}-crun`, { ...proc, vesselExecVia: 'crun' });
    expect(fast.err).toBe('');
    expect(crun.err).toBe('');
    expect([fast.status, crun.status]).toEqual([0, 0]);
    return { fast: fast.out, crun: crun.out };
  }

  const field = (text: string, key: string): string => new RegExp(`^${key}:?[ \\t]+(.*)$`, 'm').exec(text)?.[1]?.trim() ?? `(no ${key})`;

  beforeAll(async () => {
    image = readGuestManifest();
    for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc', 'home/app']) mkdirSync(path.join(rootfs, d), { recursive: true });
    chmodSync(path.join(rootfs, 'tmp'), 0o1777);
    copyFileSync(BUSYBOX as string, path.join(rootfs, 'bin', 'busybox'));
    for (const a of APPLETS) symlinkSync('busybox', path.join(rootfs, 'bin', a));
    const specDir = path.join(dir, 'spec');
    mkdirSync(specDir);
    expect(spawnSync('crun', ['spec'], { cwd: specDir }).status).toBe(0);
    Object.assign(spec, JSON.parse(readFileSync(path.join(specDir, 'config.json'), 'utf8')) as Record<string, unknown>);
    // A container whose process is not root, with extra groups, ambient capabilities and its own environment:
    // the init records its own namespaces and cgroup in the shared rootfs, then idles.
    spec.root = { path: 'rootfs', readonly: false }; // the init writes /tmp/init.txt
    spec.process = {
      ...spec.process,
      terminal: false,
      args: ['sh', '-c', 'for n in cgroup ipc mnt net pid time uts user; do echo "ns $n $(readlink /proc/self/ns/$n)"; done > /tmp/init.txt; echo "cgroup $(cat /proc/self/cgroup)" >> /tmp/init.txt; exec sleep 100000'],
      env: ['PATH=/bin', 'FROM_SPEC=yes', 'HOME=/home/app'],
      cwd: '/',
      user: { uid: 1000, gid: 1000, additionalGids: [10, 20], umask: 0o027 },
      capabilities: {
        bounding: CAPS,
        effective: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'],
        permitted: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'],
        inheritable: ['CAP_NET_BIND_SERVICE'],
        ambient: ['CAP_NET_BIND_SERVICE'],
      },
    };

    const agentSock = path.join(dir, 'agent.sock');
    ({ qemu, agent } = await startRawAgentVm({ image, agentSock, serialLog, sharedDir: shared, kernelParams: image.rootImagePath ? ['root=/dev/vda', 'ro'] : [], }));
    await agent.createSandbox('spawner-int', 'spawner-int');
    await agent.createContainer({ containerId: 'box', execId: 'box', spec, rootfs: 'box/rootfs' });
    await agent.startContainer('box');
    for (let i = 0; i < 300 && !existsSync(path.join(rootfs, 'tmp', 'init.txt')); i++) await new Promise((r) => setTimeout(r, 100));
  });

  afterAll(() => {
    agent?.close();
    qemu?.kill('SIGKILL');
    if (process.env.VESSEL_KEEP_TEST_LOGS) console.log(readFileSync(serialLog, 'utf8').slice(-6000));
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts an exec with a user of its own in the container\'s namespaces, cgroup, groups, capabilities and a given environment, as crun exec does', async () => {
    const proc = {
      args: ['sh', '-c', PROBE], cwd: '/home/app', env: ['PATH=/bin', 'ONLY_EXEC=1'], noNewPrivileges: true,
      user: { uid: 1000, gid: 1000, additionalGids: [10, 20], umask: 0o027 }, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 123, hard: 456 }],
    };
    const { fast, crun } = await both('user', proc);
    console.log(`[exec-spawner.int] spawner:\n${fast}`);
    expect(fast).toBe(crun);
    const init = readFileSync(path.join(rootfs, 'tmp', 'init.txt'), 'utf8');
    for (const line of init.trim().split('\n')) expect(fast.split('\n')).toContain(line);
    expect(field(fast, 'ns pid_for_children')).toBe(field(fast, 'ns pid'));
    expect(field(fast, 'Uid')).toBe('1000\t1000\t1000\t1000');
    expect(field(fast, 'Gid')).toBe('1000\t1000\t1000\t1000');
    expect(field(fast, 'Groups')).toBe('10 20');
    expect(field(fast, 'CapBnd')).toBe(mask(CAPS));
    // A non-root process keeps only its ambient capabilities across execve.
    expect([field(fast, 'CapAmb'), field(fast, 'CapEff'), field(fast, 'CapPrm'), field(fast, 'CapInh')]).toEqual([mask(['CAP_NET_BIND_SERVICE']), mask(['CAP_NET_BIND_SERVICE']), mask(['CAP_NET_BIND_SERVICE']), mask(['CAP_NET_BIND_SERVICE'])]);
    expect(field(fast, 'NoNewPrivs')).toBe('1');
    expect(fast).toMatch(/^Max open files\s+123\s+456\s+files\s*$/m);
    expect(field(fast, 'umask')).toBe('0027');
    expect(field(fast, 'cwd')).toBe('/home/app');
    const env = await both('user-env', { ...proc, args: ['cat', '/proc/self/environ'] });
    expect(env.fast).toBe(env.crun);
    expect(environ(env.fast)).toEqual(['HOME=/', 'ONLY_EXEC=1', 'PATH=/bin']);
  });

  it('gives an exec with no user or environment root, the container\'s environment and capabilities, as crun exec (1.8) does', async () => {
    const { fast, crun } = await both('root', { args: ['sh', '-c', PROBE], cwd: '/' });
    expect(fast).toBe(crun);
    expect(field(fast, 'Uid')).toBe('0\t0\t0\t0');
    expect(field(fast, 'Groups')).toBe('');
    expect(field(fast, 'CapBnd')).toBe(mask(CAPS));
    expect(field(fast, 'NoNewPrivs')).toBe('0');
    const env = await both('root-env', { args: ['cat', '/proc/self/environ'], cwd: '/' });
    expect(env.fast).toBe(env.crun);
    expect(environ(env.fast)).toEqual(['FROM_SPEC=yes', 'HOME=/home/app', 'PATH=/bin']);
    expect(readFileSync(serialLog, 'utf8')).toContain('"msg":"spawner started","id":"box"');
    expect(readFileSync(serialLog, 'utf8')).not.toContain('spawner unusable');
  });

  it('carries stdin, stdout, stderr, exit codes and signals, and reports a missing program as crun does', async () => {
    const r = await run('cat', { args: ['sh', '-c', 'cat; echo oops >&2; exit 9'], cwd: '/', env: ['PATH=/bin'] }, 'through the socket\n');
    expect(r).toEqual({ out: 'through the socket\n', err: 'oops\n', status: 9, signal: 0 });

    await agent.execProcess('box', 'sleeper', { args: ['sleep', '1000'], cwd: '/', env: ['PATH=/bin'] });
    await agent.signalProcess('box', 'sleeper', 15);
    expect(await agent.waitProcess('box', 'sleeper')).toMatchObject({ exitStatus: 143, signal: 15 });

    const fast = await agent.execProcess('box', 'missing-fast', { args: ['no-such-program'], cwd: '/', env: ['PATH=/bin'] }).catch((e: unknown) => e);
    const crun = await agent.execProcess('box', 'missing-crun', { args: ['no-such-program'], cwd: '/', env: ['PATH=/bin'], vesselExecVia: 'crun' }).catch((e: unknown) => e);
    expect(fast).toMatchObject({ code: 'E_INVALID_STATE' });
    expect(crun).toMatchObject({ code: 'E_INVALID_STATE' });
    expect(String(fast)).toContain('executable file `no-such-program` not found in $PATH');
    expect(String(crun)).toContain('executable file `no-such-program` not found in $PATH');
  });
});
