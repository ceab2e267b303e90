import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxEvent } from '../contract/index.js';
import { appendEvent, describeProcess, FEED_ROTATE_BYTES, FeedFollower, feedPath, selfOrigin } from './feed.js';

const dirs: string[] = [];
const followers: FeedFollower[] = [];
afterEach(() => {
  for (const f of followers.splice(0)) f.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function root(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'vessel-feed-'));
  dirs.push(d);
  return d;
}

function follow(file: string): SandboxEvent[] {
  const got: SandboxEvent[] = [];
  followers.push(new FeedFollower(file, (e) => got.push(e)));
  return got;
}

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Another process appends `n` events in the feed's line format (its own pid and start time). */
function otherProcessAppends(file: string, n: number): Promise<number> {
  const script = `
    const fs = require('node:fs');
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const startTime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    for (let i = 0; i < ${n}; i++) {
      const event = { type: 'state', id: 'sb-' + i, from: 'running', to: 'stopped', at: new Date().toISOString(), origin: { pid: process.pid, command: 'vessel sandbox stop' } };
      fs.appendFileSync(${JSON.stringify(file)}, JSON.stringify({ v: 1, startTime, event }) + '\\n');
    }
    process.stdout.write(String(process.pid));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`child exited ${String(code)}`))));
  });
}

describe('event feed across processes (inotify, no polling)', () => {
  it("delivers another process's events, with the process that made them, even before the file existed", async () => {
    const file = feedPath(root());
    const got = follow(file);
    const pid = await otherProcessAppends(file, 3);
    await until(() => got.length === 3);
    expect(got.map((e) => e.id)).toEqual(['sb-0', 'sb-1', 'sb-2']);
    expect(got[0]?.origin).toEqual({ pid, command: 'vessel sandbox stop' });
  });

  it("skips this process's own lines (it emitted them itself) and starts at the end of what was there", async () => {
    const file = feedPath(root());
    appendEvent(file, { type: 'created', id: 'old', at: 'x', origin: selfOrigin() });
    const got = follow(file);
    appendEvent(file, { type: 'created', id: 'mine', at: 'x', origin: selfOrigin() });
    await otherProcessAppends(file, 1);
    await until(() => got.length === 1);
    expect(got[0]?.id).toBe('sb-0');
  });

  it('skips malformed, oversized and foreign lines and keeps reading', async () => {
    const file = feedPath(root());
    const got = follow(file);
    appendFileSync(file, 'not json\n{"v":2}\n' + JSON.stringify({ v: 1, startTime: 1, event: { type: 'nope' } }) + '\n' + 'x'.repeat(20_000) + '\n');
    await otherProcessAppends(file, 1);
    await until(() => got.length === 1);
    expect(got[0]?.id).toBe('sb-0');
  });

  it('follows a rotation: nothing appended before or after it is lost', async () => {
    const file = feedPath(root());
    const got = follow(file);
    // Fill past the rotation size with lines of another (fictional, dead) process.
    const filler = JSON.stringify({ v: 1, startTime: 1, event: { type: 'created', id: 'fill', at: 'x', origin: { pid: 1, command: 'filler' } } }) + '\n';
    appendFileSync(file, filler.repeat(Math.ceil(FEED_ROTATE_BYTES / filler.length) + 1));
    await until(() => got.length > 0);
    const before = got.length;
    appendEvent(file, { type: 'created', id: 'rotates', at: 'x', origin: selfOrigin() }); // ours: triggers the rotation, not delivered
    expect(statSync(`${file}.1`).size).toBeGreaterThan(FEED_ROTATE_BYTES);
    await otherProcessAppends(file, 2);
    await until(() => got.length === before + 2);
    expect(got.slice(-2).map((e) => e.id)).toEqual(['sb-0', 'sb-1']);
  });

  it('names a process by its command words', () => {
    expect(describeProcess(['/usr/bin/node', '/x/dist/core/cli/main.js', 'sandbox', 'stop', '--force', 'abc'])).toBe('vessel sandbox stop');
    expect(describeProcess(['/usr/bin/node', '/x/main.js', 'serve', '--port', '1'])).toBe('vessel serve');
  });
});
