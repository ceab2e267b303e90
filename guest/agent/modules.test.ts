import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureFilesystem, loadModuleSet } from './modules.js';

describe('on-demand kernel modules', () => {
  let dir: string;
  let loader: { busybox: string; modulesDir: string; procFilesystems: string; sysModule: string };
  const insmods = (): string[] => {
    try {
      return readFileSync(path.join(dir, 'insmod.log'), 'utf8').trim().split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-modules-'));
    const modulesDir = path.join(dir, 'modules');
    const sysModule = path.join(dir, 'sys-module');
    mkdirSync(modulesDir);
    mkdirSync(sysModule);
    // A stand-in busybox: records what it is asked to insmod.
    const busybox = path.join(dir, 'busybox');
    writeFileSync(busybox, `#!/bin/sh\necho "$@" >> ${dir}/insmod.log\n`, { mode: 0o755 });
    writeFileSync(path.join(modulesDir, 'fs-ext4.order'), 'crc32c_generic\ncrc16\njbd2\next4\n');
    writeFileSync(path.join(dir, 'filesystems'), 'nodev\tsysfs\nnodev\ttmpfs\n\terofs\n');
    loader = { busybox, modulesDir, procFilesystems: path.join(dir, 'filesystems'), sysModule };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a missing filesystem\'s set in its recorded order, skipping modules already in', async () => {
    mkdirSync(path.join(loader.sysModule, 'crc16'));
    await ensureFilesystem('ext4', loader);
    expect(insmods()).toEqual(['crc32c_generic', 'jbd2', 'ext4'].map((m) => `insmod ${loader.modulesDir}/${m}.ko`));
  });

  it('loads nothing for a filesystem the kernel knows, or one the image has no set for', async () => {
    await ensureFilesystem('erofs', loader);
    await ensureFilesystem('xfs', loader);
    expect(insmods()).toEqual([]);
    expect(await loadModuleSet('fs-xfs', loader)).toBe(false);
  });

  it('refuses an order file with a name that is not a module name', async () => {
    writeFileSync(path.join(loader.modulesDir, 'fs-ext4.order'), 'ext4\n../../bin/sh\n');
    await expect(ensureFilesystem('ext4', loader)).rejects.toThrow(/bad module name/);
  });
});
