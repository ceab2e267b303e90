// vessel-portwait (guest/portwait/vessel-portwait.c) on the host, with a FIFO
// standing in for the virtio port: a FIFO whose writer has gone reports
// POLLHUP at once, as a port with no host does, and a writer opening it again
// wakes its wait queue, as a host connecting does. The real port is exercised
// in a VM by core/agent/channel/channel.int.test.ts (idle CPU with no host).
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitHostWithHelper } from './port.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-portwait-test-'));
const bin = path.join(dir, 'vessel-portwait');
const built = spawnSync(process.env.CC ?? 'gcc', ['-static', '-Os', '-Wall', '-Wextra', '-Werror', '-o', bin, path.join(import.meta.dirname, '..', 'portwait', 'vessel-portwait.c')], { encoding: 'utf8' });
const skip = built.error || built.status !== 0 ? `cannot compile the helper here (${(built.error?.message ?? built.stderr).split('\n')[0] ?? ''}): install gcc and libc6-dev` : null;
if (skip) console.log(`[portwait.test] skipped: ${skip}`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fifo(name: string): string {
  const p = path.join(dir, name);
  const r = spawnSync('mkfifo', [p]);
  if (r.status !== 0) throw new Error('mkfifo failed');
  return p;
}

describe.skipIf(skip !== null)('vessel-portwait (waits for the host without polling)', () => {
  it('returns at once while the other side is connected', async () => {
    const f = fifo('connected');
    const fd = openSync(f, constants.O_RDWR); // a writer exists: no POLLHUP
    try {
      const t0 = Date.now();
      await new Promise<void>((resolve) => waitHostWithHelper(fd, resolve, bin));
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      closeSync(fd);
    }
  });

  it('blocks while the other side is gone and returns when it comes back', async () => {
    const f = fifo('gone');
    const fd = openSync(f, constants.O_RDONLY | constants.O_NONBLOCK);
    closeSync(openSync(f, constants.O_WRONLY)); // a writer came and went: POLLHUP from now on
    let writer: number | null = null;
    try {
      let woke = false;
      const done = new Promise<void>((resolve) => waitHostWithHelper(fd, () => { woke = true; resolve(); }, bin));
      await new Promise((r) => setTimeout(r, 700));
      expect(woke).toBe(false);
      // "The host connects": a port then polls writable; a FIFO's reader needs a byte to poll readable.
      writer = openSync(f, constants.O_WRONLY | constants.O_NONBLOCK);
      writeSync(writer, 'x');
      await done;
      expect(woke).toBe(true);
    } finally {
      if (writer !== null) closeSync(writer);
      closeSync(fd);
    }
  });

  it('falls back to one poll interval when the helper is missing', async () => {
    const t0 = Date.now();
    await new Promise<void>((resolve) => waitHostWithHelper(0, resolve, path.join(dir, 'absent')));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(15);
  });
});
