// The quick-start container root filesystem: Debian's static busybox, a
// symlink per applet and a minimal /etc. Built locally (no network), reused
// while busybox and this recipe are unchanged.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { VesselError } from '../../core/contract/index.js';

const execFileAsync = promisify(execFile);

/** Bump when the layout below changes: existing root filesystems are rebuilt. */
export const ROOTFS_RECIPE_VERSION = 1;
export const DEFAULT_BUSYBOX = '/bin/busybox';
/** The stamp at the top of a built rootfs: what it was built from. */
export const STAMP_FILE = '.vessel-rootfs.json';

export interface BusyboxRootfsOptions {
  /** The busybox binary to copy; must be statically linked. */
  busybox?: string;
  onProgress?: (message: string) => void;
}

export interface BusyboxRootfsResult {
  dir: string;
  /** True when an existing build was reused. */
  upToDate: boolean;
  applets: number;
  busyboxSha256: string;
}

interface Stamp {
  recipe: number;
  busyboxSha256: string;
  applets: number;
}

const DIRECTORIES: ReadonlyArray<[string, number]> = [
  ['bin', 0o755],
  ['sbin', 0o755],
  ['usr', 0o755],
  ['usr/bin', 0o755],
  ['usr/sbin', 0o755],
  ['etc', 0o755],
  ['proc', 0o555],
  ['sys', 0o555],
  ['dev', 0o755],
  ['tmp', 0o1777],
  ['root', 0o700],
  ['home', 0o755],
  ['run', 0o755],
  ['var', 0o755],
  ['var/tmp', 0o1777],
];

const ETC_FILES: ReadonlyArray<[string, string]> = [
  ['etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'],
  ['etc/group', 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n'],
  ['etc/hostname', 'vessel\n'],
  ['etc/hosts', '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'],
  // Empty on purpose: the container has loopback only until networking lands.
  ['etc/resolv.conf', ''],
];

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * True when the ELF file has a PT_INTERP program header (needs a dynamic
 * loader, which the container's root filesystem does not have).
 */
export function isDynamicallyLinked(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const read = (offset: number, length: number): Buffer => {
      const buf = Buffer.alloc(length);
      const n = readSync(fd, buf, 0, length, offset);
      if (n !== length) throw new Error('truncated ELF file');
      return buf;
    };
    const ident = read(0, 64);
    if (ident.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
    const is64 = ident[4] === 2;
    const le = ident[5] === 1;
    const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? ident.readBigUInt64LE(0x20) : ident.readBigUInt64BE(0x20)) : u32(ident, 0x1c);
    const phentsize = u16(ident, is64 ? 0x36 : 0x2a);
    const phnum = u16(ident, is64 ? 0x38 : 0x2c);
    const PT_INTERP = 3;
    for (let i = 0; i < phnum; i++) {
      if (u32(read(phoff + i * phentsize, 4), 0) === PT_INTERP) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

function checkBusybox(busybox: string): void {
  const install = 'install the Debian package busybox-static (apt-get install busybox-static)';
  if (!existsSync(busybox) || !statSync(busybox).isFile()) {
    throw new VesselError('E_MISSING_DEPENDENCY', `busybox not found at ${busybox}: ${install}`, { path: busybox, package: 'busybox-static' });
  }
  let dynamic: boolean;
  try {
    dynamic = isDynamicallyLinked(busybox);
  } catch (err) {
    throw new VesselError('E_MISSING_DEPENDENCY', `${busybox} is not a usable busybox (${err instanceof Error ? err.message : String(err)}): ${install}`, {
      path: busybox,
      package: 'busybox-static',
    });
  }
  if (dynamic) {
    throw new VesselError('E_MISSING_DEPENDENCY', `${busybox} is dynamically linked (Debian's "busybox" package); the container root filesystem needs the static one: ${install}`, {
      path: busybox,
      package: 'busybox-static',
    });
  }
}

function readStamp(dir: string): Stamp | null {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path.join(dir, STAMP_FILE), 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) return null;
    const s = parsed as Partial<Stamp>;
    if (typeof s.recipe !== 'number' || typeof s.busyboxSha256 !== 'string' || typeof s.applets !== 'number') return null;
    return { recipe: s.recipe, busyboxSha256: s.busyboxSha256, applets: s.applets };
  } catch {
    return null;
  }
}

// An applet path from `busybox --list-full`, e.g. "usr/bin/[": relative, no "." or ".." segments.
const APPLET_SEGMENT = /^[A-Za-z0-9_.[\]+-]+$/;
function isSafeAppletPath(p: string): boolean {
  const segments = p.split('/');
  return segments.every((s) => APPLET_SEGMENT.test(s) && s !== '.' && s !== '..');
}

/** Applet paths relative to the root: `--list-full` places them as Debian does; plain `--list` puts them in bin/. */
async function appletPaths(busybox: string): Promise<string[]> {
  let lines: string[];
  try {
    const { stdout } = await execFileAsync(busybox, ['--list-full'], { maxBuffer: 1 << 20 });
    lines = stdout.split('\n');
  } catch {
    const { stdout } = await execFileAsync(busybox, ['--list'], { maxBuffer: 1 << 20 });
    lines = stdout.split('\n').map((name) => (name.trim() === '' ? '' : `bin/${name.trim()}`));
  }
  const paths = lines.map((l) => l.trim()).filter((l) => l !== '' && l !== 'bin/busybox');
  const bad = paths.find((p) => !isSafeAppletPath(p));
  if (bad !== undefined) throw new VesselError('E_INTERNAL', `busybox listed an unexpected applet path ${JSON.stringify(bad)}`);
  if (paths.length === 0) throw new VesselError('E_MISSING_DEPENDENCY', `${busybox} lists no applets`, { package: 'busybox-static' });
  return paths;
}

async function populate(root: string, busybox: string, busyboxSha256: string): Promise<number> {
  for (const [dir, mode] of DIRECTORIES) {
    const p = path.join(root, dir);
    mkdirSync(p, { recursive: true });
    chmodSync(p, mode); // mkdir's mode is filtered by the umask; the sticky /tmp must be exact
  }
  const target = path.join(root, 'bin', 'busybox');
  copyFileSync(busybox, target);
  chmodSync(target, 0o755);

  const applets = await appletPaths(target);
  const seen = new Set<string>();
  for (const applet of applets) {
    if (seen.has(applet)) continue;
    seen.add(applet);
    const link = path.join(root, applet);
    mkdirSync(path.dirname(link), { recursive: true });
    // Relative, so the link resolves both inside the container and on the host.
    symlinkSync(path.relative(path.dirname(link), target), link);
  }

  for (const [file, content] of ETC_FILES) writeFileSync(path.join(root, file), content, { mode: 0o644 });
  const stamp: Stamp = { recipe: ROOTFS_RECIPE_VERSION, busyboxSha256, applets: seen.size };
  // Written last: a rootfs with a stamp is complete.
  writeFileSync(path.join(root, STAMP_FILE), `${JSON.stringify(stamp, null, 2)}\n`, { mode: 0o644 });
  return seen.size;
}

/**
 * Build (or reuse) the busybox root filesystem in `outDir`. The build goes to
 * a sibling temp directory and is renamed into place, so an interrupted build
 * never leaves a half-made rootfs. A directory that exists, is not empty and
 * was not built by Vessel is left alone (E_ALREADY_EXISTS).
 */
export async function buildBusyboxRootfs(outDir: string, options: BusyboxRootfsOptions = {}): Promise<BusyboxRootfsResult> {
  const dir = path.resolve(outDir);
  const busybox = options.busybox ?? DEFAULT_BUSYBOX;
  const progress = options.onProgress ?? ((): void => undefined);
  checkBusybox(busybox);
  const busyboxSha256 = sha256File(busybox);

  const existing = existsSync(dir) ? readStamp(dir) : null;
  if (existing && existing.recipe === ROOTFS_RECIPE_VERSION && existing.busyboxSha256 === busyboxSha256 && existsSync(path.join(dir, 'bin', 'busybox'))) {
    return { dir, upToDate: true, applets: existing.applets, busyboxSha256 };
  }
  if (existing === null && existsSync(dir)) {
    if (!statSync(dir).isDirectory() || readdirSync(dir).length > 0) {
      throw new VesselError('E_ALREADY_EXISTS', `${dir} exists and is not a Vessel-built root filesystem (no ${STAMP_FILE}); choose another directory or remove it`, {
        dir,
      });
    }
  }

  progress(`building busybox root filesystem in ${dir}`);
  const parent = path.dirname(dir);
  mkdirSync(parent, { recursive: true });
  const suffix = `${process.pid}-${Date.now().toString(36)}`;
  const tmp = path.join(parent, `.${path.basename(dir)}.tmp-${suffix}`);
  const old = path.join(parent, `.${path.basename(dir)}.old-${suffix}`);
  try {
    mkdirSync(tmp, { mode: 0o755 });
    chmodSync(tmp, 0o755);
    const applets = await populate(tmp, busybox, busyboxSha256);
    if (existsSync(dir)) renameSync(dir, old);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Someone else finished a build first: use theirs if it is current.
      const theirs = readStamp(dir);
      if (theirs && theirs.recipe === ROOTFS_RECIPE_VERSION && theirs.busyboxSha256 === busyboxSha256) {
        return { dir, upToDate: true, applets: theirs.applets, busyboxSha256 };
      }
      throw err;
    }
    progress(`busybox root filesystem ready: ${applets} applets`);
    return { dir, upToDate: false, applets, busyboxSha256 };
  } catch (err) {
    if (err instanceof VesselError) throw err;
    throw new VesselError('E_INTERNAL', `building the busybox root filesystem in ${dir} failed: ${err instanceof Error ? err.message : String(err)}`, { dir }, { cause: err });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
}
