// Running the host tools networking needs (ip, tc, CNI plugins): argument
// arrays, never a shell; stderr goes into the error a user sees.
import { spawn } from 'node:child_process';
import { VesselError } from '../contract/index.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runTool(file: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new VesselError('E_MISSING_DEPENDENCY', `cannot run ${file}: ${err.message}`, { file }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs and throws E_NETWORK with the tool's stderr when it fails. */
export async function mustRun(file: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const r = await runTool(file, args, options);
  if (r.code !== 0) {
    throw new VesselError('E_NETWORK', `${file.split('/').pop() ?? file} ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim().slice(0, 500) || `exit ${r.code}`}`, { args });
  }
  return r.stdout;
}

export const IP = '/usr/sbin/ip';
export const TC = '/usr/sbin/tc';

export const NSENTER = '/usr/bin/nsenter';

/** `ip ARGS`, inside the network namespace at nsPath (any path: /run/netns/X or one another tool made), or on the host for null. */
export function ip(nsPath: string | null, args: string[]): Promise<string> {
  return nsPath ? mustRun(NSENTER, [`--net=${nsPath}`, '--', IP, ...args]) : mustRun(IP, args);
}

export function tc(nsPath: string | null, args: string[]): Promise<string> {
  return nsPath ? mustRun(NSENTER, [`--net=${nsPath}`, '--', TC, ...args]) : mustRun(TC, args);
}
