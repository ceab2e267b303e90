// Sandbox events across processes: one append-only JSON-lines file under the
// store root. Every process that changes a sandbox (the CLI, the app, `vessel
// serve`, a channel owner that saw its VM die) appends one line per event;
// every process that listens watches the file with inotify (fs.watch) and
// reads what was appended. No polling: a change reaches a listener as soon as
// the kernel reports the write. Each line names the process that made it.
//
// A line is one write(2) with O_APPEND, well under PIPE_BUF, so concurrent
// writers never interleave. Past FEED_ROTATE_BYTES the writer renames the file
// to `.1` (replacing the previous one); readers notice the new inode, finish
// the old file through the descriptor they hold, and start the new one.
import { closeSync, fstatSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SandboxEvent } from '../contract/index.js';
import { MAX_LINE_BYTES, SELF_START_TIME } from './append.js';

// The writer side has no schema to load (a channel owner appends without zod or the contract).
export { appendEvent, describeProcess, FEED_FILE, FEED_ROTATE_BYTES, feedPath, selfOrigin } from './append.js';


export const FeedLine = z.object({
  v: z.literal(1),
  /** Process start time, with origin.pid: tells our own lines from another process's. */
  startTime: z.number().int().nonnegative(),
  event: SandboxEvent,
});
export type FeedLine = z.infer<typeof FeedLine>;



/**
 * Follows the feed from its current end, calling onEvent for every event
 * another process appends (lines this process wrote are skipped: it emitted
 * them itself). Invalid lines are skipped.
 */
export class FeedFollower {
  private fd: number | null = null;
  private ino = 0;
  private offset = 0;
  private partial = '';
  private watcher: FSWatcher | null = null;
  private closed = false;

  constructor(private readonly file: string, private readonly onEvent: (e: SandboxEvent) => void) {
    this.openCurrent(true);
    try {
      // Watch the directory: the file may not exist yet, and rotation replaces it.
      this.watcher = watch(path.dirname(file), { persistent: false }, (_type, name) => {
        if (name === null || name === path.basename(file)) this.poke();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = null;
    }
  }

  private openCurrent(atEnd: boolean): void {
    try {
      const fd = openSync(this.file, 'r');
      const st = fstatSync(fd);
      this.fd = fd;
      this.ino = st.ino;
      this.offset = atEnd ? st.size : 0;
      this.partial = '';
    } catch {
      this.fd = null;
    }
  }

  /** Read whatever was appended (and follow a rotation). */
  poke(): void {
    if (this.closed) return;
    if (this.fd !== null) this.drain(this.fd);
    let ino = 0;
    try {
      ino = statSync(this.file).ino;
    } catch {
      return; // rotated away and not recreated yet
    }
    if (this.fd === null || ino !== this.ino) {
      if (this.fd !== null) closeSync(this.fd);
      this.openCurrent(false);
      if (this.fd !== null) this.drain(this.fd);
    }
  }

  private drain(fd: number): void {
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, this.offset);
      } catch {
        return;
      }
      if (n <= 0) return;
      this.offset += n;
      const text = this.partial + buf.subarray(0, n).toString('utf8');
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      if (this.partial.length > MAX_LINE_BYTES) this.partial = '';
      for (const line of lines) this.deliver(line);
    }
  }

  private deliver(line: string): void {
    if (line === '' || line.length > MAX_LINE_BYTES) return;
    let parsed: ReturnType<typeof FeedLine.safeParse>;
    try {
      parsed = FeedLine.safeParse(JSON.parse(line));
    } catch {
      return;
    }
    if (!parsed.success) return;
    const { event, startTime } = parsed.data;
    if (event.origin?.pid === process.pid && startTime === SELF_START_TIME) return;
    this.onEvent(event);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.close();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
