#!/usr/bin/env node
// Vessel setup: installs the Debian packages Vessel needs (apt-get when root;
// otherwise prints the exact command and exits non-zero), builds the
// TypeScript, then builds the guest image. Idempotent: a second run only
// checks and takes seconds.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Debian packages and why Vessel needs each. */
const PACKAGES = [
  ['qemu-system-x86', 'the hypervisor (qemu-system-x86_64)'],
  ['linux-image-amd64', 'the guest kernel and its modules'],
  ['busybox-static', 'the guest init and tools'],
  ['crun', 'the OCI runtime shipped in the guest'],
  ['iproute2', 'network namespaces and links'],
  ['containernetworking-plugins', 'CNI plugins for sandbox networks (bridge, host-local, portmap, firewall, tuning, macvlan)'],
  ['iptables', 'NAT and port forwards made by the CNI bridge/portmap/firewall plugins'],
  ['cpio', 'packing the guest initrd'],
  ['erofs-utils', 'mkfs.erofs: the shared read-only guest root image'],
  ['xz-utils', 'xz: unpacking the guest kernel (XZ-compressed in Debian) for a direct PVH boot'],
  ['binutils', 'strip, to shrink the guest image'],
  ['gcc', 'compiling the guest console helper (TTYs with job control)'],
  ['libc6-dev', 'static libc for the guest console helper'],
  ['chromium', 'the browser the Playwright e2e tests drive (never downloaded by Playwright)'],
  ['umoci', 'unpacking image layers (whiteouts, hard links, ownership, xattrs)'],
  ['skopeo', 'image import/export (oci-archive, docker-archive); tests push images with it'],
  ['docker-registry', 'the registry the image tests start on 127.0.0.1 (its Debian service is disabled)'],
  ['apache2-utils', 'htpasswd, for the image tests\' authenticated registry'],
  ['openssl', 'the image tests\' token-auth registry certificate'],
  ['pci.ids', 'PCI vendor and device names for the Devices page (/usr/share/misc/pci.ids)'],
  ['qemu-system-common', 'qemu-storage-daemon, the vhost-user-blk backend'],
  ['qemu-user', 'qemu-x86_64: makes the guest agent\'s V8 snapshot on the TCG guest\'s CPU model'],
  ['e2fsprogs', 'mkfs.ext4, for block-device images in tests'],
  ['passt', 'user-mode networking (--network user) as a helper per sandbox; QEMU slirp when absent'],
];

function log(msg) {
  process.stdout.write(`setup: ${msg}\n`);
}

function missingPackages() {
  const names = PACKAGES.map(([name]) => name);
  const res = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...names], { encoding: 'utf8' });
  const installed = new Set(
    (res.stdout ?? '').split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]),
  );
  return names.filter((n) => !installed.has(n));
}

function run(cmd, args, env = {}) {
  const res = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env: { ...process.env, ...env } });
  if (res.error) throw res.error;
  if (res.status !== 0) {
    log(`'${cmd} ${args.join(' ')}' failed with exit code ${res.status}`);
    process.exit(res.status ?? 1);
  }
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.proto')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const hasDpkg = spawnSync('dpkg-query', ['--version']).status === 0;
if (!hasDpkg) {
  log('this is not a Debian-based system; install the equivalents of: ' + PACKAGES.map(([n, why]) => `${n} (${why})`).join(', '));
  process.exit(1);
}

const missing = missingPackages();
if (missing.length > 0) {
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    log(`missing Debian packages: ${missing.join(', ')}`);
    log(`run as root:  sudo sh -c '${cmd}'`);
    process.exit(1);
  }
  log(`installing Debian packages: ${missing.join(', ')}`);
  run('apt-get', ['update', '-q']);
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { DEBIAN_FRONTEND: 'noninteractive' });
} else {
  log('Debian packages present');
}
// Installing docker-registry enables its system service (a registry on :5000 for everyone): Vessel's
// tests start their own on loopback, so the service is switched off.
if (existsSync('/etc/systemd/system/multi-user.target.wants/docker-registry.service') && typeof process.getuid === 'function' && process.getuid() === 0) {
  spawnSync('systemctl', ['disable', '--now', 'docker-registry'], { stdio: 'ignore' });
  spawnSync('rm', ['-f', '/etc/systemd/system/multi-user.target.wants/docker-registry.service']);
}

// Dependency install scripts are off (.npmrc): run the ones Vessel needs.
// node-pty is a native addon (guest TTYs; built here, copied into the guest image).
if (!existsSync(path.join(root, 'node_modules', 'node-pty', 'build', 'Release', 'pty.node'))) {
  log('building node-pty (native addon)');
  run('npm', ['rebuild', 'node-pty', '--ignore-scripts=false']);
}
// Electron's binary is a download from its release host: try it, and carry on
// without it (npm start then serves the same app in browser mode).
const electronDir = path.join(root, 'node_modules', 'electron');
if (existsSync(path.join(electronDir, 'install.js')) && !existsSync(path.join(electronDir, 'path.txt'))) {
  const res = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], { cwd: electronDir, encoding: 'utf8', timeout: 180_000 });
  const why = `${res.stderr ?? ''}${res.error ? String(res.error) : ''}`.trim().split('\n').find((l) => /error/i.test(l)) ?? `exit status ${res.status}`;
  log(res.status === 0 ? 'Electron binary installed: npm start opens the desktop window' : `no Electron binary (${why.slice(0, 160)}): npm start serves the app in browser mode`);
}

// Build the TypeScript unless dist/ is newer than every source file.
const stamp = path.join(root, 'dist', '.build-stamp');
const sources = Math.max(...['core', 'guest', 'electron', 'bench'].map((d) => (existsSync(path.join(root, d)) ? newestMtime(path.join(root, d)) : 0)));
if (!existsSync(stamp) || statSync(stamp).mtimeMs < sources) {
  log('building TypeScript');
  run('npm', ['run', '-s', 'build']);
} else {
  log('TypeScript build up to date');
}

log('building the guest image');
run('node', ['dist/guest/build/main.js']);
log('done');
