import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readProcStartTime } from '../util/proc.js';

/** Helpers for tests that drive the real `vessel` CLI as a separate process. */

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = path.join(repoRoot, 'dist', 'core', 'cli', 'main.js');
export const guestManifestPath = path.join(process.env.VESSEL_GUEST_DIR ?? path.join(repoRoot, 'build', 'guest'), 'manifest.json');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function makeRoot(prefix = 'vessel-test-'): string {
  // Short paths: unix socket paths are limited to 108 bytes.
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function runCli(root: string, args: string[], timeoutMs = 240_000): Promise<CliResult> {
  return runCliWith(root, args, null, timeoutMs);
}

/** The CLI with bytes on stdin (stdin then closes). */
export function runCliInput(root: string, args: string[], input: string, timeoutMs = 240_000): Promise<CliResult> {
  return runCliWith(root, args, input, timeoutMs);
}

function runCliWith(root: string, args: string[], input: string | null, timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { ...process.env, VESSEL_ROOT: root, VESSEL_TRACE_FILE: path.join(root, 'cli-trace.log') },
      stdio: [input === null ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vessel ${args.join(' ')} timed out after ${timeoutMs} ms\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}\nphases reached: ${phasesOf(root, child.pid)}${sandboxLogTails(root)}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    if (input !== null) child.stdin?.end(input);
  });
}

/** What a command traced (core/util/trace.ts) before it timed out. */
function phasesOf(root: string, pid: number | undefined): string {
  try {
    return readFileSync(path.join(root, 'cli-trace.log'), 'utf8').split('\n').filter((l) => l.startsWith(`${String(pid)} `)).map((l) => l.slice(l.indexOf(' ') + 1)).join('; ') || '(none)';
  } catch {
    return '(none)';
  }
}

/** The end of every sandbox's logs under root: what a timed-out command leaves to go on (CI keeps nothing else). */
function sandboxLogTails(root: string): string {
  const dir = path.join(root, 'sandboxes');
  let out = '';
  try {
    for (const id of readdirSync(dir)) {
      for (const f of ['vessel.log', 'console.log', 'chan.err']) {
        try {
          const lines = readFileSync(path.join(dir, id, f), 'utf8').trimEnd().split('\n');
          out += `\n--- ${id.slice(0, 12)} ${f} (last ${Math.min(40, lines.length)} lines) ---\n${lines.slice(-40).join('\n')}`;
        } catch {
          // not there
        }
      }
    }
  } catch {
    // no sandboxes
  }
  return out;
}

export function cliBuilt(): boolean {
  return existsSync(cliPath);
}

export function qemuAvailable(): boolean {
  return spawnSync('qemu-system-x86_64', ['--version']).status === 0;
}

export function guestBuilt(): boolean {
  return existsSync(guestManifestPath);
}

/** Why VM tests cannot run here, or null when they can. */
export function vmSkipReason(): string | null {
  if (!cliBuilt()) return `the CLI is not built (${cliPath}): run 'npm run build'`;
  if (!qemuAvailable()) return "qemu-system-x86_64 is not installed: run 'npm run setup'";
  if (!guestBuilt()) return `no guest image (${guestManifestPath}): run 'npm run setup'`;
  return null;
}

/** Alive = exists and is not a zombie (a daemonized QEMU that exited may linger unreaped). */
export function pidAlive(pid: number): boolean {
  return readProcStartTime(pid) !== null;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
