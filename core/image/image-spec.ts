import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { VesselError } from '../contract/index.js';
import type { ImageConfig } from './media.js';
import { mergeEnv } from '../types/env.js';

/**
 * An image's config applied to a container's process the way docker and
 * podman apply it: argv = Entrypoint + Cmd (a command given on the command
 * line replaces Cmd; a new entrypoint clears the image's Cmd), the image's Env
 * under the user's -e, WorkingDir unless -w, User unless --user (names looked
 * up in the image's /etc/passwd and /etc/group), StopSignal for stop.
 */

export interface ImageProcessOverrides {
  args?: string[];
  entrypoint?: string[];
  env?: string[];
  cwd?: string;
  user?: string;
}

export interface ImageProcess {
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids?: number[] };
  stopSignal: string | null;
  exposedPorts: string[];
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function readTable(rootfs: string, file: string): string[][] {
  const p = path.join(rootfs, 'etc', file);
  if (!existsSync(p)) return [];
  try {
    return readFileSync(p, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** user[:group] → numeric IDs, as runc/crun resolve them from the container's files. */
export function resolveUser(spec: string, rootfs: string): { uid: number; gid: number; additionalGids?: number[] } {
  const [u = '', g] = spec.split(':', 2);
  const passwd = readTable(rootfs, 'passwd');
  const group = readTable(rootfs, 'group');
  let uid: number;
  let gid: number | undefined;
  let userName: string | null = null;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    const row = passwd.find((r) => r[2] === u);
    if (row) {
      gid = Number(row[3]);
      userName = row[0] ?? null;
    }
  } else {
    const row = passwd.find((r) => r[0] === u);
    if (!row) throw new VesselError('E_INVALID_ARGUMENT', `user "${u}" is not in the image's /etc/passwd: give a numeric uid, or one the image defines`);
    uid = Number(row[2]);
    gid = Number(row[3]);
    userName = u;
  }
  if (g !== undefined && g !== '') {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const row = group.find((r) => r[0] === g);
      if (!row) throw new VesselError('E_INVALID_ARGUMENT', `group "${g}" is not in the image's /etc/group`);
      gid = Number(row[2]);
    }
  }
  const extra = userName ? group.filter((r) => (r[3] ?? '').split(',').includes(userName)).map((r) => Number(r[2])).filter((n) => Number.isFinite(n) && n !== gid) : [];
  if (!Number.isFinite(uid) || (gid !== undefined && !Number.isFinite(gid))) throw new VesselError('E_INVALID_ARGUMENT', `cannot resolve user "${spec}" in the image`);
  return { uid, gid: gid ?? 0, ...(extra.length ? { additionalGids: extra } : {}) };
}

export function imageProcess(config: ImageConfig, rootfs: string, o: ImageProcessOverrides, imageName: string): ImageProcess {
  const c = config.config ?? {};
  const entrypoint = o.entrypoint ?? c.Entrypoint ?? [];
  const cmd = o.args ?? (o.entrypoint !== undefined ? [] : (c.Cmd ?? []));
  const args = [...entrypoint, ...cmd];
  if (args.length === 0 || args[0] === '') throw new VesselError('E_INVALID_ARGUMENT', `image ${imageName} has no Entrypoint or Cmd: give the command to run`);
  const imageEnv = c.Env ?? [];
  const base = imageEnv.some((e) => e.startsWith('PATH=')) ? imageEnv : [DEFAULT_PATH, ...imageEnv];
  const env = mergeEnv(base, o.env ?? []);
  const cwd = o.cwd ?? (c.WorkingDir && c.WorkingDir.startsWith('/') ? c.WorkingDir : '/');
  const userSpec = o.user ?? (c.User || '0');
  return {
    args,
    env,
    cwd,
    user: resolveUser(userSpec, rootfs),
    stopSignal: c.StopSignal || null,
    exposedPorts: Object.keys(c.ExposedPorts ?? {}),
  };
}
