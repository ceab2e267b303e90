import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VesselError } from '../../core/contract/index.js';
import { buildBusyboxRootfs, defaultRootfsDir, isDynamicallyLinked, STAMP_FILE } from './index.js';
import type { BusyboxRootfsResult } from './index.js';

const haveBusybox = existsSync('/bin/busybox') && !isDynamicallyLinked('/bin/busybox');

describe.skipIf(!haveBusybox)('buildBusyboxRootfs (needs Debian busybox-static at /bin/busybox)', () => {
  let tmp: string;
  let dir: string;
  let first: BusyboxRootfsResult;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'vessel-rootfs-'));
    dir = path.join(tmp, 'nested', 'busybox');
    first = await buildBusyboxRootfs(dir);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('copies busybox and links every applet to it', () => {
    expect(first.upToDate).toBe(false);
    expect(first.applets).toBeGreaterThan(100);
    expect(statSync(path.join(dir, 'bin/busybox')).mode & 0o777).toBe(0o755);
    const busybox = realpathSync(path.join(dir, 'bin/busybox'));
    for (const applet of ['sh', 'uname', 'cat', 'stty']) {
      const found = ['bin', 'usr/bin', 'sbin', 'usr/sbin'].map((d) => path.join(dir, d, applet)).find((p) => existsSync(p));
      expect(found, `${applet} link`).toBeDefined();
      const link = found as string;
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link).startsWith('/')).toBe(false); // relative: resolves in the container and on the host
      expect(realpathSync(link)).toBe(busybox);
    }
  });

  it('the links run busybox applets', () => {
    const out = execFileSync(path.join(dir, 'bin/sh'), ['-c', 'echo hello; uname -s'], { encoding: 'utf8' });
    expect(out).toBe('hello\nLinux\n');
  });

  it('has a minimal /etc and the usual top-level directories, /tmp sticky and world-writable', () => {
    expect(statSync(path.join(dir, 'tmp')).mode & 0o7777).toBe(0o1777);
    expect(statSync(path.join(dir, 'root')).mode & 0o777).toBe(0o700);
    for (const d of ['proc', 'sys', 'dev', 'home', 'etc']) expect(statSync(path.join(dir, d)).isDirectory()).toBe(true);
    const passwd = readFileSync(path.join(dir, 'etc/passwd'), 'utf8');
    expect(passwd).toMatch(/^root:x:0:0:/m);
    expect(passwd).toMatch(/^nobody:x:65534:65534:/m);
    expect(readFileSync(path.join(dir, 'etc/group'), 'utf8')).toMatch(/^root:x:0:/m);
    expect(readFileSync(path.join(dir, 'etc/hostname'), 'utf8').trim()).not.toBe('');
    expect(readFileSync(path.join(dir, 'etc/resolv.conf'), 'utf8')).toBe('');
  });

  it('a second run reuses the build (content stamp), a stale stamp rebuilds', async () => {
    const t0 = performance.now();
    const again = await buildBusyboxRootfs(dir);
    expect(again.upToDate).toBe(true);
    expect(again.busyboxSha256).toBe(first.busyboxSha256);
    expect(performance.now() - t0).toBeLessThan(500);

    const stampPath = path.join(dir, STAMP_FILE);
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(stampPath, JSON.stringify({ ...stamp, busyboxSha256: 'stale' }));
    const rebuilt = await buildBusyboxRootfs(dir);
    expect(rebuilt.upToDate).toBe(false);
    expect(existsSync(path.join(dir, 'bin/sh'))).toBe(true);
    expect(JSON.parse(readFileSync(stampPath, 'utf8')).busyboxSha256).toBe(first.busyboxSha256);
  });

  it('leaves a directory it did not build alone', async () => {
    const foreign = path.join(tmp, 'foreign');
    mkdirSync(foreign);
    writeFileSync(path.join(foreign, 'precious'), 'keep me');
    await expect(buildBusyboxRootfs(foreign)).rejects.toMatchObject({ code: 'E_ALREADY_EXISTS' });
    expect(readFileSync(path.join(foreign, 'precious'), 'utf8')).toBe('keep me');
  });
});

describe('buildBusyboxRootfs without a usable busybox', () => {
  it('names busybox-static when busybox is missing', async () => {
    const err: unknown = await buildBusyboxRootfs(path.join(os.tmpdir(), 'vessel-never-built'), { busybox: '/nonexistent/busybox' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VesselError);
    expect((err as VesselError).code).toBe('E_MISSING_DEPENDENCY');
    expect((err as VesselError).message).toContain('busybox-static');
  });

  it.skipIf(!existsSync('/bin/ls') || !isDynamicallyLinked('/bin/ls'))('refuses a dynamically linked binary', async () => {
    const err: unknown = await buildBusyboxRootfs(path.join(os.tmpdir(), 'vessel-never-built'), { busybox: '/bin/ls' }).catch((e: unknown) => e);
    expect((err as VesselError).code).toBe('E_MISSING_DEPENDENCY');
    expect((err as VesselError).message).toMatch(/dynamically linked.*busybox-static/);
  });
});

describe('defaultRootfsDir', () => {
  it('is build/rootfs/busybox in the repository unless VESSEL_ROOTFS_DIR overrides it', () => {
    expect(defaultRootfsDir({})).toMatch(/\/build\/rootfs\/busybox$/);
    expect(existsSync(path.join(path.dirname(path.dirname(path.dirname(defaultRootfsDir({})))), 'package.json'))).toBe(true);
    expect(defaultRootfsDir({ VESSEL_ROOTFS_DIR: '/tmp/x/rootfs' })).toBe('/tmp/x/rootfs');
  });
});
