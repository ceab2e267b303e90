import { QemuHypervisor } from '../hypervisor/qemu/qemu.js';
import { QemuSnapshotDriver } from '../hypervisor/qemu/snapshot.js';
import { readFactoryConfig, templateDir, type FactoryConfig } from './config.js';
import { TemplateStore } from './template.js';
import { VmFactory } from './vm-factory.js';
import { VmCacheClient } from './cache-client.js';

export * from './config.js';
export * from './factory.js';
export * from './template.js';
export * from './vm-factory.js';
export * from './cache-client.js';
export { cacheDir, liveCacheServer, reapDeadCache } from './cache-server.js';

export interface FactoryParts {
  config: FactoryConfig;
  templates: TemplateStore;
  snapshot: QemuSnapshotDriver;
  factory: VmFactory;
}

/** The factory as the config file describes it (QEMU driver). */
export function createFactory(storeRoot: string, env: NodeJS.ProcessEnv = process.env, overrides: Partial<FactoryConfig> = {}): FactoryParts {
  const config = { ...readFactoryConfig(storeRoot), ...overrides };
  const qemu = new QemuHypervisor();
  const snapshot = new QemuSnapshotDriver(qemu);
  const templates = new TemplateStore({ dir: templateDir(storeRoot, config, env), driver: qemu, snapshot, env });
  // The config file is read again per request: the app can turn templates on and off while running.
  const factory = new VmFactory({ config: () => ({ ...readFactoryConfig(storeRoot), ...overrides }), templates, snapshot, cache: new VmCacheClient(storeRoot) });
  return { config, templates, snapshot, factory };
}
