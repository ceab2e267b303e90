import { mkdtempSync, readlinkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { makeErofs, renderStage1Init, ROOT_IMAGE_ALIGN, stage1Entries, stageTree } from './rootfs.js';

const hasMkfsErofs = spawnSync('mkfs.erofs', ['--help']).error === undefined;

describe('the shared root image recipe', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vessel-rootfs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stage 1 finds pmem0 (DAX) or vda, switches root, and refuses unsafe module paths', () => {
    const init = renderStage1Init(['/lib/modules/erofs.ko']);
    expect(init).toContain('insmod "$m"');
    expect(init).toContain('/dev/pmem0 /dev/vda');
    expect(init).toContain('ro,dax=always');
    expect(init).toContain('exec $B switch_root /newroot /init');
    expect(() => renderStage1Init(['/lib/modules/x.ko; reboot'])).toThrow(/unsafe/);
  });

  it('stage-1 entries hold busybox, the modules and /init only', () => {
    const entries = stage1Entries('/bin/busybox', [{ name: 'erofs', data: Buffer.from('ko') }]);
    expect(entries.map((e) => e.path)).toEqual(['bin', 'dev', 'proc', 'sys', 'lib', 'lib/modules', 'dev/console', 'dev/null', 'bin/busybox', 'bin/sh', 'lib/modules/erofs.ko', 'init']);
  });

  it('stages a tree (files, data, symlinks; no device nodes) and refuses ..', () => {
    const src = path.join(dir, 'src');
    writeFileSync(src, 'payload');
    const tree = path.join(dir, 'tree');
    stageTree([
      { type: 'dir', path: 'usr/bin' },
      { type: 'file', path: 'usr/bin/tool', mode: 0o755, source: src },
      { type: 'data', path: 'etc/hostname', mode: 0o644, data: Buffer.from('vessel\n') },
      { type: 'symlink', path: 'bin/sh', target: '/bin/busybox' },
      { type: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 },
    ], tree);
    expect(readFileSync(path.join(tree, 'usr/bin/tool'), 'utf8')).toBe('payload');
    expect(statSync(path.join(tree, 'usr/bin/tool')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(path.join(tree, 'bin/sh'))).toBe('/bin/busybox');
    expect(() => stageTree([{ type: 'dir', path: 'a/../../x' }], tree)).toThrow(/bad image path/);
  });

  it.skipIf(!hasMkfsErofs)('mkfs.erofs makes an image padded to whole 2 MiB blocks (skipped without erofs-utils)', () => {
    const out = path.join(dir, 'img.erofs');
    const size = makeErofs(path.join(dir, 'tree'), out);
    expect(size % ROOT_IMAGE_ALIGN).toBe(0);
    expect(statSync(out).size).toBe(size);
    // EROFS superblock magic at offset 1024.
    expect(readFileSync(out).readUInt32LE(1024)).toBe(0xe0f5e1e2);
  });
});
