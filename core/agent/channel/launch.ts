// Host side of the channel owner's life: start it (detached, so it outlives
// the process that booted the VM, like QEMU does), find it again by pid +
// start time, stop it.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VesselError } from '../../contract/index.js';
import { isSameProcess, terminateProcess } from '../../util/proc.js';
import { channelAnswers, channelPaths, readClaim, type ChannelClaim } from './owner.js';

export interface ChannelOwnerParams {
  sandboxId: string;
  /** The VM's run directory: the owner's socket and pidfile live there. */
  runDir: string;
  /** QEMU's virtio-serial chardev socket for the agent port. */
  agentSocket: string;
  /** QEMU's socket of the data-plane port, when the VM has one. */
  ioSocket?: string;
  qemuPid: number;
  qemuStartTime: number;
  /** The store's event feed (core/events/feed.ts). */
  eventFeed?: string;
}

const START_TIMEOUT_MS = 20_000;
/** The owner is small: bound its heap so a misbehaving client cannot grow it far. */
const NODE_FLAGS = ['--max-old-space-size=64', '--max-semi-space-size=2'];

/** The owner's entry script: next to this file when built; from dist/ when this file runs from source (tests). */
function ownerScript(): string {
  const here = fileURLToPath(import.meta.url);
  const beside = path.join(path.dirname(here), 'main.js');
  if (here.endsWith('.js') && existsSync(beside)) return beside;
  const fromSource = path.resolve(path.dirname(here), '..', '..', '..', 'dist', 'core', 'agent', 'channel', 'main.js');
  if (existsSync(fromSource)) return fromSource;
  throw new VesselError('E_NOT_FOUND', `the agent channel owner (${fromSource}) is missing: run npm run build`);
}

/** Start an owner for this VM, or return the live one. */
export async function startChannelOwner(p: ChannelOwnerParams): Promise<ChannelClaim> {
  const live = await channelAnswers(p.runDir);
  if (live) return live;
  const { pidFile } = channelPaths(p.runDir);
  const args = JSON.stringify({ sandboxId: p.sandboxId, agentSocket: p.agentSocket, ...(p.ioSocket ? { ioSocket: p.ioSocket } : {}), runDir: p.runDir, qemuPid: p.qemuPid, qemuStartTime: p.qemuStartTime, ...(p.eventFeed ? { eventFeed: p.eventFeed } : {}) });
  const errLog = openSync(path.join(p.runDir, 'chan.err'), 'a', 0o600);
  let line: string;
  try {
    const child = spawn(process.execPath, [...NODE_FLAGS, ownerScript(), args], { detached: true, stdio: ['ignore', 'pipe', errLog] });
    const stdout = child.stdout;
    if (!stdout) throw new VesselError('E_AGENT', 'could not start the agent channel owner: no stdout pipe');
    line = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new VesselError('E_TIMEOUT', `the agent channel owner for sandbox ${p.sandboxId} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(out.trim());
        }
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new VesselError('E_AGENT', `could not start the agent channel owner: ${err.message}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (!out.includes('\n')) reject(new VesselError('E_AGENT', `the agent channel owner for sandbox ${p.sandboxId} exited (code ${String(code)}) before it was ready; see ${path.join(p.runDir, 'chan.err')}`));
      });
    });
    stdout.destroy();
    child.unref();
  } finally {
    closeSync(errLog);
  }
  const claim = readClaim(pidFile);
  if (!claim || !isSameProcess(claim.pid, claim.startTime)) {
    throw new VesselError('E_AGENT', `the agent channel owner for sandbox ${p.sandboxId} said "${line}" but holds no claim`);
  }
  return claim;
}

/** Stop the VM's owner (if any) and remove its files. Resolves when it is gone. */
export async function stopChannelOwner(runDir: string): Promise<void> {
  const { socket, pidFile } = channelPaths(runDir);
  const claim = readClaim(pidFile);
  if (claim) await terminateProcess(claim.pid, claim.startTime, 3_000, 20);
  rmSync(socket, { force: true });
  rmSync(channelPaths(runDir).ioSocket, { force: true });
  rmSync(pidFile, { force: true });
  rmSync(channelPaths(runDir).pausedFile, { force: true });
  rmSync(path.join(runDir, 'chan.err'), { force: true });
}

/** Tell the VM's owner that its guest is paused on purpose (true) or runs again (false): an unanswered ping then means nothing. */
export function setChannelPaused(runDir: string, paused: boolean): void {
  const { pausedFile } = channelPaths(runDir);
  if (paused) writeFileSync(pausedFile, `${new Date().toISOString()}\n`, { mode: 0o600 });
  else rmSync(pausedFile, { force: true });
}

export { channelAnswers, channelPaths, readClaim };
export type { ChannelClaim };
