// The guest image recipe: kernel + an initramfs holding busybox, the kernel
// modules the guest needs, node and its libraries, crun and its libraries,
// the bundled agent and /init. Output: <outDir>/{vmlinux (the kernel unpacked for PVH), vmlinuz,
// initrd.img, rootfs.erofs, manifest.json}.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, openSync, writeFileSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { filesystemModuleSet, moduleSetOrderFile, VFIO_MODULE_SET } from '../../core/agent/proto/modules.js';
import { GUEST_CPU_KINDS, GuestManifest, GUEST_MANIFEST_SCHEMA_VERSION, TCG_CPU_MODEL, type GuestCpuKind } from '../../core/agent/proto/manifest.js';
import { type CpioEntry, writeCpio } from './cpio.js';
import { buildConsoleHelper, CONSOLE_HELPER_GUEST_PATH, consoleHelperSource } from './console.js';
import { buildReseedHelper, RESEED_HELPER_GUEST_PATH, reseedHelperSource } from './reseed.js';
import { buildSpawnerHelper, SPAWNER_HELPER_GUEST_PATH, spawnerHelperSource } from './spawner.js';
import { buildPortwaitHelper, PORTWAIT_HELPER_GUEST_PATH, portwaitHelperSource } from './portwait.js';
import { buildShutrdHelper, SHUTRD_HELPER_GUEST_PATH, shutrdHelperSource } from './shutrd.js';
import { hashInputs, type HashInput } from './hash.js';
import { renderInit } from './init.js';
import { unpackKernelForPvh } from './kernel-image.js';
import { AGENT_DIR, agentSnapshotPath, renderCacheRecorder, renderLauncher, renderSnapshotBuilder, SNAPSHOT_CHECK_MARKER } from './launcher.js';
import { parseModulesBuiltin, parseModulesDep, resolveModules } from './modules.js';
import { makeErofs, renderStage1Init, stage1Entries, stageTree, STAGE1_MODULES } from './rootfs.js';

/** Bump when the recipe changes in a way the inputs do not show. */
const RECIPE_VERSION = 10;
/** qemu-user (Debian qemu-user): runs the snapshot build on the TCG guest's CPU model. */
const QEMU_USER = 'qemu-x86_64';

export const AGENT_PORT_NAME = 'vessel.agent';

/** Needed before the agent can serve: the PCI/MMIO virtio transports and virtio-serial. */
export const BOOT_MODULES = ['virtio_pci', 'virtio_mmio', 'virtio_console', 'virtio_rng'];
/**
 * Loaded in the background while the agent starts, in the order a new sandbox
 * needs them: the NIC (the host configures it first), the 9p share and overlay
 * (CreateSandbox, the first container), free page reporting, then what only
 * some sandboxes use (block devices, virtio-fs). The guest has one vCPU under
 * TCG, where each module takes tens of milliseconds to load.
 */
export const LATER_MODULES = ['virtio_net', '9p', '9pnet_virtio', 'overlay', 'virtio_balloon', 'virtio_blk', 'virtiofs'];
/**
 * In the image but loaded only when the agent needs them (guest/agent/modules.ts),
 * each set with its load order in `<set>.order`: vfio-pci for devices in vfio
 * mode, ext4 (with the crc32c it asks for at mount time) for disks attached to
 * containers. ext4 and jbd2 alone took 0.9 s of the guest's one vCPU at every
 * boot under TCG, while the agent was starting. vsock is not loaded at all:
 * the agent has no vsock listener (Node has no AF_VSOCK).
 */
export const ON_DEMAND_MODULE_SETS: Record<string, string[]> = { [VFIO_MODULE_SET]: ['vfio_pci'], [filesystemModuleSet('ext4')]: ['crc32c_generic', 'ext4'] };

export const DEFAULT_KERNEL_PARAMS = [
  'console=ttyS0',
  'panic=-1', // reboot at once on panic: QEMU runs with -no-reboot, so the VM exits and the host notices
  'quiet', // every console byte is a VM exit under TCG
  'tsc=reliable',
  'no_timer_check',
  'i8042.noaux',
  'i8042.nomux',
  'i8042.nopnp',
  'i8042.dumbkbd',
  'cryptomgr.notests',
  'rcupdate.rcu_expedited=1',
  // No 64 MiB bounce buffer: virtio devices here do not use the DMA API's bounce
  // path, and the kernel zeroes the buffer at boot, so every guest would hold it
  // in host RAM for nothing (measured: 69 MiB less PSS per sandbox).
  'swiotlb=noforce',
];

/**
 * The agent's node runs without V8's optimizing compiler (TurboFan). Under TCG
 * every piece of machine code V8 writes has to be translated by QEMU before it
 * runs, and optimized code is rewritten often (deopts, re-optimizations), so
 * TurboFan's speed-up is lost to translation and to flushes of QEMU's
 * translation cache. Measured one after another on an idle host (tb-size 64):
 * exec of `true` p50 132 -> 82 ms, p99 245 -> 117 ms; stdout 7.8 -> 14.6 MB/s;
 * Check p99 with 20 clients 864 -> 174 ms (docs/design/agent-channel.md,
 * "Session 8"). Under KVM the agent is not CPU bound, so this costs nothing
 * that shows. --jitless (no machine code at all) was close behind.
 */
export const DEFAULT_AGENT_NODE_FLAGS: readonly string[] = ['--no-opt'];

export type Compression = 'none' | 'gzip' | 'zstd';

/**
 * Where the guest's files live: 'image' (default) a read-only EROFS image the
 * host maps into every VM (shared page cache) plus a stage-1 initramfs;
 * 'initramfs' everything unpacked into each guest's RAM (the old layout).
 */
export type RootLayout = 'image' | 'initramfs';

export const ROOT_IMAGE_FILE = 'rootfs.erofs';

export interface BuildOptions {
  repoRoot: string;
  outDir: string;
  kernel?: string;
  compression?: Compression;
  root?: RootLayout;
  force?: boolean;
  /** Node flags for the agent (default DEFAULT_AGENT_NODE_FLAGS; [] for none). */
  nodeFlags?: string[];
  onProgress?: (message: string) => void;
}

export interface BuildResult {
  manifest: GuestManifest;
  upToDate: boolean;
  outDir: string;
}

export class MissingInputError extends Error {
  constructor(what: string, readonly debianPackage: string | null) {
    super(debianPackage ? `${what}: install the Debian package ${debianPackage} (apt-get install ${debianPackage})` : what);
    this.name = 'MissingInputError';
  }
}

export function pickKernel(bootDir = '/boot', override = process.env.VESSEL_GUEST_KERNEL): { path: string; release: string } {
  if (override) {
    if (!existsSync(override)) throw new MissingInputError(`VESSEL_GUEST_KERNEL=${override} does not exist`, null);
    const base = path.basename(override);
    const release = base.startsWith('vmlinuz-') ? base.slice('vmlinuz-'.length) : kernelReleaseFromImage(override);
    return { path: override, release };
  }
  let names: string[] = [];
  try {
    names = readdirSync(bootDir).filter((n) => n.startsWith('vmlinuz-'));
  } catch {
    // handled below
  }
  if (names.length === 0) throw new MissingInputError(`no kernel found in ${bootDir}`, 'linux-image-amd64');
  names.sort((a, b) => compareVersions(a.slice(8), b.slice(8)));
  const newest = names[names.length - 1] as string;
  return { path: path.join(bootDir, newest), release: newest.slice('vmlinuz-'.length) };
}

/** Orders kernel releases like "6.1.0-9-amd64" < "6.1.0-56-amd64". */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    const c = Number.isInteger(nx) && Number.isInteger(ny) && x !== '' && y !== '' ? nx - ny : x.localeCompare(y);
    if (c !== 0) return c;
  }
  return 0;
}

/** The version string a bzImage carries (at the offset its header names), for kernels outside /boot. */
function kernelReleaseFromImage(file: string): string {
  const buf = readFileSync(file);
  const offset = buf.readUInt16LE(0x20e) + 0x200;
  const text = buf.toString('latin1', offset, offset + 256);
  const release = text.split(' ')[0];
  if (!release || !/^[0-9][\w.+-]*$/.test(release)) throw new MissingInputError(`cannot read the kernel release from ${file}; name it vmlinuz-<release>`, null);
  return release;
}

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = path.join(dir, cmd);
    if (existsSync(p)) return p;
  }
  return null;
}

/** Shared libraries a dynamic executable needs, from ldd (absolute paths, interpreter included). */
export function parseLdd(output: string): string[] {
  const libs: string[] = [];
  for (const line of output.split('\n')) {
    const arrow = /=>\s*(\/\S+)/.exec(line);
    const bare = /^\s*(\/\S+)\s+\(/.exec(line);
    const p = arrow?.[1] ?? bare?.[1];
    if (p && !libs.includes(p)) libs.push(p);
  }
  return libs;
}

function sharedLibs(binary: string): string[] {
  const res = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (res.error) throw new MissingInputError(`cannot run ldd for ${binary}`, 'libc-bin');
  if (res.status !== 0) {
    if (/not a dynamic executable/.test(res.stdout + res.stderr)) return [];
    throw new Error(`ldd ${binary} failed: ${res.stderr.trim()}`);
  }
  const missing = /(\S+) => not found/.exec(res.stdout);
  if (missing) throw new MissingInputError(`${binary} needs ${missing[1]}, which is not installed`, null);
  return parseLdd(res.stdout);
}

function busyboxApplets(busybox: string): string[] {
  const res = spawnSync(busybox, ['--list-full'], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${busybox} --list-full failed`);
  return res.stdout.split('\n').map((l) => l.trim()).filter((l) => /^[a-z0-9/._[-]+$/.test(l) && !l.includes('..'));
}

interface Inputs {
  kernel: { path: string; release: string };
  modulesDir: string;
  modules: { name: string; source: string; boot: boolean }[];
  /** Module sets the agent loads on demand, each in load order (a set the kernel lacks is left out). */
  onDemand: { set: string; modules: { name: string; source: string }[] }[];
  busybox: string;
  node: string;
  crun: string;
  /** node-pty (TTYs for containers): its JS and native addon, loaded by the agent from AGENT_DIR/node_modules. */
  nodePty: NodePtyFiles;
  libs: string[];
  agentBundle: Buffer;
  agentVersion: string;
  /** Source of the TTY console helper (compiled at build time; hashed as source). */
  consoleHelperSource: string;
  /** Source of the RNG reseed helper (VM factory clones), hashed as source. */
  reseedHelperSource: string;
  /** Source of the exec spawner, hashed as source. */
  spawnerHelperSource: string;
  /** Source of the port wait helper, hashed as source. */
  portwaitHelperSource: string;
  shutrdHelperSource: string;
  kernelParams: string[];
  initScript: string;
  compression: Compression;
  nodeFlags: string[];
  root: RootLayout;
  /** Modules of the stage-1 initramfs (root layout 'image'), in load order. */
  stage1Modules: { name: string; source: string }[];
}

export interface NodePtyFiles {
  /** Paths relative to the package root, e.g. lib/index.js, build/Release/pty.node. */
  files: { rel: string; source: string }[];
  addon: string;
}

/** The runtime files of node-pty: package.json, lib/**.js (no tests, no maps) and the built addon. */
export function findNodePty(repoRoot: string): NodePtyFiles {
  const root = path.join(repoRoot, 'node_modules', 'node-pty');
  const addon = path.join(root, 'build', 'Release', 'pty.node');
  if (!existsSync(addon)) {
    throw new MissingInputError(`node-pty's native addon is missing (${addon}): run npm install (node-pty's install script must be allowed: npm install-scripts approve node-pty, then npm rebuild node-pty)`, null);
  }
  const files: { rel: string; source: string }[] = [{ rel: 'package.json', source: path.join(root, 'package.json') }, { rel: 'build/Release/pty.node', source: addon }];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith('.js') && !e.name.endsWith('.test.js')) files.push({ rel: r, source: path.join(root, r) });
    }
  };
  walk('lib');
  files.sort((a, b) => a.rel.localeCompare(b.rel));
  return { files, addon };
}

function findInputs(opts: BuildOptions, progress: (m: string) => void): Omit<Inputs, 'agentBundle' | 'agentVersion' | 'initScript' | 'nodeFlags' | 'consoleHelperSource' | 'reseedHelperSource' | 'spawnerHelperSource' | 'portwaitHelperSource' | 'shutrdHelperSource' | 'root'> {
  const kernel = pickKernel();
  progress(`kernel ${kernel.release} (${kernel.path})`);
  const modulesDir = path.join('/lib/modules', kernel.release);
  const depFile = path.join(modulesDir, 'modules.dep');
  if (!existsSync(depFile)) throw new MissingInputError(`no modules for kernel ${kernel.release} (${depFile})`, 'linux-image-amd64');
  const index = parseModulesDep(readFileSync(depFile, 'utf8'));
  const builtinFile = path.join(modulesDir, 'modules.builtin');
  const builtin = existsSync(builtinFile) ? parseModulesBuiltin(readFileSync(builtinFile, 'utf8')) : new Set<string>();
  const boot = resolveModules(index, builtin, BOOT_MODULES);
  const later = resolveModules(index, builtin, LATER_MODULES);
  const missingBoot = boot.missing;
  if (missingBoot.length > 0) throw new MissingInputError(`kernel ${kernel.release} lacks required modules: ${missingBoot.join(', ')}`, 'linux-image-amd64');
  if (later.missing.length > 0) progress(`note: kernel has no ${later.missing.join(', ')}; skipped`);
  const bootSet = new Set(boot.order);
  const modules = [
    ...boot.order.map((name) => ({ name, boot: true })),
    ...later.order.filter((n) => !bootSet.has(n)).map((name) => ({ name, boot: false })),
  ].map((m) => ({ ...m, source: path.join(modulesDir, index.paths.get(m.name) as string) }));
  const onDemand = Object.entries(ON_DEMAND_MODULE_SETS).map(([set, wanted]) => {
    const r = resolveModules(index, builtin, wanted);
    if (r.missing.length > 0) progress(`note: kernel has no ${r.missing.join(', ')}; the guest cannot load ${set} on demand`);
    return { set, modules: r.missing.length > 0 ? [] : r.order.map((name) => ({ name, source: path.join(modulesDir, index.paths.get(name) as string) })) };
  }).filter((o) => o.modules.length > 0);
  const stage1 = resolveModules(index, builtin, STAGE1_MODULES);
  const stage1Modules = stage1.order.map((name) => ({ name, source: path.join(modulesDir, index.paths.get(name) as string) }));
  progress(`modules: ${boot.order.length} at boot, ${modules.length - boot.order.length} in background${boot.builtin.length ? `; built in: ${boot.builtin.join(', ')}` : ''}`);

  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new MissingInputError('busybox not found', 'busybox-static');
  if (sharedLibs(busybox).length > 0) throw new MissingInputError(`${busybox} is dynamically linked; the guest needs the static one`, 'busybox-static');
  const crun = which('crun');
  if (!crun) throw new MissingInputError('crun not found', 'crun');
  const node = process.execPath;
  const nodePty = findNodePty(opts.repoRoot);
  const libs = [...new Set([...sharedLibs(node), ...sharedLibs(crun), ...sharedLibs(nodePty.addon)])].sort();
  return { kernel, modulesDir, modules, onDemand, stage1Modules, busybox, node, crun, nodePty, libs, kernelParams: DEFAULT_KERNEL_PARAMS, compression: opts.compression ?? 'none' };
}

async function bundleAgent(repoRoot: string): Promise<{ code: Buffer; agentVersion: string }> {
  const esbuild = await import('esbuild');
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version?: string };
  const result = await esbuild.build({
    entryPoints: [path.join(repoRoot, 'guest', 'agent', 'main.ts')],
    absWorkingDir: repoRoot,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'error',
    // Native addon: loaded at run time from AGENT_DIR/node_modules (engine.ts).
    external: ['node-pty'],
    define: {
      VESSEL_AGENT_VERSION: JSON.stringify('pending'),
    },
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error('esbuild produced no output');
  // The agent version names the exact bundle: package version + bundle digest.
  const { createHash } = await import('node:crypto');
  const digest = createHash('sha256').update(out.contents).digest('hex').slice(0, 12);
  const agentVersion = `${pkg.version ?? '0.0.0'}+${digest}`;
  const code = Buffer.from(out.text.replace(/"pending"/g, JSON.stringify(agentVersion)));
  return { code, agentVersion };
}

function hashOf(inputs: Inputs): string {
  const list: HashInput[] = [
    { kind: 'text', label: 'recipe', text: JSON.stringify({ RECIPE_VERSION, root: inputs.root, stage1: inputs.stage1Modules.map((m) => m.name), nodeFlags: inputs.nodeFlags, compression: inputs.compression, kernelParams: inputs.kernelParams, libs: inputs.libs, modules: inputs.modules.map((m) => [m.name, m.boot]), onDemand: inputs.onDemand.map((o) => [o.set, o.modules.map((m) => m.name)]) }) },
    { kind: 'file', label: 'kernel', path: inputs.kernel.path },
    { kind: 'file', label: 'busybox', path: inputs.busybox },
    { kind: 'file', label: 'node', path: inputs.node },
    { kind: 'file', label: 'crun', path: inputs.crun },
    { kind: 'text', label: 'agent', text: inputs.agentBundle },
    { kind: 'text', label: 'console-helper', text: inputs.consoleHelperSource },
    { kind: 'text', label: 'reseed-helper', text: inputs.reseedHelperSource },
    { kind: 'text', label: 'spawner-helper', text: inputs.spawnerHelperSource },
    { kind: 'text', label: 'portwait-helper', text: inputs.portwaitHelperSource },
    { kind: 'text', label: 'shutrd-helper', text: inputs.shutrdHelperSource },
    { kind: 'text', label: 'init', text: inputs.initScript },
    { kind: 'text', label: 'launcher', text: renderLauncher() },
    { kind: 'text', label: 'snapshot-builder', text: renderSnapshotBuilder('') },
    // Stage 1's /init is rendered from code, not read from a file: an edit to it must rebuild the image too.
    { kind: 'text', label: 'stage1-init', text: renderStage1Init(inputs.stage1Modules.map((m) => `/lib/modules/${m.name}.ko`)) },
    ...inputs.modules.map((m): HashInput => ({ kind: 'file', label: `module:${m.name}`, path: m.source })),
    ...[...new Map(inputs.onDemand.flatMap((o) => o.modules).map((m) => [m.name, m])).values()].map((m): HashInput => ({ kind: 'file', label: `module:${m.name}`, path: m.source })),
    ...inputs.stage1Modules.map((m): HashInput => ({ kind: 'file', label: `stage1:${m.name}`, path: m.source })),
    ...inputs.libs.map((l): HashInput => ({ kind: 'file', label: `lib:${l}`, path: l })),
    ...inputs.nodePty.files.map((f): HashInput => ({ kind: 'file', label: `node-pty:${f.rel}`, path: f.source })),
  ];
  return hashInputs(list);
}

function readExistingManifest(outDir: string): GuestManifest | null {
  try {
    const parsed = GuestManifest.safeParse(JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8')));
    if (!parsed.success) return null;
    const m = parsed.data;
    const size = statSync(path.join(outDir, m.kernel)).size + statSync(path.join(outDir, m.initrd)).size + (m.rootImage ? statSync(path.join(outDir, m.rootImage.file)).size : 0);
    return size === m.sizeBytes ? m : null;
  } catch {
    return null;
  }
}

const BZIMAGE_FILE = 'vmlinuz';
const PVH_KERNEL_FILE = 'vmlinux';

/**
 * Unpacks the bzImage into an ELF booted through PVH (guest/build/kernel-image.ts)
 * and returns the file sandboxes boot: that ELF, or the bzImage when the kernel
 * cannot be booted that way (the reason is printed).
 */
function writePvhKernel(outDir: string, progress: (m: string) => void): string {
  const unpacked = unpackKernelForPvh(readFileSync(path.join(outDir, BZIMAGE_FILE)));
  const target = path.join(outDir, PVH_KERNEL_FILE);
  if (!unpacked.ok) {
    rmSync(target, { force: true });
    progress(`note: booting the compressed kernel (${BZIMAGE_FILE}) through the firmware, which is slower under TCG: ${unpacked.reason}`);
    return BZIMAGE_FILE;
  }
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, unpacked.elf);
  renameSync(tmp, target);
  progress(`kernel unpacked for a direct PVH boot: ${PVH_KERNEL_FILE}, ${(unpacked.elf.length / 1048576).toFixed(1)} MiB (${(unpacked.trimmedBytes / 1048576).toFixed(1)} MiB of zero tails not loaded from the file)`);
  return PVH_KERNEL_FILE;
}

/** A module file as insmod can load it: decompressed at build time (busybox insmod takes plain .ko only). */
function moduleBytes(source: string): Buffer {
  if (source.endsWith('.ko')) return readFileSync(source);
  const tool = source.endsWith('.xz') ? ['xz', 'xz-utils'] : source.endsWith('.zst') ? ['zstd', 'zstd'] : source.endsWith('.gz') ? ['gzip', 'gzip'] : null;
  if (!tool) throw new Error(`unknown module format: ${source}`);
  const [cmd, pkg] = tool as [string, string];
  const res = spawnSync(cmd, ['-dc', source], { maxBuffer: 256 << 20 });
  if (res.error) throw new MissingInputError(`${cmd} is needed to decompress ${source}`, pkg);
  if (res.status !== 0) throw new Error(`${cmd} -dc ${source} failed`);
  return res.stdout;
}

function stripCopy(source: string, tmpDir: string, progress: (m: string) => void): string {
  const out = path.join(tmpDir, path.basename(source) + '.stripped');
  const res = spawnSync('strip', ['--strip-all', '-o', out, source]);
  if (res.error || res.status !== 0) {
    progress(`note: strip unavailable (install binutils to shrink the image); packing ${source} as is`);
    return source;
  }
  return out;
}

function imageEntries(inputs: Inputs, node: string, codeCache: Buffer | null, consoleHelper: Buffer | null, reseedHelper: Buffer | null = null, spawnerHelper: Buffer | null = null, portwaitHelper: Buffer | null = null, snapshots: ReadonlyMap<GuestCpuKind, Buffer> = new Map(), shutrdHelper: Buffer | null = null): CpioEntry[] {
  const entries: CpioEntry[] = [];
  const dirs = new Set<string>();
  const dir = (p: string): void => {
    const parts = p.replace(/^\/+/, '').split('/');
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (d && !dirs.has(d)) {
        dirs.add(d);
        entries.push({ type: 'dir', path: d, mode: d === 'tmp' ? 0o1777 : 0o755 });
      }
    }
  };
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'run', 'tmp', 'root', 'var/tmp', 'opt/vessel', 'lib/modules/vessel']) dir(d);
  entries.push({ type: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 });
  entries.push({ type: 'chardev', path: 'dev/null', mode: 0o666, major: 1, minor: 3 });
  entries.push({ type: 'data', path: 'init', mode: 0o755, data: Buffer.from(inputs.initScript) });
  entries.push({ type: 'file', path: 'bin/busybox', mode: 0o755, source: inputs.busybox });
  for (const applet of busyboxApplets(inputs.busybox)) {
    if (applet === 'bin/busybox') continue;
    dir(path.dirname(applet));
    entries.push({ type: 'symlink', path: applet, target: '/bin/busybox' });
  }
  entries.push({ type: 'file', path: 'usr/bin/node', mode: 0o755, source: node });
  entries.push({ type: 'file', path: 'usr/bin/crun', mode: 0o755, source: inputs.crun });
  for (const lib of inputs.libs) {
    dir(path.dirname(lib));
    entries.push({ type: 'file', path: lib, mode: 0o755, source: lib });
  }
  for (const m of inputs.modules) {
    entries.push({ type: 'data', path: `lib/modules/vessel/${m.name}.ko`, mode: 0o644, data: moduleBytes(m.source) });
  }
  const packed = new Set(inputs.modules.map((m) => m.name));
  for (const { set, modules } of inputs.onDemand) {
    for (const m of modules) {
      if (packed.has(m.name)) continue;
      packed.add(m.name);
      entries.push({ type: 'data', path: `lib/modules/vessel/${m.name}.ko`, mode: 0o644, data: moduleBytes(m.source) });
    }
    entries.push({ type: 'data', path: `lib/modules/vessel/${moduleSetOrderFile(set)}`, mode: 0o644, data: Buffer.from(`${modules.map((m) => m.name).join('\n')}\n`) });
  }
  entries.push({ type: 'data', path: `${AGENT_DIR}/agent.js`, mode: 0o644, data: inputs.agentBundle });
  entries.push({ type: 'data', path: `${AGENT_DIR}/start.js`, mode: 0o644, data: Buffer.from(renderLauncher()) });
  if (codeCache) entries.push({ type: 'data', path: `${AGENT_DIR}/agent.cache`, mode: 0o644, data: codeCache });
  for (const [cpu, blob] of snapshots) entries.push({ type: 'data', path: agentSnapshotPath(cpu), mode: 0o644, data: blob });
  if (consoleHelper) {
    dir(path.dirname(CONSOLE_HELPER_GUEST_PATH).slice(1));
    entries.push({ type: 'data', path: CONSOLE_HELPER_GUEST_PATH.slice(1), mode: 0o755, data: consoleHelper });
  }
  if (reseedHelper) {
    dir(path.dirname(RESEED_HELPER_GUEST_PATH).slice(1));
    entries.push({ type: 'data', path: RESEED_HELPER_GUEST_PATH.slice(1), mode: 0o755, data: reseedHelper });
  }
  if (spawnerHelper) {
    dir(path.dirname(SPAWNER_HELPER_GUEST_PATH).slice(1));
    entries.push({ type: 'data', path: SPAWNER_HELPER_GUEST_PATH.slice(1), mode: 0o755, data: spawnerHelper });
  }
  if (portwaitHelper) {
    dir(path.dirname(PORTWAIT_HELPER_GUEST_PATH).slice(1));
    entries.push({ type: 'data', path: PORTWAIT_HELPER_GUEST_PATH.slice(1), mode: 0o755, data: portwaitHelper });
  }
  if (shutrdHelper) {
    dir(path.dirname(SHUTRD_HELPER_GUEST_PATH).slice(1));
    entries.push({ type: 'data', path: SHUTRD_HELPER_GUEST_PATH.slice(1), mode: 0o755, data: shutrdHelper });
  }
  for (const f of inputs.nodePty.files) {
    const p = `${AGENT_DIR.slice(1)}/node_modules/node-pty/${f.rel}`;
    dir(path.dirname(p));
    entries.push({ type: 'file', path: p, mode: f.rel.endsWith('.node') ? 0o755 : 0o644, source: f.source });
  }
  entries.push({ type: 'data', path: 'etc/passwd', mode: 0o644, data: Buffer.from('root:x:0:0:root:/root:/bin/sh\n') });
  entries.push({ type: 'data', path: 'etc/group', mode: 0o644, data: Buffer.from('root:x:0:\n') });
  entries.push({ type: 'data', path: 'etc/hostname', mode: 0o644, data: Buffer.from('vessel\n') });
  // The root is read-only (EROFS): the machine-id a VM gets (SetGuestIdentity, factory clones) lives on /run's tmpfs.
  entries.push({ type: 'symlink', path: 'etc/machine-id', target: '../run/machine-id' });
  return entries;
}

/** The line of a failed node's stderr that says what went wrong (node prints warnings and stack lines around it). */
function firstErrorLine(stderr: string, fallback: unknown): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /Error\b|error:/.test(l)) ?? lines[0] ?? String(fallback);
}

/**
 * V8 startup snapshots of the loaded agent (guest/build/launcher.ts), one per
 * guest CPU kind, each made and then started once with the node binary the
 * guest gets: `host` (KVM's -cpu host) natively, `tcg` under qemu-user with the
 * TCG guest's CPU model, since V8 refuses a snapshot made on a CPU with other
 * features. A kind node cannot make or load is left out with the reason; such
 * a guest starts the agent through the launcher and its code cache.
 */
function recordSnapshots(inputs: Inputs, node: string, bundle: string, tmpDir: string, progress: (m: string) => void): Map<GuestCpuKind, Buffer> {
  const builder = path.join(tmpDir, 'build-snapshot.cjs');
  writeFileAtomic(builder, renderSnapshotBuilder(bundle));
  const env = { ...process.env, VESSEL_AGENT_LOG: 'stderr' };
  const out = new Map<GuestCpuKind, Buffer>();
  for (const cpu of GUEST_CPU_KINDS) {
    const blob = path.join(tmpDir, `agent-${cpu}.blob`);
    const [cmd, ...prefix] = cpu === 'tcg' ? [QEMU_USER, '-cpu', TCG_CPU_MODEL, node] : [node];
    const run = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> =>
      spawnSync(cmd as string, [...prefix, ...inputs.nodeFlags, ...args], { encoding: 'utf8', timeout: 180_000, env: { ...env, ...extraEnv } });
    const made = run(['--snapshot-blob', blob, '--build-snapshot', builder]);
    if (made.status !== 0 || !existsSync(blob)) {
      const why = made.error && cpu === 'tcg' ? `${QEMU_USER} is missing: apt-get install qemu-user` : firstErrorLine(made.stderr, made.error ?? made.status);
      progress(`note: no V8 snapshot of the agent for ${cpu} guests (${why}); they start it from its bundle`);
      continue;
    }
    const check = run(['--snapshot-blob', blob], { VESSEL_AGENT_SNAPSHOT_CHECK: '1' });
    if (check.status !== 0 || !check.stdout.includes(SNAPSHOT_CHECK_MARKER)) {
      progress(`note: the agent's V8 snapshot for ${cpu} guests did not start (${firstErrorLine(check.stderr, check.error ?? check.status)}); they start it from its bundle`);
      continue;
    }
    out.set(cpu, readFileSync(blob));
  }
  return out;
}

/** Runs the bundle's warm-up on this host's node (the binary the guest gets) and returns V8's code cache. */
function recordCodeCache(inputs: Inputs, bundle: string, tmpDir: string, progress: (m: string) => void): Buffer | null {
  const cache = path.join(tmpDir, 'agent.cache');
  const recorder = path.join(tmpDir, 'record-cache.cjs');
  writeFileAtomic(recorder, renderCacheRecorder(bundle, cache));
  // Same flags as in the guest: V8 rejects a cache made under different flags.
  const res = spawnSync(inputs.node, [...inputs.nodeFlags, recorder], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, VESSEL_AGENT_LOG: 'stderr' } });
  if (res.status !== 0 || !existsSync(cache)) {
    progress(`note: no code cache (${(res.stderr || String(res.error ?? res.status)).trim().split('\n')[0]}); the agent starts slower`);
    return null;
  }
  return readFileSync(cache);
}

async function compressFile(source: string, dest: string, compression: Compression): Promise<void> {
  if (compression === 'none') {
    renameSync(source, dest);
    return;
  }
  if (compression === 'gzip') {
    await pipeline(createReadStream(source), createGzip({ level: 6 }), createWriteStream(dest));
    return;
  }
  if (!which('zstd')) throw new MissingInputError('zstd is needed for VESSEL_GUEST_COMPRESSION=zstd', 'zstd');
  await new Promise<void>((resolve, reject) => {
    const child = spawn('zstd', ['-q', '-f', '-3', '-T0', '-o', dest, source], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`zstd exited ${String(code)}`))));
  });
}

function writeFileAtomic(file: string, data: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export async function buildGuestImage(opts: BuildOptions): Promise<BuildResult> {
  const progress = opts.onProgress ?? ((): void => undefined);
  const started = Date.now();
  const found = findInputs(opts, progress);
  progress('bundling the agent (esbuild)');
  const { code, agentVersion } = await bundleAgent(opts.repoRoot);
  const initScript = renderInit({
    bootModules: found.modules.filter((m) => m.boot).map((m) => `/lib/modules/vessel/${m.name}.ko`),
    laterModules: found.modules.filter((m) => !m.boot).map((m) => `/lib/modules/vessel/${m.name}.ko`),
    nodeFlags: opts.nodeFlags ?? [...DEFAULT_AGENT_NODE_FLAGS],
  });
  const inputs: Inputs = { ...found, root: opts.root ?? 'image', agentBundle: code, agentVersion, initScript, nodeFlags: opts.nodeFlags ?? [...DEFAULT_AGENT_NODE_FLAGS], consoleHelperSource: readFileSync(consoleHelperSource(opts.repoRoot), 'utf8'), reseedHelperSource: readFileSync(reseedHelperSource(opts.repoRoot), 'utf8'), spawnerHelperSource: readFileSync(spawnerHelperSource(opts.repoRoot), 'utf8'), portwaitHelperSource: readFileSync(portwaitHelperSource(opts.repoRoot), 'utf8'), shutrdHelperSource: readFileSync(shutrdHelperSource(opts.repoRoot), 'utf8') };
  progress('hashing inputs');
  const inputsHash = hashOf(inputs);

  const existing = readExistingManifest(opts.outDir);
  if (!opts.force && existing && existing.inputsHash === inputsHash) {
    progress(`up to date (${opts.outDir}, inputs ${inputsHash.slice(0, 12)})`);
    return { manifest: existing, upToDate: true, outDir: opts.outDir };
  }

  mkdirSync(opts.outDir, { recursive: true });
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'vessel-guest-'));
  try {
    progress('stripping symbols from node');
    const node = stripCopy(inputs.node, tmpDir, progress);
    progress('recording the agent\'s V8 code cache');
    const bundle = path.join(tmpDir, 'agent.js');
    writeFileAtomic(bundle, inputs.agentBundle.toString('utf8'));
    const codeCache = recordCodeCache(inputs, bundle, tmpDir, progress);
    progress('making V8 startup snapshots of the agent (TCG and host CPUs)');
    const snapshots = recordSnapshots(inputs, node, bundle, tmpDir, progress);
    progress('compiling the TTY console helper');
    const consoleHelper = buildConsoleHelper(opts.repoRoot, path.join(tmpDir, 'vessel-console'), progress);
    const reseedHelper = buildReseedHelper(opts.repoRoot, path.join(tmpDir, 'vessel-reseed'), progress);
    const spawnerHelper = buildSpawnerHelper(opts.repoRoot, path.join(tmpDir, 'vessel-spawner'), progress);
    const portwaitHelper = buildPortwaitHelper(opts.repoRoot, path.join(tmpDir, 'vessel-portwait'), progress);
    const shutrdHelper = buildShutrdHelper(opts.repoRoot, path.join(tmpDir, 'vessel-shutrd'), progress);
    const entries = imageEntries(inputs, node, codeCache, consoleHelper, reseedHelper, spawnerHelper, portwaitHelper, snapshots, shutrdHelper);
    let rootImage: { file: string; format: 'erofs'; sizeBytes: number } | undefined;
    if (inputs.root === 'image') {
      progress(`writing the shared root image (EROFS, ${ROOT_IMAGE_FILE}) and the stage-1 initramfs`);
      const tree = path.join(tmpDir, 'tree');
      stageTree(entries, tree);
      const imageTmp = path.join(opts.outDir, `${ROOT_IMAGE_FILE}.tmp-${process.pid}`);
      const imageBytes = makeErofs(tree, imageTmp);
      // Read-only on the host too: guests map it read-only; nothing may write it in place (rebuilds rename a new file over it).
      chmodSync(imageTmp, 0o444);
      renameSync(imageTmp, path.join(opts.outDir, ROOT_IMAGE_FILE));
      rootImage = { file: ROOT_IMAGE_FILE, format: 'erofs', sizeBytes: imageBytes };
      progress(`root image: ${(imageBytes / 1048576).toFixed(1)} MiB`);
    }
    const initrdEntries = inputs.root === 'image'
      ? stage1Entries(inputs.busybox, inputs.stage1Modules.map((m) => ({ name: m.name, data: moduleBytes(m.source) })))
      : entries;
    progress('writing initramfs (cpio newc)');
    const rawCpio = path.join(tmpDir, 'initrd.cpio');
    const fd = openSync(rawCpio, 'w');
    let size: number;
    try {
      size = writeCpio(initrdEntries, (chunk) => { writeSync(fd, chunk); });
    } finally {
      closeSync(fd);
    }
    progress(`initramfs: ${(size / 1048576).toFixed(1)} MiB uncompressed${inputs.compression === 'none' ? '' : `; compressing (${inputs.compression})`}`);
    const initrdTmp = path.join(opts.outDir, `initrd.img.tmp-${process.pid}`);
    await compressFile(rawCpio, initrdTmp, inputs.compression);
    const kernelTmp = path.join(opts.outDir, `${BZIMAGE_FILE}.tmp-${process.pid}`);
    copyFileSync(inputs.kernel.path, kernelTmp);
    renameSync(kernelTmp, path.join(opts.outDir, BZIMAGE_FILE));
    const kernel = writePvhKernel(opts.outDir, progress);
    renameSync(initrdTmp, path.join(opts.outDir, 'initrd.img'));
    const sizeBytes = statSync(path.join(opts.outDir, kernel)).size + statSync(path.join(opts.outDir, 'initrd.img')).size + (rootImage?.sizeBytes ?? 0);
    const manifest: GuestManifest = GuestManifest.parse({
      schemaVersion: GUEST_MANIFEST_SCHEMA_VERSION,
      kernelRelease: inputs.kernel.release,
      kernel,
      bzImage: BZIMAGE_FILE,
      initrd: 'initrd.img',
      initrdCompression: inputs.compression,
      ...(rootImage ? { rootImage } : {}),
      kernelParams: inputs.kernelParams,
      agentPortName: AGENT_PORT_NAME,
      agentVersion,
      inputsHash,
      builtAt: new Date().toISOString(),
      sizeBytes,
    });
    writeFileAtomic(path.join(opts.outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    progress(`built ${opts.outDir} in ${((Date.now() - started) / 1000).toFixed(1)} s (${(sizeBytes / 1048576).toFixed(1)} MiB)`);
    return { manifest, upToDate: false, outDir: opts.outDir };
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

