import { spawn } from 'node:child_process';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a host tool (argument array, no shell) and never throws: a spawn
 * failure comes back as code -1 with its message. Output is kept up to a
 * bound (stdout only when asked), so a chatty tool cannot grow memory.
 */
export function runTool(cmd: string, args: string[], options: { captureStdout?: boolean; maxOut?: number; maxErr?: number } = {}): Promise<ToolResult> {
  const maxOut = options.maxOut ?? 1 << 20;
  const maxErr = options.maxErr ?? 8000;
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', options.captureStdout ? 'pipe' : 'ignore', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      if (stdout.length < maxOut) stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < maxErr) stderr += d.toString();
    });
    child.on('error', (err) => resolve({ code: -1, stdout, stderr: err.message }));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr: stderr.trim() }));
  });
}
