import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FactoryHint, FactoryStatus } from '../contract/index.js';
import { CreateSandboxRequest } from '../contract/index.js';
import { cacheEndpoint, configFilePath, readFactoryConfig, writeFactoryConfig } from './config.js';
import { sandboxVmConfig } from './defaults.js';
import { createFactory } from './index.js';
import { templateHash, type TemplateInfo } from './template.js';
import { cacheServerStatus, resizeCacheServer, startCacheServer, stopCacheServer } from './cache-client.js';
import { liveCacheServer } from './cache-server.js';

function templateRow(t: TemplateInfo): FactoryStatus['templates'][number] {
  return {
    hash: t.meta.hash,
    createdAt: t.meta.createdAt,
    ageSeconds: Math.round((Date.now() - Date.parse(t.meta.createdAt)) / 1000),
    sizeBytes: t.sizeBytes,
    stateBytes: t.meta.stateBytes,
    hits: t.meta.hits,
    lastUsedAt: t.meta.lastUsedAt,
    vcpus: t.meta.spec.vcpus,
    memoryMiB: t.meta.spec.memoryMiB,
    kernelParams: t.meta.spec.kernelParams,
    buildMs: t.meta.buildMs,
  };
}

function buildsUnderWay(dir: string): string[] {
  try {
    return readdirSync(join(dir, '.locks')).filter((name) => {
      try {
        return readdirSync(join(dir, '.locks', name)).includes('exclusive');
      } catch {
        return false;
      }
    });
  } catch {
    return [];
  }
}

export function factoryStatus(root: string, env: NodeJS.ProcessEnv = process.env): FactoryStatus {
  const parts = createFactory(root, env);
  const { templates, foreign } = parts.templates.list();
  const stats = parts.factory.stats.read();
  const fast = (stats.hits.template ?? 0) + (stats.hits.cache ?? 0);
  return {
    configFile: configFilePath(root),
    enableTemplate: parts.config.enable_template,
    templatePath: parts.templates.dir,
    vmCacheNumber: parts.config.vm_cache_number,
    vmCacheEndpoint: cacheEndpoint(root, parts.config, env),
    templates: templates.map(templateRow),
    building: buildsUnderWay(parts.templates.dir),
    foreignEntries: foreign,
    cache: (({ running, pid, vms, failures, target, pressure }) => ({ running, pid, vms, failures, target, pressure }))(cacheServerStatus(root)),
    requests: stats.requests,
    hits: stats.hits,
    hitRate: stats.requests > 0 ? fast / stats.requests : null,
    lastFallbacks: stats.fallbacks,
  };
}

/** Turn templates on or off (the config file); with build, start building the default sandbox's template in the background. */
export async function setTemplates(root: string, enabled: boolean, build: boolean, env: NodeJS.ProcessEnv = process.env): Promise<FactoryStatus> {
  await writeFactoryConfig(root, { ...readFactoryConfig(root), enable_template: enabled });
  if (enabled && build) {
    const parts = createFactory(root, env);
    parts.templates.ensureDir();
    const spec = await parts.templates.specFor(await sandboxVmConfig(root, {}, env));
    if (!parts.templates.find(templateHash(spec))) parts.templates.buildInBackground(spec);
  }
  return factoryStatus(root, env);
}

/**
 * The VM cache's size (vm_cache_number), applied at once: 0 stops the cache
 * server; a running server of the same VM configuration is resized (the VMs
 * it holds stay); otherwise the server is (re)started with N.
 */
export async function setCacheSize(root: string, n: number, env: NodeJS.ProcessEnv = process.env): Promise<FactoryStatus> {
  await writeFactoryConfig(root, { ...readFactoryConfig(root), vm_cache_number: n });
  const running = liveCacheServer(root);
  if (n === 0) {
    await stopCacheServer(root);
  } else if (running) {
    const parts = createFactory(root, env);
    const hash = templateHash(await parts.templates.specFor(await sandboxVmConfig(root, {}, env)));
    if (running.specHash === hash) {
      await resizeCacheServer(root, n);
    } else {
      // The default sandbox changed (a new guest build, another QEMU): its VMs would never be taken.
      await stopCacheServer(root);
      await startCacheServer(root, env);
    }
  } else {
    await startCacheServer(root, env);
  }
  return factoryStatus(root, env);
}

/** The create dialog's hint: where this sandbox's VM would come from. */
export async function factoryHint(root: string, request: CreateSandboxRequest, env: NodeJS.ProcessEnv = process.env): Promise<FactoryHint> {
  const parts = createFactory(root, env);
  const expected = await parts.factory.expectedSource(await sandboxVmConfig(root, CreateSandboxRequest.parse(request), env));
  const built = parts.templates.list().templates;
  const coldEstimate = built.length > 0 ? Math.max(...built.map((t) => t.meta.buildMs)) : null;
  return { ...expected, expectedMs: expected.expectedMs ?? coldEstimate };
}
