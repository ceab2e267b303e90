import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFilePath, readFactoryConfig, resolveRunDir, templateDir, writeFactoryConfig } from './config.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'vf9c-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('factory configuration (Kata key names in Vessel\'s config file)', () => {
  it('defaults: templates off, no cache', () => {
    expect(readFactoryConfig(tmp())).toEqual({ enable_template: false, vm_cache_number: 0 });
  });

  it('writing keeps the other sections of the file', async () => {
    const root = tmp();
    writeFileSync(configFilePath(root), JSON.stringify({ network: { keep: true } }));
    await writeFactoryConfig(root, { enable_template: true, vm_cache_number: 2, template_path: '/dev/shm/t' });
    expect(JSON.parse(readFileSync(configFilePath(root), 'utf8'))).toEqual({ network: { keep: true }, factory: { enable_template: true, vm_cache_number: 2, template_path: '/dev/shm/t' } });
    expect(readFactoryConfig(root).template_path).toBe('/dev/shm/t');
  });

  it('bad files are clear errors: broken JSON, unknown keys, relative paths', () => {
    const root = tmp();
    writeFileSync(configFilePath(root), '{oops');
    expect(() => readFactoryConfig(root)).toThrow(/not valid JSON/);
    writeFileSync(configFilePath(root), JSON.stringify({ factory: { enable_templates: true } }));
    expect(() => readFactoryConfig(root)).toThrow(/enable_templates|Unrecognized/);
    writeFileSync(configFilePath(root), JSON.stringify({ factory: { template_path: 'relative' } }));
    expect(() => readFactoryConfig(root)).toThrow(/absolute/);
  });

  it('the run directory: VESSEL_RUN_DIR wins; a custom store gets its own directory', () => {
    expect(resolveRunDir('/x', { VESSEL_RUN_DIR: '/run/me' }, 0)).toBe('/run/me');
    expect(() => resolveRunDir('/x', { VESSEL_RUN_DIR: 'rel' }, 0)).toThrow(/absolute/);
    const a = resolveRunDir('/store/a', { VESSEL_ROOT: '/store/a' }, 1000);
    const b = resolveRunDir('/store/b', { VESSEL_ROOT: '/store/b' }, 1000);
    expect(a).not.toBe(b);
    expect(templateDir('/store/a', { enable_template: true, vm_cache_number: 0 }, { VESSEL_RUN_DIR: '/r' })).toBe('/r/templates');
  });
});
