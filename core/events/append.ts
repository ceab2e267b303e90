// Appending to the cross-process event feed (see feed.ts): the writer half,
// with no schema library and no contract to load, so a small long-lived
// process (the agent channel owner) can report without growing.
import { closeSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { EventOrigin, SandboxEvent } from '../contract/index.js';
import { readProcStartTime } from '../util/proc.js';

export const FEED_FILE = 'events.jsonl';
export const FEED_ROTATE_BYTES = 1024 * 1024;
/** Longer lines are not ours: skipped. */
export const MAX_LINE_BYTES = 16 * 1024;

export function feedPath(storeRoot: string): string {
  return path.join(storeRoot, FEED_FILE);
}

/** A short, human name for this process, e.g. "vessel sandbox stop" or "vessel serve". */
export function describeProcess(argv: string[] = process.argv): string {
  const script = argv[1] ? path.basename(argv[1]) : '';
  // The command words, up to the first option (its values are not part of the name).
  const firstOption = argv.slice(2).findIndex((a) => a.startsWith('-'));
  const words = argv.slice(2, firstOption < 0 ? undefined : 2 + firstOption).slice(0, 2);
  const name = script === 'main.js' || script === 'vessel' ? 'vessel' : script.replace(/\.js$/, '') || 'node';
  return [name, ...words].join(' ').slice(0, 120);
}

/** This process's start time: with the pid, it tells a reader its own lines. */
export const SELF_START_TIME = readProcStartTime(process.pid) ?? 0;

export function selfOrigin(command = describeProcess()): EventOrigin {
  return { pid: process.pid, command };
}

/** Append one event; never throws (an event that cannot be written must not fail the change it reports). */
export function appendEvent(file: string, event: SandboxEvent): void {
  const line = { v: 1, startTime: SELF_START_TIME, event };
  const bytes = Buffer.from(JSON.stringify(line) + '\n');
  if (bytes.length > MAX_LINE_BYTES) return;
  try {
    const fd = openSync(file, 'a', 0o600);
    try {
      writeSync(fd, bytes);
      if (fstatSync(fd).size > FEED_ROTATE_BYTES) renameSync(file, `${file}.1`);
    } finally {
      closeSync(fd);
    }
  } catch {
    // the store root is gone or read-only: the event still reached this process's listeners
  }
}

