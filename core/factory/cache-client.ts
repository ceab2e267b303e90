import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import { VesselError } from '../contract/index.js';
import type { HypervisorState, VmPaths } from '../hypervisor/hypervisor.js';
import { vmPathsIn } from '../hypervisor/hypervisor.js';
import { signalIfSame, waitForExit } from '../hypervisor/process.js';
import { BaseVmReply, cacheService, CacheStatusReply, type CachedVmRow } from './cache-proto.js';
import { cacheDir, cliEntry, liveCacheServer, readCacheStatusFile, reapDeadCache, type CacheRecord } from './cache-server.js';

const HypervisorStateJson = z.object({
  type: z.literal('qemu'),
  pid: z.number().int().positive(),
  pidStartTime: z.number().int().nonnegative(),
  accel: z.enum(['kvm', 'tcg']),
  paths: z.object({ runDir: z.string() }).loose(),
}).loose();

/** A VM handed over by the cache, not yet adopted by a sandbox. */
export interface CacheHandout {
  id: string;
  vmDir: string;
  state: HypervisorState;
  source: 'template' | 'direct';
  templateHash?: string;
}

/** Where VmFactory gets cached VMs from (the cache server's client; another in tests). */
export interface CacheSource {
  /** A cached VM of this configuration (its template-spec hash), or why there is none. */
  take(specHash: string): Promise<{ vm: CacheHandout } | { miss: string }>;
  /** Whether a VM of this configuration is ready to be taken now (for the create dialog's estimate). */
  hasReady?(specHash: string): boolean;
}

function unary<T>(endpoint: string, method: 'Config' | 'GetBaseVM' | 'Status' | 'Quit' | 'Resize', timeoutMs: number, schema: z.ZodType<T>, request: object = {}): Promise<T> {
  const Client = cacheService();
  const client = new Client(`unix:${endpoint}`, grpc.credentials.createInsecure());
  return new Promise<T>((resolve, reject) => {
    const fn = (client as unknown as Record<string, (req: object, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, reply: unknown) => void) => void>)[method];
    if (!fn) {
      reject(new VesselError('E_INTERNAL', `no CacheService.${method}`));
      return;
    }
    fn.call(client, request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, reply) => {
      client.close();
      if (err) {
        reject(new VesselError(err.code === grpc.status.DEADLINE_EXCEEDED ? 'E_TIMEOUT' : 'E_HYPERVISOR', `VM cache: ${err.details || err.message}`, { grpcCode: err.code }));
        return;
      }
      const parsed = schema.safeParse(reply);
      if (!parsed.success) reject(new VesselError('E_HYPERVISOR', `VM cache sent a malformed ${method} reply: ${parsed.error.issues[0]?.message ?? ''}`));
      else resolve(parsed.data);
    });
  });
}

/** The cache server's client: finds it by its record (pid + start time), cleans up after a dead one. */
export class VmCacheClient implements CacheSource {
  constructor(private readonly storeRoot: string) {}

  hasReady(specHash: string): boolean {
    const server = liveCacheServer(this.storeRoot);
    return server !== null && server.specHash === specHash && (readCacheStatusFile(this.storeRoot)?.vms ?? []).some((v) => v.state === 'ready');
  }

  async take(specHash: string): Promise<{ vm: CacheHandout } | { miss: string }> {
    const server = liveCacheServer(this.storeRoot);
    if (!server) {
      const killed = reapDeadCache(this.storeRoot);
      return { miss: killed > 0 ? `the VM cache server is gone; its ${killed} leftover VM(s) were stopped` : 'no VM cache server is running (vessel factory init --cache N)' };
    }
    if (server.specHash !== specHash) return { miss: `the VM cache holds VMs of another configuration (${server.specHash.slice(0, 12)}, this sandbox needs ${specHash.slice(0, 12)})` };
    let reply: BaseVmReply;
    try {
      reply = await unary(server.endpoint, 'GetBaseVM', 5_000, BaseVmReply);
    } catch (err) {
      return { miss: err instanceof VesselError ? err.message : String(err) };
    }
    const state = HypervisorStateJson.parse(JSON.parse(reply.hypervisorStateJson)) as unknown as HypervisorState;
    return { vm: { id: reply.id, vmDir: reply.vmDir, state, source: reply.source, ...(reply.templateHash ? { templateHash: reply.templateHash } : {}) } };
  }
}

/**
 * Move a handed-out VM's files into the sandbox's run directory (rename: the
 * same filesystem; QEMU keeps its open sockets, logs and the 9p export's
 * directory across a rename) so the VM is laid out exactly as a direct boot.
 * Returns the state with the sandbox's paths.
 */
export function adoptCachedVm(handout: CacheHandout, paths: VmPaths, sharedDir: string | undefined): HypervisorState {
  const from = vmPathsIn(handout.vmDir);
  const pairs: [string | undefined, string | undefined][] = [
    [from.qmpSocket, paths.qmpSocket], [from.consoleSocket, paths.consoleSocket], [from.agentSocket, paths.agentSocket],
    [from.ioSocket, paths.ioSocket], [from.pidFile, paths.pidFile], [from.logFile, paths.logFile], [from.consoleLog, paths.consoleLog],
  ];
  mkdirSync(paths.runDir, { recursive: true, mode: 0o700 });
  for (const [src, dst] of pairs) {
    if (src && dst && existsSync(src)) renameSync(src, dst);
  }
  // The 9p export: QEMU holds the directory open, so the sandbox's (empty) shared dir is replaced by it.
  if (sharedDir) renameSync(join(handout.vmDir, 'shared'), sharedDir);
  rmSync(handout.vmDir, { recursive: true, force: true });
  return { ...handout.state, paths };
}

/** Whether a directory is missing or empty (a cached VM's shared dir can only replace an empty one). */
export function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return true;
  }
}

export interface CacheServerStatus {
  running: boolean;
  pid: number | null;
  endpoint: string | null;
  vms: CachedVmRow[];
  failures: string[];
  /** VMs the pool holds now: its configured size, or fewer under host memory pressure (then pressure says why). */
  target: number | null;
  pressure: string | null;
}

/** The cache as `factory status` shows it (its status file: no RPC, so it is cheap and synchronous). */
export function cacheServerStatus(storeRoot: string): CacheServerStatus {
  const server = liveCacheServer(storeRoot);
  if (!server) return { running: false, pid: null, endpoint: null, vms: [], failures: [], target: null, pressure: null };
  const file = readCacheStatusFile(storeRoot);
  return { running: true, pid: server.pid, endpoint: server.endpoint, vms: file?.vms ?? [], failures: file?.failures ?? [], target: file?.target ?? server.number, pressure: file?.pressure ?? null };
}

/**
 * Change the running cache server's size (Resize: the VMs it holds stay, extra
 * ones are stopped, a bigger pool refills). Null when no server runs.
 */
export async function resizeCacheServer(storeRoot: string, n: number): Promise<CacheStatusReply | null> {
  const server = liveCacheServer(storeRoot);
  return server ? unary(server.endpoint, 'Resize', 30_000, CacheStatusReply, { number: n }) : null;
}

/** The Status RPC (Kata's CacheService.Status). */
export async function queryCacheStatus(storeRoot: string): Promise<CacheStatusReply | null> {
  const server = liveCacheServer(storeRoot);
  return server ? unary(server.endpoint, 'Status', 5_000, CacheStatusReply) : null;
}

/**
 * Start the cache server detached (under its supervisor) unless one runs;
 * resolves once it answers Config. Its output goes to vm-cache/cache.log.
 */
export async function startCacheServer(storeRoot: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 20_000): Promise<CacheRecord> {
  const running = liveCacheServer(storeRoot);
  if (running) return running;
  reapDeadCache(storeRoot);
  const cli = cliEntry();
  if (!cli) throw new VesselError('E_INTERNAL', 'cannot find the vessel CLI to start the cache server');
  const dir = cacheDir(storeRoot);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const log = openSync(join(dir, 'cache.log'), 'a', 0o600);
  try {
    const child = spawn(process.execPath, [cli, 'factory', 'cache-supervise'], { detached: true, stdio: ['ignore', log, log], env: { ...env, VESSEL_ROOT: storeRoot } });
    child.on('error', () => undefined);
    child.unref();
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rec = liveCacheServer(storeRoot);
    if (rec) {
      try {
        await unary(rec.endpoint, 'Config', 2_000, z.unknown());
        return rec;
      } catch {
        // bound a moment later
      }
    }
    if (Date.now() > deadline) throw new VesselError('E_TIMEOUT', `the VM cache server did not start within ${timeoutMs / 1000} s: see ${join(dir, 'cache.log')}`);
    await sleep(100);
  }
}

/** Quit the cache server (its VMs are stopped), wait for it and its supervisor; kill and reap if it does not go. */
export async function stopCacheServer(storeRoot: string): Promise<{ stopped: boolean; reaped: number }> {
  const server = liveCacheServer(storeRoot);
  if (!server) return { stopped: false, reaped: reapDeadCache(storeRoot) };
  try {
    await unary(server.endpoint, 'Quit', 10_000, z.unknown());
  } catch {
    signalIfSame(server.pid, server.pidStartTime, 'SIGTERM');
  }
  if (!(await waitForExit(server.pid, server.pidStartTime, 60_000))) signalIfSame(server.pid, server.pidStartTime, 'SIGKILL');
  await waitForExit(server.pid, server.pidStartTime, 5_000);
  const reaped = reapDeadCache(storeRoot);
  if (server.supervisor) await waitForExit(server.supervisor.pid, server.supervisor.pidStartTime, 10_000);
  return { stopped: true, reaped };
}
