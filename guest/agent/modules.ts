// Loading the image's on-demand kernel module sets (core/agent/proto/modules.ts):
// what most sandboxes never use is not loaded at boot, where the guest's one
// vCPU is busy starting the agent.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { filesystemModuleSet, moduleSetOrderFile, ON_DEMAND_MODULES_DIR } from '../../core/agent/proto/modules.js';
import { EngineError, runTool } from './engine.js';

export interface ModuleLoader {
  busybox: string;
  modulesDir?: string;
  /** /proc/filesystems (a fixture in tests). */
  procFilesystems?: string;
  /** /sys/module (a fixture in tests). */
  sysModule?: string;
}

/** insmods the set's modules in their recorded order, skipping loaded ones; false when the image has no such set. */
export async function loadModuleSet(set: string, o: ModuleLoader): Promise<boolean> {
  const dir = o.modulesDir ?? ON_DEMAND_MODULES_DIR;
  const orderFile = path.join(dir, moduleSetOrderFile(set));
  if (!existsSync(orderFile)) return false;
  for (const name of readFileSync(orderFile, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean)) {
    if (!/^[a-z0-9_]{1,64}$/.test(name)) throw new EngineError('internal', `bad module name "${name}" in ${orderFile}`);
    if (existsSync(path.join(o.sysModule ?? '/sys/module', name))) continue;
    await runTool(o.busybox, ['insmod', path.join(dir, `${name}.ko`)]);
  }
  return true;
}

function knownFilesystems(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').map((l) => l.split('\t').pop()?.trim() ?? '').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Makes `fsType` mountable: nothing to do when the kernel knows it already
 * (built in, or loaded before); else its on-demand set is loaded. A filesystem
 * the image has no set for is left to mount(8), which then says what it says.
 */
export async function ensureFilesystem(fsType: string, o: ModuleLoader): Promise<void> {
  const proc = o.procFilesystems ?? '/proc/filesystems';
  if (knownFilesystems(proc).includes(fsType)) return;
  await loadModuleSet(filesystemModuleSet(fsType), o);
}
