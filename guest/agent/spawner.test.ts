// The exec spawner (guest/spawner/vessel-spawner.c) on the host: compiled with
// the host's gcc, pointed at this test process (same namespaces, so it joins
// none) and at a scratch "cgroup" directory whose cgroup.procs is a plain file.
// Checks the request protocol's bad input and the agent's glue (spawner.ts);
// the namespaces/cgroup/user/capabilities of a real container are checked in
// a VM by core/agent/exec-spawner.int.test.ts.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerProcess } from './engine.js';
import { CAPABILITY_NAMES, encodeFrame, planSpawn, SpawnFailed, Spawners } from './spawner.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-spawner-test-'));
const bin = path.join(dir, 'vessel-spawner');
const built = spawnSync(process.env.CC ?? 'gcc', ['-static', '-Os', '-Wall', '-Wextra', '-Werror', '-o', bin, path.join(import.meta.dirname, '..', 'spawner', 'vessel-spawner.c')], { encoding: 'utf8' });
const skip = built.error || built.status !== 0 ? `cannot compile the spawner here (${(built.error?.message ?? built.stderr).split('\n')[0] ?? ''}): install gcc and libc6-dev` : null;
if (skip) console.log(`[spawner.test] skipped: ${skip}`);

/** This process's capability sets, as the names planSpawn takes (the spawner cannot give more than it has). */
function ownCaps(): Record<string, string[]> {
  const status = readFileSync('/proc/self/status', 'utf8');
  const names = (key: string): string[] => {
    const hex = new RegExp(`^${key}:\\s*([0-9a-f]+)`, 'm').exec(status)?.[1] ?? '0';
    const m = BigInt(`0x${hex}`);
    return CAPABILITY_NAMES.filter((_, i) => (m >> BigInt(i)) & 1n);
  };
  return { bounding: names('CapBnd'), effective: names('CapEff'), permitted: names('CapPrm'), inheritable: [], ambient: [] };
}

const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;
const cgroupDir = path.join(dir, 'cg');

/** A raw spawner on pipes, with its reply lines. */
function rawSpawner(): { child: ChildProcessWithoutNullStreams; next: () => Promise<string>; ended: Promise<number | null> } {
  const child = spawn(bin, [String(process.pid), cgroupDir]);
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(l);
      else lines.push(l);
    }
  });
  child.stdin.on('error', () => undefined);
  const next = (): Promise<string> => {
    const l = lines.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise((resolve) => waiters.push(resolve));
  };
  const ended = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, next, ended };
}

function payload(fields: [string, string][]): Buffer {
  return encodeFrame(fields).subarray(4);
}

function lengthPrefixed(p: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32LE(p.length);
  return Buffer.concat([h, p]);
}

describe.skipIf(skip !== null)('exec spawner protocol (host build, bad input)', () => {
  beforeAll(() => {
    rmSync(cgroupDir, { recursive: true, force: true });
    spawnSync('mkdir', ['-p', cgroupDir]);
    writeFileSync(path.join(cgroupDir, 'cgroup.procs'), '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers each bad frame with a clear error and keeps serving; a frame cut short ends it', async () => {
    const s = rawSpawner();
    expect(await s.next()).toMatch(/^R \d+$/);
    const send = (b: Buffer): void => { s.child.stdin.write(b); };
    send(lengthPrefixed(payload([['tok', '4'], ['bogus', 'x']])));
    expect(await s.next()).toBe('F 4 bad request: unknown field bogus');
    send(lengthPrefixed(payload([['arg', 'true']])));
    expect(await s.next()).toBe('E bad request: missing field tok');
    send(lengthPrefixed(Buffer.from('tok\0')));
    expect(await s.next()).toBe('E bad request: field tok has no value');
    send(lengthPrefixed(Buffer.from('tok\x005')));
    expect(await s.next()).toBe('E bad request: value of tok not NUL-terminated');
    send(lengthPrefixed(payload([['tok', 'x1']])));
    expect(await s.next()).toBe('E bad request: bad or repeated tok');
    send(lengthPrefixed(payload([['tok', '9'], ['uid', '-1']])));
    expect(await s.next()).toBe('F 9 bad request: bad or repeated uid');
    send(lengthPrefixed(payload([['tok', '10'], ['rlimit', '7 10 5']])));
    expect(await s.next()).toMatch(/^F 10 bad request: bad rlimit "7 10 5"/);
    send(lengthPrefixed(payload([['tok', '11'], ['cwd', 'relative']])));
    expect(await s.next()).toBe('F 11 bad request: cwd must be one absolute path');
    send(lengthPrefixed(payload([['tok', '12'], ['io', '/x'], ['uid', '0'], ['gid', '0'], ['cwd', '/'], ['arg', 'true']])));
    expect(await s.next()).toMatch(/^F 12 bad request: missing field a capability set/);
    // Oversized: dropped as it arrives (never held), then the next frame is read normally.
    const big = Buffer.alloc(4 + 2 * 1024 * 1024);
    big.writeUInt32LE(2 * 1024 * 1024);
    send(big);
    expect(await s.next()).toBe('E frame of 2097152 bytes is over the 1048576-byte limit: dropped');
    send(lengthPrefixed(payload([['tok', '13'], ['nnp', '2']])));
    expect(await s.next()).toBe('F 13 bad request: nnp must be 0 or 1');
    // A valid request to an io socket nobody listens on: refused, nothing runs.
    send(encodeFrame([['tok', '14'], ['io', path.join(dir, 'nobody.sock')], ['uid', String(uid)], ['gid', String(gid)], ['bnd', '0'], ['eff', '0'], ['prm', '0'], ['inh', '0'], ['amb', '0'], ['nnp', '0'], ['cwd', '/'], ['arg', 'true']]));
    expect(await s.next()).toMatch(/^F 14 cannot connect to .*nobody\.sock: (No such file or directory|Connection refused)$/);
    // Truncated: the input ends inside a frame.
    s.child.stdin.end(Buffer.from([0x20, 0, 0, 0, 0x74]));
    expect(await s.next()).toBe('E truncated frame: 1 of 32 payload bytes');
    expect(await s.ended).toBe(1);
  });

  it('refuses a bad init pid or cgroup directory at start', async () => {
    const r = spawnSync(bin, ['0', cgroupDir], { encoding: 'utf8' });
    expect(r.stdout).toBe('E bad init pid 0\n');
    expect(r.status).toBe(2);
    const r2 = spawnSync(bin, [String(process.pid), 'relative'], { encoding: 'utf8' });
    expect(r2.stdout).toBe('E bad cgroup dir\n');
  });

  it('runs processes through the agent glue: stdio on sockets, exit status and signals, start errors', async () => {
    const bundleDir = path.join(dir, 'bundle');
    spawnSync('mkdir', ['-p', bundleDir]);
    writeFileSync(path.join(bundleDir, 'config.json'), JSON.stringify({ process: { env: ['PATH=/usr/bin:/bin', 'FROM_SPEC=1'], capabilities: ownCaps(), user: { uid, gid } } }));
    const spawners = new Spawners(bin, path.join(dir, 'io.sock'));
    const target = { id: 'c1', initPid: process.pid, cgroupDir, bundleDir };
    try {
      const plan = spawners.plan(target, { args: ['sh', '-c', 'echo "out $FROM_SPEC $HOME"; echo err >&2; head -c 5; exit 7'], cwd: dir });
      if (!('fields' in plan)) throw new Error(plan.fallback);
      let exit: [number, number] | null = null;
      let exited: () => void = () => undefined;
      const exitSeen = new Promise<void>((resolve) => { exited = resolve; });
      const { pid, io } = await spawners.exec(target, plan.fields, (st, sig) => { exit = [st, sig]; exited(); });
      expect(pid).toBeGreaterThan(0);
      const read = (s: net.Socket): Promise<string> => new Promise((resolve) => { let t = ''; s.on('data', (d: Buffer) => { t += d.toString(); }); s.on('end', () => resolve(t)); s.resume(); });
      io.stdin.end('abcdefgh');
      const [out, err] = await Promise.all([read(io.stdout), read(io.stderr)]);
      expect(out).toMatch(/^out 1 \S+\nabcde$/);
      expect(err).toBe('err\n');
      await exitSeen;
      expect(exit).toEqual([7, 0]);

      // A signal death is reported as 128 + n with the signal.
      const sleepPlan = spawners.plan(target, { args: ['sleep', '30'], cwd: '/' });
      if (!('fields' in sleepPlan)) throw new Error(sleepPlan.fallback);
      const ended = new Promise<[number, number]>((resolve) => {
        void spawners.exec(target, sleepPlan.fields, (s, sig) => resolve([s, sig])).then(({ pid: p }) => process.kill(p, 'SIGTERM'));
      });
      expect(await ended).toEqual([143, 15]);

      // A program that is not there: the exec fails, as crun says it.
      const bad = spawners.plan(target, { args: ['no-such-program-here'], cwd: '/' });
      if (!('fields' in bad)) throw new Error(bad.fallback);
      const e = await spawners.exec(target, bad.fields, () => undefined).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(SpawnFailed);
      expect(String(e)).toContain('executable file `no-such-program-here` not found in $PATH');
    } finally {
      spawners.close();
    }
  });

  it('keeps the end of an output nobody wrote to, when the process is gone before its sockets are adopted', async () => {
    // A process that writes nothing and exits at once: the end of its empty
    // stdout/stderr can reach the agent before ContainerProcess.adopt listens.
    // That end must not be lost (a lost one left an exec's stderr open for ever).
    const bundleDir = path.join(dir, 'bundle-empty');
    spawnSync('mkdir', ['-p', bundleDir]);
    writeFileSync(path.join(bundleDir, 'config.json'), JSON.stringify({ process: { env: ['PATH=/usr/bin:/bin'], capabilities: ownCaps(), user: { uid, gid } } }));
    const spawners = new Spawners(bin, path.join(dir, 'io-empty.sock'));
    const target = { id: 'c2', initPid: process.pid, cgroupDir, bundleDir };
    try {
      const plan = spawners.plan(target, { args: ['true'], cwd: '/' });
      if (!('fields' in plan)) throw new Error(plan.fallback);
      let exited: () => void = () => undefined;
      const exitSeen = new Promise<void>((resolve) => { exited = resolve; });
      const { pid, io } = await spawners.exec(target, plan.fields, () => exited());
      await exitSeen;
      await new Promise((r) => setTimeout(r, 200)); // the sockets' ends arrive while nobody has taken them
      const p = new ContainerProcess('e1', false, 1024, null);
      p.adopt(io, pid);
      const closed = async (): Promise<boolean> => {
        for (let i = 0; i < 50 && !(p.stdout.isClosed && p.stderr.isClosed); i++) await new Promise((r) => setTimeout(r, 20));
        return p.stdout.isClosed && p.stderr.isClosed;
      };
      expect(await closed()).toBe(true);
    } finally {
      spawners.close();
    }
  });
});

describe('planSpawn (what crun exec would do, or why crun exec does it)', () => {
  const spec = { process: { env: ['A=1'], user: { uid: 5, gid: 6, additionalGids: [7, 8] }, capabilities: { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: [], ambient: [] } } };

  it('takes capabilities and environment from the container when the process has none, and root (crun 1.8)', () => {
    const p = planSpawn({ args: ['id'], cwd: '/' }, spec);
    if (!('fields' in p)) throw new Error(p.fallback);
    const f = (k: string): string[] => p.fields.filter(([x]) => x === k).map(([, v]) => v);
    expect([f('uid'), f('gid'), f('group'), f('umask')]).toEqual([['0'], ['0'], [], []]);
    const withUser = planSpawn({ args: ['id'], cwd: '/', user: { uid: 5, gid: 6, additionalGids: [7, 8] } }, spec);
    if (!('fields' in withUser)) throw new Error(withUser.fallback);
    const g = (k: string): string[] => withUser.fields.filter(([x]) => x === k).map(([, v]) => v);
    expect([g('uid'), g('gid'), g('group'), g('umask')]).toEqual([['5'], ['6'], ['7', '8'], ['22']]);
    expect([f('bnd'), f('eff'), f('prm'), f('inh'), f('amb')]).toEqual([['21'], ['20'], ['20'], ['0'], ['0']]);
    expect(f('env')).toEqual(['A=1']);
    expect(f('nnp')).toEqual(['0']);
  });

  it('uses the process\'s own fields, with putenv\'s last-wins order, and rlimits', () => {
    const p = planSpawn({ args: ['id'], cwd: '/w', env: ['X=1', 'Y=2', 'X=3'], user: { uid: 0, gid: 0 }, noNewPrivileges: true, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2 ** 64 - 1 }] }, spec);
    if (!('fields' in p)) throw new Error(p.fallback);
    expect(p.fields).toContainEqual(['rlimit', '7 1024 18446744073709551615']);
    expect(p.fields.filter(([k]) => k === 'env').map(([, v]) => v)).toEqual(['X=3', 'Y=2']);
    expect(p.fields).toContainEqual(['nnp', '1']);
    expect(p.fields).toContainEqual(['cwd', '/w']);
  });

  it('leaves to crun exec what the spawner does not do', () => {
    const why = (proc: Record<string, unknown>, s: Record<string, unknown> = spec): string => { const p = planSpawn(proc, s); return 'fallback' in p ? p.fallback : 'spawner'; };
    const base = { args: ['true'], cwd: '/' };
    expect(why({ ...base, terminal: true })).toBe('a terminal');
    expect(why({ ...base, vesselExecVia: 'crun' })).toBe('asked for crun exec');
    expect(why(base, { ...spec, linux: { seccomp: {} } })).toBe('seccomp');
    expect(why(base, { ...spec, linux: { namespaces: [{ type: 'user' }] } })).toBe('a user namespace');
    expect(why({ ...base, apparmorProfile: 'x' })).toBe('apparmorProfile');
    expect(why({ ...base, capabilities: { bounding: ['CAP_NOPE'] } })).toBe('capability CAP_NOPE');
    expect(why({ ...base, rlimits: [{ type: 'RLIMIT_NOPE', soft: 1, hard: 1 }] })).toBe('an rlimit it cannot read');
    expect(why(base)).toBe('spawner');
  });
});
