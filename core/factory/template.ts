import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { VesselError, toVesselError } from '../contract/index.js';
import { AgentClient, readGuestManifest } from '../agent/index.js';
import type { Hypervisor, HypervisorConfig } from '../hypervisor/hypervisor.js';
import { vmPathsIn } from '../hypervisor/hypervisor.js';
import type { SnapshotDriver } from '../hypervisor/snapshot.js';
import { acquireLock } from '../store/lock.js';
import { writeFileAtomic } from '../store/atomic.js';

/** Bump when what a template holds changes meaning: old templates then stop matching. */
export const TEMPLATE_FORMAT = 1;
/** Marks a directory as Vessel's template store; nothing in a directory without it is touched. */
export const STORE_MARKER = '.vessel-templates';
export const TEMPLATE_META = 'template.json';
export const TEMPLATE_MEMORY = 'memory';
export const TEMPLATE_STATE = 'state';

/** Everything a clone must share with its template; its hash names the template. */
export const TemplateSpec = z.object({
  format: z.literal(TEMPLATE_FORMAT),
  hypervisorPath: z.string(),
  hypervisorVersion: z.string(),
  hypervisorHash: z.string(),
  machineType: z.enum(['q35', 'pc', 'microvm']),
  accel: z.enum(['kvm', 'tcg']),
  vcpus: z.number().int().positive(),
  memoryMiB: z.number().int().positive(),
  kernelPath: z.string(),
  initrdPath: z.string().optional(),
  imagePath: z.string().optional(),
  /** Content hash of kernel + initrd/image (the guest image's inputs hash, or the files' own). */
  guestHash: z.string(),
  kernelParams: z.array(z.string()),
  /** The devices present at boot, in order (a clone must have the same ones). */
  devices: z.array(z.string()),
  /** How the root image, balloon, translation cache and root ports are set up: a clone's device state must match. */
  layout: z.object({
    imageDevice: z.enum(['virtio-blk', 'virtio-pmem', 'nvdimm']).optional(),
    balloon: z.object({ freePageReporting: z.boolean() }).optional(),
    tcgTbSizeMiB: z.number().int().positive().optional(),
    pcieRootPorts: z.number().int().min(0).optional(),
    viommu: z.boolean().optional(),
    /** Hot-add room (maxcpus, maxmem/DIMM slots): a clone must have the same slots. */
    maxVcpus: z.number().int().positive().optional(),
    maxMemoryMiB: z.number().int().positive().optional(),
  }).default({}),
});
export type TemplateSpec = z.infer<typeof TemplateSpec>;

export const TemplateMeta = z.object({
  kind: z.literal('vessel-template'),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  spec: TemplateSpec,
  createdAt: z.string(),
  buildMs: z.number().nonnegative(),
  stateBytes: z.number().int().nonnegative(),
  hits: z.number().int().nonnegative().default(0),
  lastUsedAt: z.string().nullable().default(null),
});
export type TemplateMeta = z.infer<typeof TemplateMeta>;

export interface TemplateInfo {
  meta: TemplateMeta;
  dir: string;
  memoryFile: string;
  stateFile: string;
  /** Bytes of the memory file actually in RAM/on disk (tmpfs: resident pages). */
  sizeBytes: number;
}

export function templateHash(spec: TemplateSpec): string {
  return createHash('sha256').update(JSON.stringify(TemplateSpec.parse(spec))).digest('hex');
}

/** Directory name of a template: a prefix of its hash (unix socket paths inside must stay short). */
export function templateDirName(hash: string): string {
  return hash.slice(0, 24);
}

const fileHashes = new Map<string, string>();

/** sha256 of a file's content, cached per (path, inode, size, mtime) for this process. */
export function hashFile(path: string): string {
  const st = statSync(path);
  const key = `${path}\0${st.ino}\0${st.size}\0${st.mtimeMs}`;
  const known = fileHashes.get(key);
  if (known) return known;
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  const digest = hash.digest('hex');
  fileHashes.set(key, digest);
  return digest;
}

/** The guest image's own content hash when kernel and initrd are the built image's (cheap), else the files' hashes. */
function guestContentHash(config: HypervisorConfig): string {
  if (config.initrdPath && dirname(config.initrdPath) === dirname(config.kernelPath)) {
    try {
      const m = readGuestManifest(dirname(config.initrdPath));
      if (m.kernelPath === config.kernelPath && m.initrdPath === config.initrdPath
        && statSync(m.kernelPath).size + statSync(m.initrdPath).size === m.sizeBytes) {
        return `guest-image:${m.inputsHash}`;
      }
    } catch {
      // not a built guest image: hash the files
    }
  }
  const parts = [hashFile(config.kernelPath), config.initrdPath ? hashFile(config.initrdPath) : '', config.imagePath ? hashFile(config.imagePath) : ''];
  return `files:${createHash('sha256').update(parts.join(':')).digest('hex')}`;
}

/** The devices a VM of this config has at boot, as the QEMU driver renders them. */
export function bootDevices(config: HypervisorConfig): string[] {
  return [
    'serial:ttyS0',
    'virtio-serial:vessel.agent',
    'virtio-rng:urandom',
    ...(config.imagePath ? [`${config.imageDevice ?? 'virtio-blk'}:rootfs`] : []),
    ...(config.sharedDir ? ['virtio-9p:vessel-shared'] : []),
    ...(config.viommu ? ['intel-iommu'] : []),
    ...(config.coldPlugDevices ?? []).map((d) => `cold:${d.id}`),
  ];
}

const FIELD_NAMES: Record<keyof TemplateSpec, string> = {
  format: 'template format', hypervisorPath: 'QEMU binary path', hypervisorVersion: 'QEMU version', hypervisorHash: 'QEMU binary',
  machineType: 'machine type', accel: 'accelerator', vcpus: 'vCPUs', memoryMiB: 'memory', kernelPath: 'kernel path',
  initrdPath: 'initrd path', imagePath: 'image path', guestHash: 'guest kernel/initrd content', kernelParams: 'kernel parameters', devices: 'devices at boot', layout: 'device layout (image device, balloon, TCG cache, root ports, vIOMMU)',
};

/** The fields in which two specs differ, in words. */
export function specDifferences(wanted: z.input<typeof TemplateSpec>, had: z.input<typeof TemplateSpec>): string[] {
  // Compared as parsed: defaults filled in on both sides (a spec from before a field existed reads as its default).
  const want = TemplateSpec.parse(wanted);
  const have = TemplateSpec.parse(had);
  const out: string[] = [];
  for (const key of Object.keys(FIELD_NAMES) as (keyof TemplateSpec)[]) {
    if (JSON.stringify(want[key]) === JSON.stringify(have[key])) continue;
    if (key === 'kernelParams') {
      const added = want.kernelParams.filter((p) => !have.kernelParams.includes(p));
      const removed = have.kernelParams.filter((p) => !want.kernelParams.includes(p));
      out.push(`kernel parameters changed${added.length ? ` (+${added.join(' +')})` : ''}${removed.length ? ` (-${removed.join(' -')})` : ''}`);
    } else if (key === 'vcpus' || key === 'memoryMiB') {
      out.push(`${FIELD_NAMES[key]} ${String(have[key])} → ${String(want[key])}`);
    } else {
      out.push(`${FIELD_NAMES[key]} changed`);
    }
  }
  return out;
}

function ownerCheck(path: string): void {
  const st = lstatSync(path);
  const uid = process.getuid?.() ?? -1;
  if (!st.isDirectory() || st.isSymbolicLink()) throw new VesselError('E_PERMISSION', `${path} is not a directory: refusing to use it as the template store`, { path });
  if (uid >= 0 && st.uid !== uid) throw new VesselError('E_PERMISSION', `${path} belongs to uid ${st.uid}, not to you (uid ${uid}): templates are shared only between one user's sandboxes`, { path });
}

export interface TemplateStoreOptions {
  dir: string;
  driver: Hypervisor;
  snapshot: SnapshotDriver;
  /** How long a template's guest may take to boot. */
  bootTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Per template directory: the hit count updates in flight in this process, run one after another. */
const hitQueues = new Map<string, Promise<void>>();

/**
 * Content-addressed VM templates on the store's run directory (mode 0700):
 * DIR/<hash prefix>/{template.json, memory, state}. A template is built by a
 * VM whose RAM is a shared file; it boots, its agent answers, it is paused
 * and its device state saved with x-ignore-shared; the VM then exits and the
 * files are the template. Builds take a per-template lock and write to a
 * temporary directory renamed into place, so a reader sees a whole template
 * or none.
 */
export class TemplateStore {
  readonly dir: string;

  constructor(private readonly options: TemplateStoreOptions) {
    this.dir = options.dir;
  }

  /** Create the store directory (0700, marked as ours), or check an existing one is ours. */
  ensureDir(): void {
    if (!existsSync(this.dir)) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeMarker(this.dir);
      return;
    }
    this.assertOurs();
  }

  /** Throws E_PERMISSION when the directory exists but is not a Vessel template store. */
  assertOurs(): void {
    ownerCheck(this.dir);
    if (!existsSync(join(this.dir, STORE_MARKER))) {
      const entries = readdirSync(this.dir);
      if (entries.length > 0) {
        throw new VesselError('E_PERMISSION', `${this.dir} is not a Vessel template directory (no ${STORE_MARKER}; it holds ${entries.length} other entr${entries.length === 1 ? 'y' : 'ies'}): set template_path to an empty or Vessel-made directory; nothing was touched`, { path: this.dir });
      }
      writeMarker(this.dir);
    }
  }

  async specFor(config: HypervisorConfig): Promise<TemplateSpec> {
    return {
      format: TEMPLATE_FORMAT,
      hypervisorPath: config.hypervisorPath,
      hypervisorVersion: await this.options.snapshot.version(config.hypervisorPath),
      hypervisorHash: hashFile(config.hypervisorPath),
      machineType: config.machineType,
      accel: config.accel,
      vcpus: config.vcpus,
      memoryMiB: config.memoryMiB,
      kernelPath: config.kernelPath,
      ...(config.initrdPath ? { initrdPath: config.initrdPath } : {}),
      ...(config.imagePath ? { imagePath: config.imagePath } : {}),
      guestHash: guestContentHash(config),
      kernelParams: [...config.kernelParams],
      devices: bootDevices(config),
      layout: {
        ...(config.imagePath ? { imageDevice: config.imageDevice ?? 'virtio-blk' } : {}),
        ...(config.balloon ? { balloon: config.balloon } : {}),
        ...(config.tcgTbSizeMiB !== undefined ? { tcgTbSizeMiB: config.tcgTbSizeMiB } : {}),
        ...(config.pcieRootPorts !== undefined ? { pcieRootPorts: config.pcieRootPorts } : {}),
        ...(config.viommu ? { viommu: true } : {}),
        ...(config.maxVcpus !== undefined ? { maxVcpus: config.maxVcpus } : {}),
        ...(config.maxMemoryMiB !== undefined ? { maxMemoryMiB: config.maxMemoryMiB } : {}),
      },
    };
  }

  /** The template with this hash, if it is whole and ours. */
  find(hash: string): TemplateInfo | null {
    if (!existsSync(this.dir)) return null;
    return this.read(join(this.dir, templateDirName(hash)), hash);
  }

  private read(dir: string, hash?: string): TemplateInfo | null {
    try {
      const meta = TemplateMeta.parse(JSON.parse(readFileSync(join(dir, TEMPLATE_META), 'utf8')));
      if (hash !== undefined && meta.hash !== hash) return null;
      const memoryFile = join(dir, TEMPLATE_MEMORY);
      const stateFile = join(dir, TEMPLATE_STATE);
      const mem = statSync(memoryFile);
      if (!statSync(stateFile).isFile() || mem.size !== meta.spec.memoryMiB * 1048576) return null;
      return { meta, dir, memoryFile, stateFile, sizeBytes: mem.blocks * 512 };
    } catch {
      return null;
    }
  }

  /** Every template in the store, and the entries that are not (left alone). */
  list(): { templates: TemplateInfo[]; foreign: string[] } {
    if (!existsSync(this.dir)) return { templates: [], foreign: [] };
    this.assertOurs();
    const templates: TemplateInfo[] = [];
    const foreign: string[] = [];
    for (const name of readdirSync(this.dir)) {
      if (name === STORE_MARKER || name.startsWith('.')) continue;
      const info = this.read(join(this.dir, name));
      if (info) templates.push(info);
      else foreign.push(name);
    }
    return { templates: templates.sort((a, b) => a.meta.createdAt.localeCompare(b.meta.createdAt)), foreign };
  }

  /** Why no template matches `spec`: the nearest template's differences, or that there is none. */
  missReason(spec: TemplateSpec): string {
    let best: { info: TemplateInfo; diffs: string[] } | null = null;
    for (const info of this.list().templates) {
      const diffs = specDifferences(spec, info.meta.spec);
      if (!best || diffs.length < best.diffs.length) best = { info, diffs };
    }
    if (!best) return 'no template yet for this configuration';
    return `template ${best.info.meta.hash.slice(0, 12)} is stale for this request: ${best.diffs.join('; ')}`;
  }

  /**
   * Count a clone. Clones made at once in one process count one after another
   * (read-modify-write of the meta file); across processes it stays best
   * effort: a lost update only costs a hit count.
   */
  recordHit(info: TemplateInfo): Promise<void> {
    const prev = hitQueues.get(info.dir) ?? Promise.resolve();
    const next = prev.then(async () => {
      try {
        const meta = TemplateMeta.parse(JSON.parse(readFileSync(join(info.dir, TEMPLATE_META), 'utf8')));
        await writeFileAtomic(join(info.dir, TEMPLATE_META), `${JSON.stringify({ ...meta, hits: meta.hits + 1, lastUsedAt: new Date().toISOString() }, null, 2)}\n`);
      } catch {
        // removed meanwhile
      }
    });
    hitQueues.set(info.dir, next);
    void next.then(() => {
      if (hitQueues.get(info.dir) === next) hitQueues.delete(info.dir);
    });
    return next;
  }

  /**
   * Build the template for `spec` unless it exists. Locked per template: a
   * second builder returns once the first is done (or null with wait=false).
   */
  async build(spec: TemplateSpec, options: { onProgress?: (m: string) => void; wait?: boolean } = {}): Promise<TemplateInfo | null> {
    this.ensureDir();
    const hash = templateHash(spec);
    const say = options.onProgress ?? ((): void => undefined);
    const existing = this.find(hash);
    if (existing) return existing;
    let lock;
    try {
      lock = await acquireLock(join(this.dir, '.locks', templateDirName(hash)), `template ${hash.slice(0, 12)}`, 'exclusive', { timeoutMs: options.wait === false ? 0 : 10 * 60_000, purpose: 'template build' });
    } catch (err) {
      if (options.wait === false && err instanceof VesselError && err.code === 'E_BUSY') return null;
      throw err;
    }
    try {
      const done = this.find(hash);
      if (done) return done;
      return await this.buildLocked(spec, hash, say);
    } finally {
      await lock.release();
    }
  }

  private async buildLocked(spec: TemplateSpec, hash: string, say: (m: string) => void): Promise<TemplateInfo> {
    const started = Date.now();
    const work = join(this.dir, `.build-${randomBytes(4).toString('hex')}`);
    mkdirSync(join(work, 'shared'), { recursive: true, mode: 0o700 });
    const paths = vmPathsIn(work);
    const config: HypervisorConfig = {
      sandboxId: `template-${hash.slice(0, 12)}`,
      hypervisorPath: spec.hypervisorPath,
      machineType: spec.machineType,
      vcpus: spec.vcpus,
      memoryMiB: spec.memoryMiB,
      kernelPath: spec.kernelPath,
      ...(spec.initrdPath ? { initrdPath: spec.initrdPath } : {}),
      ...(spec.imagePath ? { imagePath: spec.imagePath } : {}),
      kernelParams: spec.kernelParams,
      accel: spec.accel,
      ...(spec.devices.includes('virtio-9p:vessel-shared') ? { sharedDir: join(work, 'shared') } : {}),
      ...(spec.layout.imageDevice ? { imageDevice: spec.layout.imageDevice } : {}),
      ...(spec.layout.balloon ? { balloon: spec.layout.balloon } : {}),
      ...(spec.layout.tcgTbSizeMiB !== undefined ? { tcgTbSizeMiB: spec.layout.tcgTbSizeMiB } : {}),
      ...(spec.layout.pcieRootPorts !== undefined ? { pcieRootPorts: spec.layout.pcieRootPorts } : {}),
      ...(spec.layout.viommu ? { viommu: true } : {}),
      ...(spec.layout.maxVcpus !== undefined ? { maxVcpus: spec.layout.maxVcpus } : {}),
      ...(spec.layout.maxMemoryMiB !== undefined ? { maxMemoryMiB: spec.layout.maxMemoryMiB } : {}),
      memoryBackend: { kind: 'file', path: join(work, TEMPLATE_MEMORY), shared: true },
    };
    const driver = this.options.driver;
    say(`building template ${hash.slice(0, 12)}: booting its VM (RAM in a shared file)`);
    const vm = await driver.startVM(config, paths);
    try {
      // Readiness is the agent answering, not a sleep.
      const client = await AgentClient.connect({ kind: 'unix', path: paths.agentSocket }, { timeoutMs: this.options.bootTimeoutMs ?? 180_000 });
      client.close();
      say('template guest agent answered; pausing and saving its device state (x-ignore-shared)');
      await driver.pauseVM(vm);
      const { bytes } = await this.options.snapshot.saveState(vm, join(work, TEMPLATE_STATE), { ignoreShared: true });
      await driver.stopVM(vm, { force: true });
      for (const f of readdirSync(work)) {
        if (f !== TEMPLATE_MEMORY && f !== TEMPLATE_STATE) rmSync(join(work, f), { recursive: true, force: true });
      }
      chmodSync(join(work, TEMPLATE_MEMORY), 0o600);
      const meta: TemplateMeta = { kind: 'vessel-template', hash, spec, createdAt: new Date().toISOString(), buildMs: Date.now() - started, stateBytes: bytes, hits: 0, lastUsedAt: null };
      await writeFileAtomic(join(work, TEMPLATE_META), `${JSON.stringify(meta, null, 2)}\n`);
      const final = join(this.dir, templateDirName(hash));
      rmSync(final, { recursive: true, force: true });
      renameSync(work, final);
      say(`template ${hash.slice(0, 12)} ready in ${((Date.now() - started) / 1000).toFixed(1)} s (state ${(bytes / 1024).toFixed(0)} KiB)`);
      const info = this.find(hash);
      if (!info) throw new VesselError('E_INTERNAL', `template ${hash.slice(0, 12)} vanished right after it was built`);
      return info;
    } catch (err) {
      await driver.stopVM(vm, { force: true }).catch(() => undefined);
      throw toVesselError(err, 'E_HYPERVISOR');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  /**
   * Rebuild in a detached process (`vessel factory build-template`), so the
   * request that noticed the miss never waits and the build survives the CLI.
   */
  buildInBackground(spec: TemplateSpec): void {
    const here = dirname(fileURLToPath(import.meta.url));
    // Compiled: dist/core/factory → dist/core/cli. From the sources (tests): the repository's dist.
    const cli = [join(here, '..', 'cli', 'main.js'), join(here, '..', '..', 'dist', 'core', 'cli', 'main.js')].find((p) => existsSync(p));
    if (!cli) return;
    this.ensureDir();
    // Its output goes to a log next to the templates, so a failed build can be read.
    const log = openSync(join(this.dir, '.build.log'), 'a', 0o600);
    try {
      const child = spawn(process.execPath, [cli, 'factory', 'build-template', '--spec', JSON.stringify(spec), '--template-path', this.dir], {
        detached: true,
        stdio: ['ignore', log, log],
        env: this.options.env ?? process.env,
      });
      child.on('error', () => undefined);
      child.unref();
    } finally {
      closeSync(log);
    }
  }

  /** Whether a build of this template is under way (its lock is held). */
  building(hash: string): boolean {
    return existsSync(join(this.dir, '.locks', templateDirName(hash), 'exclusive'));
  }

  /** Remove our templates (never foreign entries). Returns what was removed. */
  destroy(): string[] {
    const removed: string[] = [];
    for (const t of this.list().templates) {
      rmSync(t.dir, { recursive: true, force: true });
      removed.push(t.meta.hash);
    }
    for (const name of existsSync(this.dir) ? readdirSync(this.dir) : []) {
      if (name.startsWith('.build-')) rmSync(join(this.dir, name), { recursive: true, force: true });
    }
    return removed;
  }
}

function writeMarker(dir: string): void {
  const fd = openSync(join(dir, STORE_MARKER), 'w', 0o600);
  closeSync(fd);
}

export function describeTemplate(t: TemplateInfo): string {
  return `${t.meta.hash.slice(0, 12)} ${basename(t.meta.spec.kernelPath)} ${t.meta.spec.vcpus} vCPU ${t.meta.spec.memoryMiB} MiB`;
}
