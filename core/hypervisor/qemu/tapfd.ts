// The tap helper (tapfd/vessel-tapfd.c): Node cannot ioctl(TUNSETIFF) nor
// pass fds over unix sockets, so a ~200-line C program does both. Compiled on
// first use with gcc (setup installs it) into build/host/, named by a hash
// of its source so an edited source is rebuilt.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VesselError } from '../../contract/index.js';

function repoRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of [path.resolve(here, '..', '..', '..', '..'), path.resolve(here, '..', '..', '..')]) {
    if (existsSync(path.join(up, 'package.json')) && existsSync(path.join(up, 'core', 'hypervisor', 'qemu', 'tapfd'))) return up;
  }
  throw new VesselError('E_MISSING_DEPENDENCY', 'cannot find the Vessel source tree (core/hypervisor/qemu/tapfd/vessel-tapfd.c) to build the tap helper');
}

let cached: string | null = null;

/** The helper's path, compiling it when missing. Throws E_MISSING_DEPENDENCY naming the fix. */
export function tapHelperPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VESSEL_TAPFD) return env.VESSEL_TAPFD;
  if (cached && existsSync(cached)) return cached;
  const root = repoRoot();
  const source = path.join(root, 'core', 'hypervisor', 'qemu', 'tapfd', 'vessel-tapfd.c');
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const outDir = path.join(root, 'build', 'host');
  const out = path.join(outDir, `vessel-tapfd-${hash}`);
  if (!existsSync(out)) {
    mkdirSync(outDir, { recursive: true });
    const tmp = `${out}.tmp-${process.pid}`;
    const res = spawnSync(env.CC ?? 'gcc', ['-O2', '-Wall', '-Wextra', '-o', tmp, source], { encoding: 'utf8' });
    if (res.error || res.status !== 0) {
      rmSync(tmp, { force: true });
      throw new VesselError('E_MISSING_DEPENDENCY', `cannot build the tap helper (${(res.error?.message ?? res.stderr).trim().split('\n')[0] ?? ''}): apt-get install gcc libc6-dev`);
    }
    renameSync(tmp, out);
  }
  cached = out;
  return out;
}

/** argv that runs `binary args` inside netnsPath with the taps open as fds 3, 4, ... */
export function wrapInNetns(helper: string, netnsPath: string | undefined, taps: (string | { device: string })[], binary: string, args: string[]): { file: string; args: string[] } {
  const pre: string[] = ['exec'];
  if (netnsPath) pre.push('--netns', netnsPath);
  for (const t of taps) {
    if (typeof t === 'string') pre.push('--tap', t);
    else pre.push('--tapdev', t.device);
  }
  return { file: helper, args: [...pre, '--', binary, ...args] };
}

/** Opens tap in netnsPath and hands it to QEMU under fdname (QMP getfd, SCM_RIGHTS). */
export function sendTapFd(helper: string, netnsPath: string, tap: string, qmpSocket: string, fdname: string, device?: string): void {
  const which = device ? ['--tapdev', device] : ['--tap', tap];
  const res = spawnSync(helper, ['sendfd', '--netns', netnsPath, ...which, '--socket', qmpSocket, '--fdname', fdname], { encoding: 'utf8', timeout: 15_000 });
  if (res.error || res.status !== 0) {
    throw new VesselError('E_HYPERVISOR', `cannot pass tap ${tap} to QEMU: ${(res.error?.message ?? (res.stderr || res.stdout)).trim().slice(0, 300)}`, { tap });
  }
}
