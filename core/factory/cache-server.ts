import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import { VesselError, toVesselError } from '../contract/index.js';
import { QemuHypervisor } from '../hypervisor/qemu/qemu.js';
import { QemuSnapshotDriver } from '../hypervisor/qemu/snapshot.js';
import { readProcStartTime, isSameProcess } from '../util/proc.js';
import { writeFileAtomic } from '../store/atomic.js';
import { cacheEndpoint, MAX_CACHE_VMS, readFactoryConfig, templateDir } from './config.js';
import { sandboxVmConfig } from './defaults.js';
import { cacheService, type CacheStatusReply } from './cache-proto.js';
import { reapCachedVms, VmCachePool } from './cache-pool.js';
import { PressureGovernor, readMemorySample } from './memory-pressure.js';
import { templateHash, TemplateStore } from './template.js';

/** The cache's directory under the store root: its record, status, log and the cached VMs (same filesystem as the sandboxes: a VM is handed over by rename). */
export function cacheDir(storeRoot: string): string {
  return join(storeRoot, 'vm-cache');
}

export const CacheRecord = z.object({
  pid: z.number().int().positive(),
  pidStartTime: z.number().int().nonnegative(),
  endpoint: z.string(),
  specHash: z.string(),
  number: z.number().int().nonnegative(),
  startedAt: z.string(),
  supervisor: z.object({ pid: z.number().int().positive(), pidStartTime: z.number().int().nonnegative() }).optional(),
});
export type CacheRecord = z.infer<typeof CacheRecord>;

export const CacheStatusFile = z.object({
  updatedAt: z.string(),
  vms: z.array(z.object({ id: z.string(), pid: z.number(), state: z.enum(['booting', 'ready']), source: z.enum(['template', 'direct']), createdAt: z.string(), bootMs: z.number() })),
  failures: z.array(z.string()),
  number: z.number().int().nonnegative().optional(),
  target: z.number().int().nonnegative().optional(),
  pressure: z.string().nullable().optional(),
});

export function readCacheRecord(storeRoot: string): CacheRecord | null {
  try {
    return CacheRecord.parse(JSON.parse(readFileSync(join(cacheDir(storeRoot), 'cache.json'), 'utf8')));
  } catch {
    return null;
  }
}

/** The running cache server, found again by pid and start time; null when there is none (a stale record is ignored). */
export function liveCacheServer(storeRoot: string): CacheRecord | null {
  const rec = readCacheRecord(storeRoot);
  return rec && isSameProcess(rec.pid, rec.pidStartTime) ? rec : null;
}

export function readCacheStatusFile(storeRoot: string): z.infer<typeof CacheStatusFile> | null {
  try {
    return CacheStatusFile.parse(JSON.parse(readFileSync(join(cacheDir(storeRoot), 'status.json'), 'utf8')));
  } catch {
    return null;
  }
}

/**
 * Clean up after a cache server that is gone: kill the VMs it still held,
 * remove its record, status and socket. Returns how many QEMUs were killed.
 * Does nothing while the server runs.
 */
export function reapDeadCache(storeRoot: string): number {
  const rec = readCacheRecord(storeRoot);
  if (rec && isSameProcess(rec.pid, rec.pidStartTime)) return 0;
  const dir = cacheDir(storeRoot);
  const killed = reapCachedVms(join(dir, 'vms'));
  if (rec) rmSync(rec.endpoint, { force: true });
  rmSync(join(dir, 'cache.json'), { force: true });
  rmSync(join(dir, 'status.json'), { force: true });
  return killed;
}

/**
 * The cache server (`vessel factory cache-serve`): a pool of N paused VMs of
 * the default sandbox's configuration (clones of its template when there is
 * one), served over gRPC on a 0600 unix socket. Runs until Quit or SIGTERM;
 * its supervisor reaps whatever it leaves if it dies otherwise.
 */
export async function runCacheServer(storeRoot: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = readFactoryConfig(storeRoot);
  if (config.vm_cache_number < 1) throw new VesselError('E_INVALID_ARGUMENT', 'vm_cache_number is 0: start the cache with vessel factory init --cache N');
  const dir = cacheDir(storeRoot);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const endpoint = cacheEndpoint(storeRoot, config, env);
  mkdirSync(dirname(endpoint), { recursive: true, mode: 0o700 });
  const qemu = new QemuHypervisor();
  const snapshot = new QemuSnapshotDriver(qemu);
  const templates = new TemplateStore({ dir: templateDir(storeRoot, config, env), driver: qemu, snapshot, env });
  const vmConfig = await sandboxVmConfig(storeRoot, {}, env);
  const spec = await templates.specFor(vmConfig);
  const hash = templateHash(spec);
  const log = (m: string): void => {
    process.stdout.write(`${new Date().toISOString()} ${m}\n`);
  };
  let writing = Promise.resolve();
  const writeStatus = (): void => {
    const body = `${JSON.stringify({ updatedAt: new Date().toISOString(), vms: pool.rows(), failures: pool.recentFailures(), number, target: pool.target, pressure: governor.reason }, null, 2)}\n`;
    writing = writing.then(() => writeFileAtomic(join(dir, 'status.json'), body)).catch(() => undefined);
  };
  let number = config.vm_cache_number;
  // Under host memory pressure the pool gives VMs back, one per sample, and grows again once the host is comfortable.
  const governor = new PressureGovernor(number);
  const pool: VmCachePool = new VmCachePool({
    vmsDir: join(dir, 'vms'),
    config: vmConfig,
    number,
    driver: qemu,
    snapshot,
    // Templates are used when on and built; looked up per boot, so one built later is picked up.
    template: () => (readFactoryConfig(storeRoot).enable_template ? templates.find(hash) : null),
    onChange: writeStatus,
    log,
  });

  const sampler = setInterval(() => {
    const before = pool.target;
    const wasShort = governor.reason;
    const target = governor.sample(readMemorySample(env));
    if (target !== before) {
      log(target < before ? `memory pressure: ${governor.reason ?? ''}` : `host memory comfortable: holding ${target} of ${number} VM(s)`);
      void pool.setTarget(target).then(writeStatus);
    } else if (wasShort !== governor.reason) writeStatus();
  }, Number(env.VESSEL_CACHE_PRESSURE_MS ?? '') || PRESSURE_SAMPLE_MS);
  sampler.unref();

  const server = new grpc.Server();
  let quitting: Promise<void> | null = null;
  const quit = (): Promise<void> => {
    quitting ??= (async () => {
      clearInterval(sampler);
      log('quitting: stopping the cached VMs');
      await pool.close();
      await writing;
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      rmSync(endpoint, { force: true });
      rmSync(join(dir, 'cache.json'), { force: true });
      rmSync(join(dir, 'status.json'), { force: true });
    })();
    return quitting;
  };
  const empty = {};
  const statusReply = (): CacheStatusReply => ({ pid: process.pid, vms: pool.rows(), failures: pool.recentFailures(), number, target: pool.target, pressure: governor.reason ?? '' });
  server.addService(cacheService().service, {
    Config: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { specJson: JSON.stringify(spec), specHash: hash, number }),
    GetBaseVM: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => {
      const vm = quitting ? null : pool.take();
      if (!vm) {
        cb({ code: grpc.status.UNAVAILABLE, details: quitting ? 'the VM cache is shutting down' : 'no cached VM is ready yet (the cache is refilling)' }, null);
        return;
      }
      log(`handed out cached VM ${vm.id}`);
      cb(null, { id: vm.id, vmDir: vm.dir, hypervisorStateJson: JSON.stringify(vm.state), cpu: vmConfig.vcpus, memory: vmConfig.memoryMiB, source: vm.source, templateHash: vm.templateHash });
    },
    Status: (_call: unknown, cb: grpc.sendUnaryData<CacheStatusReply>) => cb(null, statusReply()),
    Resize: (call: { request: { number?: number } }, cb: grpc.sendUnaryData<CacheStatusReply>) => {
      const n = call.request.number ?? 0;
      if (!Number.isInteger(n) || n < 1 || n > MAX_CACHE_VMS) {
        cb({ code: grpc.status.INVALID_ARGUMENT, details: `a VM cache holds 1 to ${MAX_CACHE_VMS} VMs (0 stops it: Quit)` }, null);
        return;
      }
      log(`resized from ${number} to ${n} VM(s)`);
      number = n;
      governor.configure(n);
      void (async () => {
        await pool.setTarget(governor.target);
        await writeFileAtomic(join(dir, 'cache.json'), `${JSON.stringify({ ...record, number }, null, 2)}\n`);
        writeStatus();
        cb(null, statusReply());
      })().catch((err: unknown) => cb({ code: grpc.status.INTERNAL, details: toVesselError(err).message }, null));
    },
    Quit: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => {
      cb(null, empty);
      setImmediate(() => void quit().then(() => process.exit(0)));
    },
  });
  rmSync(endpoint, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix:${endpoint}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(toVesselError(err, 'E_INTERNAL')) : resolve()));
  });
  chmodSync(endpoint, 0o600);
  const startTime = readProcStartTime(process.pid) ?? 0;
  const supervisorPid = Number(env.VESSEL_CACHE_SUPERVISOR ?? '');
  const supStart = Number.isInteger(supervisorPid) && supervisorPid > 0 ? readProcStartTime(supervisorPid) : null;
  const record: CacheRecord = {
    pid: process.pid, pidStartTime: startTime, endpoint, specHash: hash, number: config.vm_cache_number, startedAt: new Date().toISOString(),
    ...(supStart !== null ? { supervisor: { pid: supervisorPid, pidStartTime: supStart } } : {}),
  };
  await writeFileAtomic(join(dir, 'cache.json'), `${JSON.stringify(record, null, 2)}\n`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void quit().then(() => process.exit(0)));
  log(`VM cache serving ${config.vm_cache_number} VM(s) of ${hash.slice(0, 12)} on ${endpoint}`);
  pool.start();
  writeStatus();
}

/** How often the cache server samples host memory. */
export const PRESSURE_SAMPLE_MS = 5_000;

/** The CLI's entry point (compiled, or the repository's dist when running from the sources). */
export function cliEntry(): string | null {
  const here = dirname(new URL(import.meta.url).pathname);
  return [join(here, '..', 'cli', 'main.js'), join(here, '..', '..', 'dist', 'core', 'cli', 'main.js')].find((p) => existsSync(p)) ?? null;
}

/**
 * The supervisor (`vessel factory cache-supervise`): runs the cache server as
 * its child and, whatever way the server ends (Quit, a crash, SIGKILL), kills
 * the VMs it still held and removes its socket and record.
 */
export async function superviseCacheServer(storeRoot: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const cli = cliEntry();
  if (!cli) throw new VesselError('E_INTERNAL', 'cannot find the vessel CLI to run the cache server');
  const child = spawn(process.execPath, [cli, 'factory', 'cache-serve'], { stdio: 'inherit', env: { ...env, VESSEL_CACHE_SUPERVISOR: String(process.pid) } });
  const code = await new Promise<number | null>((resolve) => {
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 : null)));
    child.on('error', () => resolve(null));
  });
  process.stdout.write(`${new Date().toISOString()} cache server exited (${String(code)}); reaping its VMs\n`);
  // A VM whose launch was under way writes its pidfile a moment later: reap twice.
  let killed = reapDeadCache(storeRoot);
  await sleep(2_000);
  killed += reapDeadCache(storeRoot);
  process.stdout.write(`${new Date().toISOString()} reaped ${killed} QEMU process(es)\n`);
}
