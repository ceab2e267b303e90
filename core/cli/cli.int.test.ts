import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../agent/index.js';
import { SandboxStatus } from '../contract/index.js';
import { cliBuilt, cliPath, makeRoot, pidAlive, runCli, vmSkipReason, waitFor } from './test-helpers.js';

/**
 * The CLI as a user runs it: separate processes, real QEMU under TCG, the
 * real guest agent. Every `runCli` call is a new process, so each step after
 * the first also proves restore from another process.
 */

function parseStatus(stdout: string): SandboxStatus {
  return SandboxStatus.parse(JSON.parse(stdout));
}

function errorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1); // one line, never a stack trace
  return lines[0] ?? '';
}

describe('CLI: bad input is refused with a stable code and one line', () => {
  const root = makeRoot();
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const skip = cliBuilt() ? null : 'the CLI is not built: run npm run build';

  it.skipIf(skip !== null)('rejects traversing and invalid IDs before touching disk', async () => {
    for (const bad of ['../etc', 'a/b', '..', '.hidden', 'x'.repeat(65)]) {
      const r = await runCli(root, ['sandbox', 'status', bad]);
      expect(r.code, bad).not.toBe(0);
      expect(errorLine(r.stderr)).toMatch(/^vessel: E_INVALID_ID: /);
    }
    expect(readdirSync(root, { recursive: true }).map(String).filter((f) => !['locks', 'sandboxes'].includes(f))).toEqual([]);
  });

  it.skipIf(skip !== null)('unknown sandbox', async () => {
    const r = await runCli(root, ['sandbox', 'stop', 'nosuchsandbox']);
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toMatch(/^vessel: E_NOT_FOUND: no sandbox with ID or name "nosuchsandbox"/);
  });

  it.skipIf(skip !== null)('zero vCPUs, negative memory, non-numbers, unknown hypervisor, missing kernel', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--vcpus', '0'], /E_INVALID_ARGUMENT: .*vCPUs must be at least 1/],
      [['--memory=-128'], /E_INVALID_ARGUMENT: .*memory must be at least/],
      [['--vcpus', 'two'], /E_INVALID_ARGUMENT: --vcpus must be a whole number, got "two"/],
      [['--hypervisor', 'xen'], /E_INVALID_ARGUMENT: unknown hypervisor "xen": use qemu/],
      [['--hypervisor', 'firecracker'], /E_UNSUPPORTED: .*firecracker/],
      [['--kernel', '/nonexistent/vmlinuz'], /E_NOT_FOUND: kernel not found: \/nonexistent\/vmlinuz/],
    ];
    for (const [args, expected] of cases) {
      const r = await runCli(root, ['sandbox', 'create', ...args]);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(errorLine(r.stderr)).toMatch(expected);
    }
    // Nothing was created by any of them.
    const list = await runCli(root, ['sandbox', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it.skipIf(skip !== null)('unknown command and option', async () => {
    const r = await runCli(root, ['sandbox', 'explode']);
    expect(r.code).toBe(2);
    expect(errorLine(r.stderr)).toMatch(/^vessel: E_INVALID_ARGUMENT: /);
  });
});

const vmSkip = vmSkipReason();
if (vmSkip) console.warn(`skipping VM lifecycle tests: ${vmSkip}`);

describe.skipIf(vmSkip !== null)('CLI on real QEMU: lifecycle across processes', () => {
  const root = makeRoot();
  let id = '';
  let pid = 0;
  let runDir = '';

  beforeAll(async () => {
    const r = await runCli(root, ['sandbox', 'create', '--name', 'life', '--vcpus', '1', '--memory', '512', '--json']);
    expect(r.stderr).not.toMatch(/^vessel: /m);
    expect(r.code).toBe(0);
    const s = parseStatus(r.stdout);
    expect(s.state).toBe('ready');
    expect(s.name).toBe('life');
    expect(s.pid).toBeGreaterThan(0);
    id = s.id;
    pid = s.pid ?? 0;
    runDir = path.join(root, 'sandboxes', id);
  });

  afterAll(async () => {
    if (id) await runCli(root, ['sandbox', 'delete', '--force', id]);
    if (pid && pidAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('QEMU outlives the process that created it; a second process sees it with live guest details', async () => {
    expect(pidAlive(pid)).toBe(true);
    const r = await runCli(root, ['sandbox', 'status', 'life', '--json']);
    expect(r.code).toBe(0);
    const s = parseStatus(r.stdout);
    expect(s.id).toBe(id);
    expect(s.state).toBe('ready');
    expect(s.guest?.cpus).toBe(1);
    expect(s.guest?.kernelRelease).toMatch(/^\d+\.\d+/);
    const list = await runCli(root, ['sandbox', 'list']);
    expect(list.stdout).toMatch(/life\s+ready/);
  });

  it('invalid transitions fail naming both states', async () => {
    const r = await runCli(root, ['sandbox', 'resume', id]);
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toMatch(/E_INVALID_STATE: .*ready.*/);
    const p = await runCli(root, ['sandbox', 'pause', id]);
    expect(errorLine(p.stderr)).toMatch(/E_INVALID_STATE: .*"ready".*"paused"/);
  });

  it('start, then pause really stops the guest: its clock does not advance', async () => {
    expect((await runCli(root, ['sandbox', 'start', id])).code).toBe(0);
    // Through the sandbox's agent channel owner, which alone holds QEMU's agent socket.
    const channelSocket = path.join(runDir, 'chan.sock');
    const uptime = async (): Promise<number> => {
      const c = await AgentClient.connect({ kind: 'channel', path: channelSocket }, { timeoutMs: 30_000 });
      try {
        return (await c.getGuestDetails()).uptimeMs;
      } finally {
        c.close();
      }
    };
    const before = await uptime();
    const p = await runCli(root, ['sandbox', 'pause', id, '--json']);
    expect(parseStatus(p.stdout).state).toBe('paused');
    const pausedAt = Date.now();
    await new Promise((r) => setTimeout(r, 4000));
    // A paused sandbox cannot be deleted without --force.
    const del = await runCli(root, ['sandbox', 'delete', id]);
    expect(errorLine(del.stderr)).toMatch(/E_INVALID_STATE: .*paused.*--force/);
    const r = await runCli(root, ['sandbox', 'resume', id, '--json']);
    expect(parseStatus(r.stdout).state).toBe('running');
    const after = await uptime();
    const wall = Date.now() - pausedAt;
    // The guest saw far less time pass than the 4+ s the host waited.
    expect(wall).toBeGreaterThanOrEqual(4000);
    expect(after - before).toBeLessThan(wall - 2500);
  });

  it('a running sandbox cannot be deleted without --force; stop then start boots it again', async () => {
    const del = await runCli(root, ['sandbox', 'delete', id]);
    expect(errorLine(del.stderr)).toMatch(/E_INVALID_STATE: .*running.*--force/);
    const stop = await runCli(root, ['sandbox', 'stop', id, '--json']);
    expect(stop.code).toBe(0);
    expect(parseStatus(stop.stdout).state).toBe('stopped');
    expect(pidAlive(pid)).toBe(false);
    const start = await runCli(root, ['sandbox', 'start', id, '--json']);
    expect(start.code).toBe(0);
    const s = parseStatus(start.stdout);
    expect(s.state).toBe('running');
    expect(s.pid).not.toBe(pid);
    pid = s.pid ?? 0;
    expect(pidAlive(pid)).toBe(true);
  });

  it('QEMU killed with SIGKILL is seen within 2 s by a watching process, and by the next status read', async () => {
    const watcher = spawn(process.execPath, [cliPath, 'events', '--json'], {
      env: { ...process.env, VESSEL_ROOT: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    watcher.stdout.on('data', (d: Buffer) => (out += d.toString()));
    watcher.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await waitFor(() => out.includes('"watching"'), 20_000);
      await new Promise((r) => setTimeout(r, 300));
      process.kill(pid, 'SIGKILL');
      const killedAt = Date.now();
      const seenAfter = await waitFor(() => out.includes('"to":"stopped"'), 5_000, 20).then(
        () => Date.now() - killedAt,
        () => {
          throw new Error(`the watcher printed no stop event within 5 s; it printed:\n${out}\nstderr:\n${err}`);
        },
      );
      expect(seenAfter).toBeLessThanOrEqual(2000);
    } finally {
      watcher.kill('SIGTERM');
    }
    const r = await runCli(root, ['sandbox', 'status', id, '--json']);
    const s = parseStatus(r.stdout);
    expect(s.state).toBe('stopped');
    expect(s.pid).toBeNull();
    expect(s.stopReason).toMatch(/exited|killed|gone/);
  });

  it('delete leaves no process, socket or state directory', async () => {
    const start = await runCli(root, ['sandbox', 'start', id, '--json']);
    const s = parseStatus(start.stdout);
    pid = s.pid ?? 0;
    const r = await runCli(root, ['sandbox', 'delete', '--force', id]);
    expect(r.code).toBe(0);
    expect(pidAlive(pid)).toBe(false);
    expect(existsSync(runDir)).toBe(false);
    const leftovers = readdirSync(root, { recursive: true }).map(String).filter((f) => f.includes(id));
    expect(leftovers).toEqual([]);
    const list = await runCli(root, ['sandbox', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([]);
    id = '';
  });
});

describe.skipIf(vmSkip !== null)('CLI on real QEMU: a create interrupted mid-boot', () => {
  const root = makeRoot();
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('leaves a stopped sandbox whose VM a forced delete still kills', async () => {
    const creator = spawn(process.execPath, [cliPath, 'sandbox', 'create', '--name', 'cut'], {
      env: { ...process.env, VESSEL_ROOT: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    creator.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(() => err.includes('[boot]'), 30_000);
    creator.kill('SIGKILL'); // as if the user's terminal died while the guest booted
    await new Promise((r) => creator.once('close', r));

    const list = await runCli(root, ['sandbox', 'list', '--json']);
    const [s] = JSON.parse(list.stdout) as SandboxStatus[];
    expect(s?.name).toBe('cut');
    expect(s?.state).toBe('stopped');
    expect(s?.stopReason).toMatch(/booting/);
    const pidFile = path.join(root, 'sandboxes', s?.id ?? '', 'hypervisor.pid');
    const qemuPid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(pidAlive(qemuPid)).toBe(true);

    const del = await runCli(root, ['sandbox', 'delete', '--force', 'cut']);
    expect(del.code).toBe(0);
    expect(pidAlive(qemuPid)).toBe(false);
  });
});
