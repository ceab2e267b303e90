// Reading a process's output (its stdout or stderr socket) in large reads.
//
// Node reads a socket 64 KiB at a time, and every read costs a round of
// stream machinery in JS (a Buffer, push, 'data', the handlers after it).
// Under TCG those rounds (512 for 32 MiB) were a large share of the guest's
// CPU when a process wrote output in bulk. So when a read comes
// back large (the process is writing in bulk) and nothing else is buffered
// behind it, the reader goes on reading the same socket itself, at once and
// synchronously (the socket is non-blocking: a read that finds nothing queued
// fails with EAGAIN instead of waiting), into a 1 MiB slab: up to what the
// socket holds per read (the guest's init raises the default socket send
// buffer to 1 MiB, guest/build/init.ts). The bytes it gets are exactly the
// ones after the chunk just delivered, so the order holds; small outputs
// never leave node's own reads.
//
// Pausing (the process's stream buffer is full) stops the reads at once; the
// stream's own pause covers the rest. The end of the stream and errors are
// left to node's stream, which meets them on its next read.
import { spawn } from 'node:child_process';
import { existsSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** Where the image puts vessel-shutrd (guest/shutrd/, guest/build/shutrd.ts). */
export const SHUTRD_HELPER = '/opt/vessel/bin/vessel-shutrd';

/** A chunk at least this large from node's own read means bulk output: read on. */
export const BULK_CHUNK = 32 * 1024;
const SLAB = 1024 * 1024;
/** A slab with less room than this left is replaced. */
const MIN_ROOM = 64 * 1024;
/** Reads smaller than this are copied out, so a few bytes held for a slow reader never pin a whole slab. */
const COPY_BELOW = 16 * 1024;
/** Most bytes read on after one chunk before the event loop gets its turn back. */
const MAX_PER_CHUNK = 2 * SLAB;

export interface OutputReader {
  pause(): void;
  resume(): void;
}

/** How the reader reads the socket's descriptor (replaceable in tests). */
export type ReadFd = (fd: number, buf: Buffer, offset: number, length: number) => number;

/**
 * The descriptor under a socket stream, when node exposes it (its handle's
 * `fd`, not a documented property: without it the reader uses node's reads only).
 */
function socketFd(s: Readable): number | null {
  const fd = (s as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}

export function readOutput(s: Readable, onData: (d: Buffer) => void, readFd: ReadFd = (fd, buf, offset, length) => readSync(fd, buf, offset, length, null)): OutputReader {
  const fd = socketFd(s);
  let paused = false;
  let slab: Buffer | null = null;
  let used = 0;
  const readOn = (fd: number): void => {
    let total = 0;
    while (!paused && total < MAX_PER_CHUNK) {
      if (!slab || SLAB - used < MIN_ROOM) {
        slab = Buffer.allocUnsafeSlow(SLAB);
        used = 0;
      }
      let n: number;
      try {
        n = readFd(fd, slab, used, SLAB - used);
      } catch {
        return; // EAGAIN (nothing queued yet), or an error node's next read reports
      }
      if (n <= 0) return; // the end: node's next read sees it and ends the stream
      total += n;
      const view = slab.subarray(used, used + n);
      if (n < COPY_BELOW) {
        onData(Buffer.from(view));
      } else {
        used += n;
        onData(view);
      }
    }
  };
  s.on('data', (d: Buffer) => {
    onData(d);
    // Only with nothing buffered behind this chunk are the socket's next bytes the ones that follow it.
    if (fd !== null && !paused && d.length >= BULK_CHUNK && s.readableLength === 0) readOn(fd);
  });
  return {
    pause: () => {
      paused = true;
      s.pause();
    },
    resume: () => {
      paused = false;
      s.resume();
    },
  };
}

/**
 * Ends a process's output socket for good, as a closed pipe ends it: the
 * process's writes fail with EPIPE and raise SIGPIPE (a write blocked for
 * room at that moment gets EPIPE alone: guest/shutrd/). The helper shuts
 * the socket down for reading (node has no call for that); the stream then
 * reads what was still queued (the caller drops it), meets the end, and
 * closes with nothing queued. Without the helper the socket is closed at
 * once, and a writer with bytes still queued gets ECONNRESET, no signal.
 */
export function endOutput(s: Readable, helper = SHUTRD_HELPER): void {
  if (s.destroyed) return;
  if (!existsSync(helper)) {
    s.destroy();
    return;
  }
  const child = spawn(helper, [], { stdio: [s, 'ignore', 'inherit'] });
  child.once('error', () => s.destroy());
  child.once('exit', (code) => {
    if (code === 0) s.resume();
    else s.destroy();
  });
}
