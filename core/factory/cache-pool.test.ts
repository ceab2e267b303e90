import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { isSameProcess, readProcStartTime } from '../util/proc.js';
import { reapCachedVms, VM_RECORD } from './cache-pool.js';
import { adoptCachedVm } from './cache-client.js';
import { vmPathsIn } from '../hypervisor/hypervisor.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('VM cache reaper and hand-over (no VM: a sleep process stands in for QEMU)', () => {
  it('kills a process whose record matches (pid + start time) and removes every VM directory', async () => {
    const vms = mkdtempSync(path.join(os.tmpdir(), 'vcr-'));
    dirs.push(vms);
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    await sleep(50);
    const pid = child.pid ?? 0;
    const start = readProcStartTime(pid) ?? 0;
    mkdirSync(path.join(vms, 'aaaa1111'));
    writeFileSync(path.join(vms, 'aaaa1111', VM_RECORD), JSON.stringify({ pid, pidStartTime: start }));
    // A stale record (a start time that is not the live process's) is never signalled.
    mkdirSync(path.join(vms, 'bbbb2222'));
    writeFileSync(path.join(vms, 'bbbb2222', VM_RECORD), JSON.stringify({ pid: process.pid, pidStartTime: 1 }));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    expect(reapCachedVms(vms)).toBe(1);
    await exited;
    expect(isSameProcess(pid, start)).toBe(false);
    expect(readdirSync(vms)).toEqual([]);
  });

  it('moves a handed-out VM\'s sockets, logs and shared dir into the sandbox directory', () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'vch-'));
    dirs.push(base);
    const vmDir = path.join(base, 'cache', 'cafe0001');
    mkdirSync(path.join(vmDir, 'shared'), { recursive: true });
    for (const f of ['qmp.sock', 'agent.sock', 'hypervisor.pid', 'console.log']) writeFileSync(path.join(vmDir, f), f);
    writeFileSync(path.join(vmDir, 'shared', 'marker'), 'x');
    const sandboxDir = path.join(base, 'sandboxes', 'sb1');
    mkdirSync(path.join(sandboxDir, 'shared'), { recursive: true });
    const paths = vmPathsIn(sandboxDir);
    const state = adoptCachedVm({ id: 'cafe0001', vmDir, state: { type: 'qemu', pid: 1, pidStartTime: 1, accel: 'tcg', paths: vmPathsIn(vmDir) }, source: 'direct' }, paths, path.join(sandboxDir, 'shared'));
    expect(state.paths).toEqual(paths);
    expect(readdirSync(sandboxDir).sort()).toEqual(['agent.sock', 'console.log', 'hypervisor.pid', 'qmp.sock', 'shared']);
    expect(readdirSync(path.join(sandboxDir, 'shared'))).toEqual(['marker']);
    expect(readdirSync(path.join(base, 'cache'))).toEqual([]);
  });
});
