// Containers in a real VM: boots the guest image under QEMU (TCG) with a
// virtio-9p share holding a busybox root filesystem, and drives the agent's
// container RPCs (real crun in the guest) the way the runtime will.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VesselError } from '../contract/index.js';
import { AgentClient, type AgentStreamName } from './client.js';
import { guestImageDir, readGuestManifest, type GuestImage } from './manifest.js';
import { startRawAgentVm } from './testing/raw-vm.js';

const QEMU = 'qemu-system-x86_64';
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
const APPLETS = ['sh', 'uname', 'cat', 'sleep', 'echo', 'stty', 'true', 'ls', 'tty', 'head'];

function skipReason(): string | null {
  if (spawnSync(QEMU, ['--version']).status !== 0) return `${QEMU} is not installed (Debian package qemu-system-x86)`;
  if (spawnSync('crun', ['--version']).status !== 0) return 'crun is not installed (Debian package crun)';
  if (!BUSYBOX) return 'busybox is not installed (Debian package busybox-static)';
  if (!existsSync(path.join(guestImageDir(), 'manifest.json'))) return `no guest image in ${guestImageDir()} (run npm run build && npm run build:guest)`;
  return null;
}

const reason = skipReason();
if (reason) console.log(`[containers.int] skipped: ${reason}`);

/** A busybox root filesystem: the binary and a few applet links. */
function makeRootfs(dir: string): void {
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc']) mkdirSync(path.join(dir, d), { recursive: true });
  copyFileSync(BUSYBOX as string, path.join(dir, 'bin', 'busybox'));
  for (const a of APPLETS) symlinkSync('busybox', path.join(dir, 'bin', a));
}

/** The default spec of `crun spec` (what an OCI bundle would carry), with our process. */
function ociSpec(template: Record<string, unknown>, args: string[], terminal = false): Record<string, unknown> {
  const spec = structuredClone(template) as { process: Record<string, unknown> };
  spec.process = { ...spec.process, args, terminal, env: ['PATH=/bin', 'TERM=xterm'] };
  return spec;
}

/**
 * From `cat /proc/self/stat` output: cat has a controlling terminal (tty_nr != 0)
 * and is its foreground process group (tpgid == pgrp), i.e. the shell does job control.
 */
function foregroundOfOwnTerminal(text: string): boolean {
  const line = text.split(/\r?\n/).find((l) => /^\d+ \(cat\) /.test(l));
  const f = line?.replace(/^\d+ \(cat\) /, '').split(' ') ?? [];
  // After "(comm)": state ppid pgrp session tty_nr tpgid ...
  return f.length > 5 && f[4] !== '0' && f[2] === f[5];
}

function grpcCodeOf(err: unknown): unknown {
  return err instanceof VesselError ? err.details?.grpcCode : undefined;
}

describe.skipIf(reason !== null)('containers in a real VM (crun in the guest, rootfs over virtio-9p)', () => {
  let qemu: ChildProcess | undefined;
  let agent: AgentClient;
  let image: GuestImage;
  let template: Record<string, unknown>;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-ctr-int-'));
  const shared = path.join(dir, 'shared');
  const serialLog = path.join(dir, 'serial.log');

  async function readAll(containerId: string, execId: string, stream: AgentStreamName = 'stdout'): Promise<string> {
    const parts: Buffer[] = [];
    for await (const chunk of agent.readStream(containerId, execId, stream)) parts.push(chunk);
    return Buffer.concat(parts).toString();
  }

  /** Reads a TTY's output until `pattern` shows up (or EOF). */
  async function readUntil(containerId: string, execId: string, pattern: RegExp): Promise<string> {
    let text = '';
    for await (const chunk of agent.readStream(containerId, execId, 'stdout')) {
      text += chunk.toString();
      if (pattern.test(text)) break;
    }
    return text;
  }

  async function run(containerId: string, args: string[], rootfs = 'busybox/rootfs'): Promise<void> {
    await agent.createContainer({ containerId, execId: containerId, spec: ociSpec(template, args), rootfs });
    await agent.startContainer(containerId);
  }

  beforeAll(async () => {
    image = readGuestManifest();
    makeRootfs(path.join(shared, 'busybox', 'rootfs'));
    const specDir = path.join(dir, 'spec');
    mkdirSync(specDir);
    expect(spawnSync('crun', ['spec'], { cwd: specDir }).status).toBe(0);
    template = JSON.parse(readFileSync(path.join(specDir, 'config.json'), 'utf8')) as Record<string, unknown>;

    const agentSock = path.join(dir, 'agent.sock');
    ({ qemu, agent } = await startRawAgentVm({ image, agentSock, serialLog, sharedDir: shared, }));
    await agent.createSandbox('ctr-int', 'ctr-int');
  });

  afterAll(() => {
    agent?.close();
    qemu?.kill('SIGKILL');
    if (process.env.VESSEL_KEEP_TEST_LOGS) console.log(readFileSync(serialLog, 'utf8').slice(-6000));
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a busybox container that prints the guest kernel release', async () => {
    const t0 = Date.now();
    await run('uname', ['uname', '-r']);
    const out = await readAll('uname', 'uname');
    const exit = await agent.waitProcess('uname', 'uname');
    console.log(`[containers.int] create+start+run uname: ${Date.now() - t0} ms`);
    expect(out.trim()).toBe(image.kernelRelease);
    expect(exit).toEqual({ exitStatus: 0, signal: 0, oomKilled: false, error: '' });
    await agent.removeContainer('uname');
  });

  it('returns exit code 7 and keeps stdout and stderr apart', async () => {
    await run('seven', ['sh', '-c', 'echo out; echo err >&2; exit 7']);
    const [out, err] = await Promise.all([readAll('seven', 'seven', 'stdout'), readAll('seven', 'seven', 'stderr')]);
    expect(out).toBe('out\n');
    expect(err).toBe('err\n');
    expect((await agent.waitProcess('seven', 'seven')).exitStatus).toBe(7);
    await agent.removeContainer('seven');
  });

  it('round-trips stdin through cat', async () => {
    await run('cat', ['cat']);
    const reading = readAll('cat', 'cat');
    await agent.writeStdin('cat', 'cat', Buffer.from('hello vessel\n'));
    await agent.writeStdin('cat', 'cat', Buffer.from('second line\n'));
    await agent.closeStdin('cat', 'cat');
    expect(await reading).toBe('hello vessel\nsecond line\n');
    expect((await agent.waitProcess('cat', 'cat')).exitStatus).toBe(0);
    await agent.removeContainer('cat');
  });

  it('gives an exec a real TTY whose size follows TtyWinResize, and ends processes with signals', async () => {
    await run('box', ['sleep', '1000']);
    await agent.execProcess('box', 'tty', { args: ['sh'], cwd: '/', env: ['PATH=/bin', 'TERM=xterm'], terminal: true });
    await agent.ttyWinResize('box', 'tty', 33, 77);
    await agent.writeStdin('box', 'tty', Buffer.from('stty size; tty; cat /proc/self/stat; exit 5\n'));
    const text = await readAll('box', 'tty');
    console.log(`[containers.int] tty session: ${JSON.stringify(text)}`);
    expect(text).toContain('33 77');
    expect(text).toMatch(/\/dev\/pts\/\d+/);
    expect(text).not.toContain('job control turned off');
    expect(foregroundOfOwnTerminal(text)).toBe(true);
    expect((await agent.waitProcess('box', 'tty')).exitStatus).toBe(5);

    // SIGTERM ends a sleep (an exec'd process: the container's PID 1 ignores signals it has no handler for).
    await agent.execProcess('box', 'sleeper', { args: ['sleep', '1000'], cwd: '/' });
    await agent.signalProcess('box', 'sleeper', 15);
    expect(await agent.waitProcess('box', 'sleeper')).toMatchObject({ exitStatus: 143, signal: 15 });

    // SIGKILL of the init ends the container.
    await agent.signalProcess('box', '', 9);
    expect(await agent.waitProcess('box', '')).toMatchObject({ exitStatus: 137, signal: 9 });
    await expect(agent.execProcess('box', 'late', { args: ['true'], cwd: '/' })).rejects.toMatchObject({ code: 'E_INVALID_STATE' });
    await agent.removeContainer('box');
  });

  it('gives a TTY container a terminal', async () => {
    await agent.createContainer({ containerId: 'ttyc', execId: 'ttyc', spec: ociSpec(template, ['sh'], true), rootfs: 'busybox/rootfs' });
    await agent.startContainer('ttyc');
    await agent.ttyWinResize('ttyc', '', 40, 100);
    await agent.writeStdin('ttyc', '', Buffer.from('stty size; cat /proc/self/stat; exit 4\n'));
    const text = await readAll('ttyc', 'ttyc');
    console.log(`[containers.int] tty container: ${JSON.stringify(text)}`);
    expect(text).toContain('40 100');
    expect(text).not.toContain('job control turned off');
    expect(foregroundOfOwnTerminal(text)).toBe(true);
    expect((await agent.waitProcess('ttyc', '')).exitStatus).toBe(4);
    await agent.removeContainer('ttyc');
  });

  it('delivers SIGTERM to an init that traps it', async () => {
    await run('trap', ['sh', '-c', 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 1; done']);
    expect(await readUntil('trap', 'trap', /ready/)).toContain('ready');
    await agent.signalProcess('trap', '', 15);
    expect((await agent.waitProcess('trap', '')).exitStatus).toBe(3);
    await agent.removeContainer('trap');
  });

  it('runs two containers at once, pauses and resumes one, and reports rising CPU use', async () => {
    await run('spin', ['sh', '-c', 'while :; do :; done']);
    await run('idle', ['sleep', '1000']);
    await agent.execProcess('idle', 'hello', { args: ['echo', 'from idle'], cwd: '/' });
    expect(await readAll('idle', 'hello')).toBe('from idle\n');

    const s1 = await agent.statsContainer('spin');
    await new Promise((r) => setTimeout(r, 1500));
    const s2 = await agent.statsContainer('spin');
    console.log(`[containers.int] spin cpu ${s1.cpu.usageNs} -> ${s2.cpu.usageNs} ns; memory ${s2.memory.usage} B; pids ${s2.pids.current}`);
    expect(s2.cpu.usageNs - s1.cpu.usageNs).toBeGreaterThan(200_000_000);
    expect(s2.pids.current).toBeGreaterThanOrEqual(1);
    expect(s2.memory.usage).toBeGreaterThan(0);

    const procs = await agent.listProcesses('spin');
    expect(procs.some((p) => p.cmdline.includes('while'))).toBe(true);

    await agent.pauseContainer('spin');
    const p1 = await agent.statsContainer('spin');
    await new Promise((r) => setTimeout(r, 1000));
    const p2 = await agent.statsContainer('spin');
    expect(p2.cpu.usageNs - p1.cpu.usageNs).toBeLessThan(50_000_000);
    await expect(agent.pauseContainer('spin')).rejects.toMatchObject({ code: 'E_INVALID_STATE' });
    await agent.resumeContainer('spin');
    await new Promise((r) => setTimeout(r, 1000));
    const r1 = await agent.statsContainer('spin');
    expect(r1.cpu.usageNs - p2.cpu.usageNs).toBeGreaterThan(100_000_000);

    await agent.updateContainer('spin', { pids: { limit: 50 } });
    expect((await agent.statsContainer('spin')).pids.limit).toBe(50);

    await expect(agent.removeContainer('spin')).rejects.toMatchObject({ code: 'E_INVALID_STATE' });
    await agent.removeContainer('spin', { force: true });
    await agent.removeContainer('idle', { force: true });
    await expect(agent.statsContainer('spin')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('streams 16 MiB of output without loss through the bounded buffer (figures, not a benchmark)', async () => {
    const size = 16 * 1024 * 1024;
    await run('flood', ['head', '-c', String(size), '/dev/zero']);
    const t0 = Date.now();
    let got = 0;
    for await (const chunk of agent.readStream('flood', 'flood', 'stdout')) got += chunk.length;
    const ms = Date.now() - t0;
    console.log(`[containers.int] stdout throughput: ${size / 1048576} MiB in ${ms} ms = ${(size / 1e6 / (ms / 1000)).toFixed(1)} MB/s`);
    expect(got).toBe(size);
    expect((await agent.waitProcess('flood', '')).exitStatus).toBe(0);
    await agent.removeContainer('flood');

    await run('execs', ['sleep', '1000']);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const e0 = Date.now();
      await agent.execProcess('execs', `t${i}`, { args: ['true'], cwd: '/' });
      await agent.waitProcess('execs', `t${i}`);
      times.push(Date.now() - e0);
    }
    times.sort((a, b) => a - b);
    console.log(`[containers.int] exec true: ${times.join(', ')} ms (median ${times[2]})`);
    await agent.removeContainer('execs', { force: true });
  });

  it('answers bad requests with clear errors and keeps serving', async () => {
    const unknown = await agent.waitProcess('nope', '').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(VesselError);
    expect(unknown).toMatchObject({ code: 'E_NOT_FOUND' });
    expect(grpcCodeOf(unknown)).toBe(5);
    expect((unknown as Error).message).toContain('nope');

    await expect(agent.createContainer({ containerId: 'bad', execId: 'bad', spec: { ociVersion: '1.0.0', process: { args: [], cwd: '/' } }, rootfs: 'busybox/rootfs' }))
      .rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(agent.createContainer({ containerId: 'bad', execId: 'bad', spec: ociSpec(template, ['true']), rootfs: '../etc' }))
      .rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(agent.createContainer({ containerId: 'bad', execId: 'bad', spec: ociSpec(template, ['true']), rootfs: 'missing/rootfs' }))
      .rejects.toMatchObject({ code: 'E_INVALID_STATE' });
    // A program that does not exist: crun's error comes back, the container is not left behind.
    await run('noprog', ['/bin/does-not-exist']);
    const exit = await agent.waitProcess('noprog', '');
    expect(exit.exitStatus).not.toBe(0);
    expect(exit.error).toContain('does-not-exist');
    await agent.removeContainer('noprog');
    // Exec of a missing program fails the ExecProcess call itself.
    await run('host', ['sleep', '1000']);
    await expect(agent.execProcess('host', 'x', { args: ['/nope'], cwd: '/' })).rejects.toMatchObject({ code: 'E_INVALID_STATE', message: expect.stringContaining('nope') as unknown });
    await expect(agent.signalProcess('host', '', 65)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await agent.removeContainer('host', { force: true });

    expect(await agent.check()).toBe('SERVING');
    await run('after', ['echo', 'still here']);
    expect(await readAll('after', 'after')).toBe('still here\n');
    // Output ends when echo closes it, a moment before the process is reaped:
    // wait for the exit, or the remove can find the container still running.
    expect((await agent.waitProcess('after', 'after')).exitStatus).toBe(0);
    await agent.removeContainer('after');
  });
});
