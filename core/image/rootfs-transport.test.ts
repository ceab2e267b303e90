import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { descriptorArgs } from './virtiofsd.js';
import { chooseDefault, factoryKeepsVms, openFileHardLimit, readRootfsDefault, rootfsTransportHooks, VIRTIOFSD_MIN_FDS, writeRootfsDefault } from './rootfs-transport.js';

const roots: string[] = [];
function root(): string {
  const r = mkdtempSync(path.join(os.tmpdir(), 'vessel-rfsdef-'));
  roots.push(r);
  return r;
}
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

const withVfs = { VESSEL_VIRTIOFSD: '/bin/true' };
const noVfs = { VESSEL_VIRTIOFSD: '/nonexistent/virtiofsd' };
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describe('the rootfs transport default and per-sandbox choice', () => {
  it('auto: virtio-fs where virtiofsd can run, else 9p, with the reason', () => {
    const r = root();
    expect(readRootfsDefault(r)).toBe('auto');
    expect(chooseDefault(r, noVfs)).toEqual({ transport: '9p', reason: expect.stringMatching(/^auto: virtiofsd not found at \/nonexistent\/virtiofsd/) });
    const fds = openFileHardLimit();
    if (asRoot) {
      const c = chooseDefault(r, withVfs);
      // Below virtiofsd's 1e6 descriptors it must run with timeout=0, measured slower than 9p for reads: 9p, said why.
      if (fds !== null && fds < VIRTIOFSD_MIN_FDS) expect(c).toMatchObject({ transport: '9p', reason: expect.stringMatching(new RegExp(`hard open-files limit \\(${fds}\\).*timeout=0`)) });
      else expect(c.transport).toBe('virtio-fs');
    }
    // With VM templates on, virtio-fs (not templatable in QEMU 7.2) is not the automatic pick.
    expect(chooseDefault(r, withVfs, () => true)).toMatchObject({ transport: '9p', reason: expect.stringMatching(asRoot ? /VM templates or the VM cache are enabled/ : /root/) });
    // Room for memory hot add: hot-added RAM is private, virtiofsd could not reach it.
    expect(chooseDefault(r, withVfs, () => false, { memoryHotAdd: true })).toMatchObject({ transport: '9p', reason: expect.stringMatching(asRoot ? /hot add memory/ : /root/) });
    expect(factoryKeepsVms({ enable_template: false, vm_cache_number: 1 })).toBe(true);
    expect(factoryKeepsVms({ enable_template: false, vm_cache_number: 0 })).toBe(false);
  });

  it('virtiofsd asks for the hard open-files limit and timeout=0 only where the limit is below its 1e6', () => {
    expect(descriptorArgs(20_000)).toEqual(['--rlimit-nofile=20000', '-o', 'timeout=0']);
    expect(descriptorArgs(1_048_576)).toEqual([]);
    expect(descriptorArgs(null)).toEqual([]);
  });

  it('a persisted default survives and wins over auto; unknown values are refused', async () => {
    const r = root();
    await writeRootfsDefault(r, 'block');
    expect(readRootfsDefault(r)).toBe('block');
    expect(chooseDefault(r, noVfs)).toMatchObject({ transport: 'block', reason: expect.stringMatching(/rootfs default/) });
    await expect(writeRootfsDefault(r, 'nfs')).rejects.toThrow(/unknown rootfs transport "nfs": auto, 9p, virtio-fs or block/);
    expect(readRootfsDefault(r)).toBe('block');
  });

  it('a broken config file is a clear error', () => {
    const r = root();
    writeFileSync(path.join(r, 'rootfs-transport.json'), '{"default":"nfs"}');
    expect(() => readRootfsDefault(r)).toThrow(/default must be auto, 9p, virtio-fs or block/);
    writeFileSync(path.join(r, 'rootfs-transport.json'), '{nope');
    expect(() => readRootfsDefault(r)).toThrow(/not valid JSON/);
  });

  it('resolve: unknown transport → E_INVALID_ARGUMENT; virtio-fs without virtiofsd → E_MISSING_DEPENDENCY', () => {
    const hooks = rootfsTransportHooks(root(), noVfs);
    expect(() => hooks.resolve('nfs' as '9p')).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => hooks.resolve('virtio-fs')).toThrow(expect.objectContaining({ code: 'E_MISSING_DEPENDENCY', message: expect.stringMatching(/virtiofsd not found/) }));
    expect(hooks.resolve('9p')).toBe('9p');
    expect(hooks.resolve(undefined)).toBe('9p');
  });
});
