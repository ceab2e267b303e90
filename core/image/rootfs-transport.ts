import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { RootfsTransport, VesselError } from '../contract/index.js';
import { writeFileAtomic } from '../store/atomic.js';
import { erofsUnavailable } from './block-rootfs.js';
import { openFileHardLimit } from './open-files.js';
import { startVirtiofsd, stopVirtiofsd, VIRTIOFSD_MIN_FDS, virtiofsUnavailable } from './virtiofsd.js';

/**
 * How container root filesystems reach the guest, per sandbox (Kata's
 * shared_fs: virtio-9p or virtio-fs; plus a read-only block device per image):
 * - 9p: QEMU's built-in server on the sandbox's shared directory.
 * - virtio-fs: the same directory served by virtiofsd (one per sandbox,
 *   started before QEMU, stopped with the VM); guest RAM becomes shared.
 * - block: an image's tree as an EROFS image (built once per image, shared
 *   by every container of it, read-only), hot plugged per container; the
 *   agent mounts it by PCI path under an overlay whose upper is in guest
 *   RAM. Containers from a directory or bundle still use the shared
 *   directory (9p) there: only images have a tree worth packing once.
 * The host default is persisted in ROOT/rootfs-transport.json ('auto' picks
 * by rule: see chooseDefault).
 */

const CONFIG_FILE = 'rootfs-transport.json';
export const RootfsDefaultSetting = z.union([z.literal('auto'), RootfsTransport]);
export type RootfsDefaultSetting = z.infer<typeof RootfsDefaultSetting>;
const ConfigFile = z.object({ default: RootfsDefaultSetting });

export function readRootfsDefault(root: string): RootfsDefaultSetting {
  const file = path.join(root, CONFIG_FILE);
  if (!existsSync(file)) return 'auto';
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new VesselError('E_INVALID_ARGUMENT', `${file} is not valid JSON (${String(err)}): fix it or set it again with vessel rootfs default auto`);
  }
  const parsed = ConfigFile.safeParse(raw);
  if (!parsed.success) throw new VesselError('E_INVALID_ARGUMENT', `${file}: default must be auto, 9p, virtio-fs or block`);
  return parsed.data.default;
}

export async function writeRootfsDefault(root: string, value: string): Promise<RootfsDefaultSetting> {
  const parsed = RootfsDefaultSetting.safeParse(value);
  if (!parsed.success) throw new VesselError('E_INVALID_ARGUMENT', `unknown rootfs transport "${value}": auto, 9p, virtio-fs or block`);
  await writeFileAtomic(path.join(root, CONFIG_FILE), JSON.stringify({ default: parsed.data }) + '\n', 0o644);
  return parsed.data;
}

/** Why a transport cannot be used on this host, or null. */
export function transportUnavailable(t: RootfsTransport, env: NodeJS.ProcessEnv = process.env): string | null {
  if (t === 'virtio-fs') return virtiofsUnavailable(env);
  if (t === 'block') return erofsUnavailable();
  return null;
}

export interface TransportChoice {
  transport: RootfsTransport;
  reason: string;
}

/**
 * The host's default by rule, from what bench:rootfs measured here
 * (docs/design/images.md): virtio-fs where virtiofsd can run with its
 * caches (cache=auto: untar, find and small-file reads 2.6-5x faster than
 * 9p), unless the VM factory keeps VMs or the sandbox can hot add memory;
 * else 9p, which needs nothing but QEMU. Where the hard open-files limit is
 * below virtiofsd's 1e6, virtiofsd must run with timeout=0 to stay within it
 * (virtiofsd.ts: descriptorArgs), and so run it measured faster than 9p for
 * untar only, slower for find and reads: 9p there.
 * block is never the automatic choice: it is fastest for an image but keeps
 * a container's writes in guest RAM and applies to images only.
 */
/** The VM factory keeps VMs to hand out (templates or a VM cache): neither can carry virtio-fs in QEMU 7.2. */
export function factoryKeepsVms(f: { enable_template: boolean; vm_cache_number: number }): boolean {
  return f.enable_template || f.vm_cache_number > 0;
}

/** What the new sandbox asks for that bears on the choice. */
export interface TransportContext {
  /** Room to hot add memory: hot-added RAM is a private backend virtiofsd cannot map. */
  memoryHotAdd?: boolean;
}

export function chooseDefault(root: string, env: NodeJS.ProcessEnv = process.env, templatesEnabled: () => boolean = () => false, ctx: TransportContext = {}): TransportChoice {
  const setting = readRootfsDefault(root);
  if (setting !== 'auto') {
    const why = transportUnavailable(setting, env);
    return { transport: setting, reason: why ? `set in ${CONFIG_FILE}, but unavailable: ${why}` : `set in ${CONFIG_FILE} (vessel rootfs default)` };
  }
  const vfs = virtiofsUnavailable(env);
  // A template cannot carry a vhost-user-fs device (QEMU 7.2 cannot migrate it), so with templates on, 9p keeps clones fast.
  if (!vfs && templatesEnabled()) return { transport: '9p', reason: 'auto: VM templates or the VM cache are enabled and virtio-fs cannot be templated or cached (QEMU 7.2 cannot save vhost-user-fs); 9p composes with the factory' };
  if (!vfs && ctx.memoryHotAdd) return { transport: '9p', reason: 'auto: the sandbox has room to hot add memory, and hot-added RAM is not shared with virtiofsd; 9p works with it' };
  if (!vfs) {
    const fds = openFileHardLimit();
    if (fds !== null && fds < VIRTIOFSD_MIN_FDS) {
      return { transport: '9p', reason: `auto: this host's hard open-files limit (${fds}) is below virtiofsd's 1,000,000, so virtiofsd runs with timeout=0 to hold no descriptor per file, and so bench:rootfs measured it faster than 9p for untar only (1.9x) and slower for find and small-file reads; virtio-fs stays available (--rootfs-transport virtio-fs)` };
    }
    return { transport: 'virtio-fs', reason: 'auto: virtiofsd is present and Vessel runs as root; bench:rootfs measured virtio-fs (cache=auto) 2.6-5x faster than 9p for untar, find and small-file reads' };
  }
  return { transport: '9p', reason: `auto: ${vfs}; 9p needs only QEMU` };
}

export { openFileHardLimit, VIRTIOFSD_MIN_FDS };

/** What SandboxService calls: the transport of a new sandbox, and the helpers around its VM. */
export interface RootfsTransportHooks {
  /** The transport a new sandbox gets (requested or the host default); refused when it cannot work here. */
  resolve(requested: RootfsTransport | undefined, ctx?: TransportContext): RootfsTransport;
  /** Before QEMU starts: start what the transport needs; returns the HypervisorConfig part for it. */
  beforeBoot(transport: RootfsTransport, runDir: string, sharedDir: string): Promise<{ sharedDirTransport?: { kind: 'virtio-fs'; socketPath: string } }>;
  /** The VM stopped or the sandbox goes: stop and reap helpers (idempotent). */
  vmGone(runDir: string): Promise<void>;
}

export function rootfsTransportHooks(root: string, env: NodeJS.ProcessEnv = process.env, templatesEnabled: () => boolean = () => false): RootfsTransportHooks {
  return {
    resolve(requested, ctx = {}) {
      if (requested === undefined) return chooseDefault(root, env, templatesEnabled, ctx).transport;
      const parsed = RootfsTransport.safeParse(requested);
      if (!parsed.success) throw new VesselError('E_INVALID_ARGUMENT', `unknown rootfs transport "${String(requested)}": 9p, virtio-fs or block`);
      const why = transportUnavailable(parsed.data, env);
      if (why) throw new VesselError('E_MISSING_DEPENDENCY', `rootfs transport ${parsed.data} cannot be used on this host: ${why}`, { transport: parsed.data });
      return parsed.data;
    },
    async beforeBoot(transport, runDir, sharedDir) {
      if (transport !== 'virtio-fs') return {};
      const d = await startVirtiofsd(runDir, sharedDir, env);
      return { sharedDirTransport: { kind: 'virtio-fs', socketPath: d.socket } };
    },
    async vmGone(runDir) {
      await stopVirtiofsd(runDir);
    },
  };
}
