import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Starts `vessel serve` on a random port with its own temporary VESSEL_ROOT
 * and reads the printed URL (which carries the token). stop() deletes every
 * sandbox in that root (the VMs too) and the root itself.
 */

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repoRoot, 'dist', 'core', 'cli', 'main.js');

export interface VesselServer {
  url: string;
  origin: string;
  token: string;
  root: string;
  env: NodeJS.ProcessEnv;
  /** Run the CLI against the same root. */
  vessel(...args: string[]): { code: number; stdout: string; stderr: string };
  stop(): Promise<void>;
}

export const screenshotDir = path.join(repoRoot, 'test-results', 'screenshots');

export async function startServer(extraArgs: string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Promise<VesselServer> {
  mkdirSync(screenshotDir, { recursive: true });
  const root = mkdtempSync(path.join(tmpdir(), 'vessel-e2e-'));
  const env = { ...process.env, VESSEL_ROOT: root, ...extraEnv };
  const child: ChildProcess = spawn(process.execPath, [cli, 'serve', '--port', '0', ...extraArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vessel serve printed no URL in 20 s; stderr: ${err}`)), 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vessel serve exited (${code}): ${err}`));
    });
  });
  const parsed = new URL(url);
  const vessel = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    root,
    env,
    vessel,
    stop: async () => {
      const list = vessel('sandbox', 'list', '--json');
      if (list.code === 0) {
        for (const s of JSON.parse(list.stdout) as Array<{ id: string }>) vessel('sandbox', 'delete', '--force', s.id);
      }
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    },
  };
}
