import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { waitExeced } from './engine.js';

// startContainer's wait for the container's command: the init is a clone of
// the runtime until it execs. Here /bin/sh stands in for crun.
describe('waitExeced', () => {
  const sh = realpathSync('/bin/sh');

  it('returns when the process execs another program, not before', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 0.3; exec sleep 5'], { stdio: 'ignore' });
    try {
      const t0 = Date.now();
      await waitExeced({ pid: child.pid ?? 0 }, sh, () => false, 5000);
      const ms = Date.now() - t0;
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(3000);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('returns at once for a process that is gone, or when told it ended', async () => {
    const t0 = Date.now();
    await waitExeced({ pid: 2 ** 22 + 1 }, sh, () => false, 5000);
    const child = spawn('/bin/sh', ['-c', 'sleep 5'], { stdio: 'ignore' });
    try {
      await waitExeced({ pid: child.pid ?? 0 }, sh, () => true, 5000);
    } finally {
      child.kill('SIGKILL');
    }
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('gives up after its timeout when the process never execs', async () => {
    const child = spawn('/bin/sh', ['-c', 'read x'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      const t0 = Date.now();
      await waitExeced({ pid: child.pid ?? 0 }, sh, () => false, 200);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
      expect(Date.now() - t0).toBeLessThan(2000);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
