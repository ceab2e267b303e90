/**
 * A container root from a block device (the host's block rootfs transport):
 * the image's read-only EROFS (or ext4) disk, found by PCI path, mounted
 * read-only, under an overlay whose upper and work directories live on a
 * tmpfs of the container's own in guest RAM (the host never sees its writes;
 * they go when the container is removed).
 * Layout: /run/vessel/rootfs/<id>/{lower,rw,root}.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError, runTool } from './engine.js';
import { ensureFilesystem } from './modules.js';
import { findPciDevice } from './pci-devices.js';

export const BLOCK_ROOT_BASE = '/run/vessel/rootfs';

function mounted(at: string): boolean {
  try {
    return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === at);
  } catch {
    return false;
  }
}

/** Mount the container's block root; returns the overlay's directory (the OCI root.path). */
export async function mountBlockRoot(busybox: string, containerId: string, storage: { source: string; fstype: string }, timeoutMs = 30_000): Promise<string> {
  const dev = await findPciDevice(storage.source, timeoutMs, true);
  const node = `/dev/${dev.blockDevice}`;
  const deadline = Date.now() + 5_000;
  while (!existsSync(node) && Date.now() < deadline) await sleep(25);
  const base = path.join(BLOCK_ROOT_BASE, containerId);
  const lower = path.join(base, 'lower');
  const rw = path.join(base, 'rw');
  const root = path.join(base, 'root');
  for (const d of [lower, rw, root]) mkdirSync(d, { recursive: true, mode: 0o755 });
  try {
    await ensureFilesystem(storage.fstype, { busybox });
    await runTool(busybox, ['mount', '-t', storage.fstype, '-o', 'ro', node, lower]);
    await runTool(busybox, ['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', rw]);
    mkdirSync(path.join(rw, 'upper'), { mode: 0o755 });
    mkdirSync(path.join(rw, 'work'), { mode: 0o700 });
    await runTool(busybox, ['mount', '-t', 'overlay', '-o', `lowerdir=${lower},upperdir=${rw}/upper,workdir=${rw}/work`, 'overlay', root]);
  } catch (err) {
    await unmountBlockRoot(busybox, containerId);
    throw new EngineError('precondition', `cannot mount the block root (disk ${dev.blockDevice}, ${storage.fstype}): ${err instanceof Error ? err.message : String(err)}`);
  }
  return root;
}

/** Undo mountBlockRoot (idempotent), so the host can unplug the disk. */
export async function unmountBlockRoot(busybox: string, containerId: string): Promise<void> {
  const base = path.join(BLOCK_ROOT_BASE, containerId);
  if (!existsSync(base)) return;
  for (const d of ['root', 'rw', 'lower']) {
    const at = path.join(base, d);
    if (!mounted(at)) continue;
    await runTool(busybox, ['umount', at]).catch(() => runTool(busybox, ['umount', '-l', at]).catch(() => undefined));
  }
  if (!['root', 'rw', 'lower'].some((d) => mounted(path.join(base, d)))) rmSync(base, { recursive: true, force: true });
}
