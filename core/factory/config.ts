import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statfsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { VesselError } from '../contract/index.js';
import { writeFileAtomic } from '../store/atomic.js';

/** The most VMs a VM cache holds. */
export const MAX_CACHE_VMS = 64;

/**
 * The factory section of Vessel's config file (STORE_ROOT/config.json), with
 * Kata's key names (configuration-qemu.toml [factory]):
 *
 *   { "factory": { "enable_template": true, "template_path": "/run/vessel/templates",
 *                  "vm_cache_number": 0, "vm_cache_endpoint": "/run/vessel/cache.sock" } }
 *
 * Other sections of the file are kept as they are.
 */
export const FactoryConfig = z.object({
  enable_template: z.boolean().default(false),
  template_path: z.string().refine(isAbsolute, 'template_path must be an absolute path').optional(),
  vm_cache_number: z.number().int().min(0).max(MAX_CACHE_VMS).default(0),
  vm_cache_endpoint: z.string().refine(isAbsolute, 'vm_cache_endpoint must be an absolute path').optional(),
}).strict();
export type FactoryConfig = z.infer<typeof FactoryConfig>;

const ConfigFile = z.object({ factory: FactoryConfig.optional() }).loose();

export const CONFIG_FILE_NAME = 'config.json';

export function configFilePath(storeRoot: string): string {
  return join(storeRoot, CONFIG_FILE_NAME);
}

function readConfigFile(storeRoot: string): Record<string, unknown> {
  const file = configFilePath(storeRoot);
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new VesselError('E_CORRUPT_STATE', `${file} is not valid JSON (${err instanceof Error ? err.message : String(err)}): fix or remove it`, { file });
  }
  const parsed = ConfigFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new VesselError('E_INVALID_ARGUMENT', `${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`, { file });
  }
  return parsed.data;
}

export function readFactoryConfig(storeRoot: string): FactoryConfig {
  const data = readConfigFile(storeRoot);
  return FactoryConfig.parse(data.factory ?? {});
}

export async function writeFactoryConfig(storeRoot: string, config: FactoryConfig): Promise<void> {
  const data = readConfigFile(storeRoot);
  mkdirSync(storeRoot, { recursive: true, mode: 0o700 });
  await writeFileAtomic(configFilePath(storeRoot), `${JSON.stringify({ ...data, factory: FactoryConfig.parse(config) }, null, 2)}\n`);
}

const TMPFS_MAGIC = 0x01021994;

function isTmpfs(path: string): boolean {
  try {
    return statfsSync(path).type === TMPFS_MAGIC;
  } catch {
    return false;
  }
}

/**
 * The store's run directory: where VM templates live. tmpfs where available
 * (template RAM is a file there). VESSEL_RUN_DIR overrides; root without a
 * custom store uses /run/vessel when /run is tmpfs; a rootless user
 * $XDG_RUNTIME_DIR/vessel; otherwise /dev/shm, one directory per user and
 * store root, so two stores (tests) never share templates.
 */
export function resolveRunDir(storeRoot: string, env: NodeJS.ProcessEnv = process.env, uid: number = process.getuid?.() ?? -1): string {
  const override = env.VESSEL_RUN_DIR;
  if (override) {
    if (!isAbsolute(override)) throw new VesselError('E_INVALID_ARGUMENT', `VESSEL_RUN_DIR must be an absolute path, got "${override}"`);
    return override;
  }
  const custom = Boolean(env.VESSEL_ROOT);
  if (!custom && uid === 0 && isTmpfs('/run')) return '/run/vessel';
  const xdg = env.XDG_RUNTIME_DIR;
  if (!custom && uid !== 0 && xdg && isAbsolute(xdg)) return join(xdg, 'vessel');
  const tag = createHash('sha256').update(storeRoot).digest('hex').slice(0, 10);
  return join(isTmpfs('/dev/shm') ? '/dev/shm' : '/tmp', `vessel-${uid < 0 ? 'u' : uid}-${tag}`);
}

export function templateDir(storeRoot: string, config: FactoryConfig, env: NodeJS.ProcessEnv = process.env): string {
  return config.template_path ?? join(resolveRunDir(storeRoot, env), 'templates');
}

export function cacheEndpoint(storeRoot: string, config: FactoryConfig, env: NodeJS.ProcessEnv = process.env): string {
  return config.vm_cache_endpoint ?? join(resolveRunDir(storeRoot, env), 'cache.sock');
}
