import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { VesselError } from '../contract/index.js';
import { loadBundle, ociToContainerConfig } from '../oci/index.js';
import { mergeEnv } from '../types/env.js';

export { mergeEnv };

/**
 * The OCI spec a container gets when no bundle is given: what `crun spec`
 * generates (so a rootfs and a bundle run alike), with the user's process.
 */
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ProcessOptions {
  args: string[];
  env?: string[];
  cwd?: string;
  tty: boolean;
}

export function defaultSpec(p: ProcessOptions & { hostname: string; readonlyRootfs: boolean }): Record<string, unknown> {
  const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
  return {
    ociVersion: '1.0.0',
    process: {
      terminal: p.tty,
      user: { uid: 0, gid: 0 },
      args: p.args,
      env: mergeEnv([DEFAULT_PATH, 'TERM=xterm'], p.env ?? []),
      cwd: p.cwd ?? '/',
      capabilities: { bounding: caps, effective: caps, inheritable: [], permitted: caps, ambient: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: p.readonlyRootfs },
    hostname: p.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}


export interface ResolvedSource {
  kind: 'busybox' | 'rootfs' | 'bundle' | 'image';
  /** An image's manifest digest. */
  digest?: string;
  /** The image's StopSignal (stop sends it instead of SIGTERM). */
  stopSignal?: string;
  /** What the user named (busybox: the built rootfs). */
  path: string;
  /** The directory to place in the shared dir. */
  rootfsDir: string;
  spec: Record<string, unknown>;
  args: string[];
  tty: boolean;
  readonly: boolean;
}

export interface SourceRequest {
  containerId: string;
  hostname: string;
  rootfs?: string;
  bundle?: string;
  args?: string[];
  env?: string[];
  cwd?: string;
  tty?: boolean;
  readonlyRootfs?: boolean;
}

/** Decide the rootfs and spec for a container request (bundle, rootfs dir, or the busybox default). */
export function resolveSource(req: SourceRequest, env: NodeJS.ProcessEnv = process.env): ResolvedSource {
  if (req.rootfs !== undefined && req.bundle !== undefined) {
    throw new VesselError('E_INVALID_ARGUMENT', 'give either --rootfs or --bundle, not both');
  }
  if (req.bundle !== undefined) {
    const bundle = loadBundle(req.bundle);
    // Validates what the guest cannot check as well: env entries, device types, mounts.
    const config = ociToContainerConfig(bundle.spec, { bundlePath: bundle.bundlePath, containerId: req.containerId });
    const spec = JSON.parse(JSON.stringify(bundle.spec)) as Record<string, unknown> & { process: Record<string, unknown> };
    if (req.args !== undefined) spec.process.args = req.args;
    if (req.tty !== undefined) spec.process.terminal = req.tty;
    if (req.env !== undefined) spec.process.env = mergeEnv(config.cmd.env.map((e) => `${e.key}=${e.value}`), req.env);
    if (req.cwd !== undefined) spec.process.cwd = req.cwd;
    const args = (spec.process.args as string[] | undefined) ?? config.cmd.args;
    return {
      kind: 'bundle',
      path: bundle.bundlePath,
      rootfsDir: bundle.rootfsPath,
      spec,
      args,
      tty: spec.process.terminal === true,
      readonly: req.readonlyRootfs ?? config.readonlyRootfs,
    };
  }
  const args = req.args ?? ['sh'];
  if (args.length === 0 || args[0] === '') throw new VesselError('E_INVALID_ARGUMENT', 'the command to run is empty');
  const tty = req.tty ?? false;
  const readonly = req.readonlyRootfs ?? false;
  const spec = defaultSpec({ args, ...(req.env ? { env: req.env } : {}), ...(req.cwd ? { cwd: req.cwd } : {}), tty, hostname: req.hostname, readonlyRootfs: readonly });
  if (req.rootfs !== undefined) {
    const dir = path.resolve(req.rootfs);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new VesselError('E_NOT_FOUND', `root filesystem ${dir} does not exist or is not a directory`, { rootfs: dir });
    return { kind: 'rootfs', path: dir, rootfsDir: dir, spec, args, tty, readonly };
  }
  const busybox = ensureBusyboxRootfs(env);
  return { kind: 'busybox', path: busybox, rootfsDir: busybox, spec, args, tty, readonly };
}

function repoRoot(): string {
  // dist/core/api or core/api → the repository root.
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of [path.resolve(here, '..', '..', '..'), path.resolve(here, '..', '..')]) {
    if (existsSync(path.join(up, 'package.json')) && existsSync(path.join(up, 'core'))) return up;
  }
  return path.resolve(here, '..', '..');
}

/**
 * The quick-start busybox rootfs (VESSEL_ROOTFS_DIR or build/rootfs/busybox).
 * core may not import guest/, so a missing one is built by running the
 * project's own builder (dist/guest/rootfs/main.js) as a separate process.
 */
export function ensureBusyboxRootfs(env: NodeJS.ProcessEnv = process.env): string {
  const root = repoRoot();
  const dir = env.VESSEL_ROOTFS_DIR ? path.resolve(env.VESSEL_ROOTFS_DIR) : path.join(root, 'build', 'rootfs', 'busybox');
  if (existsSync(path.join(dir, 'bin', 'sh'))) return dir;
  const builder = path.join(root, 'dist', 'guest', 'rootfs', 'main.js');
  if (!existsSync(builder)) {
    throw new VesselError('E_MISSING_DEPENDENCY', `no busybox root filesystem at ${dir}: run 'npm run build && node dist/guest/rootfs/main.js', or give --rootfs or --bundle`);
  }
  const r = spawnSync(process.execPath, [builder], { env, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0 || !existsSync(path.join(dir, 'bin', 'sh'))) {
    const why = (r.stderr || r.stdout || '').trim().split('\n').pop() ?? '';
    throw new VesselError('E_MISSING_DEPENDENCY', `could not build the busybox root filesystem at ${dir}: ${why || `builder exited with ${String(r.status)}`}`);
  }
  return dir;
}
