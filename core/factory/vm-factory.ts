import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CreateSandboxRequest, toVesselError } from '../contract/index.js';
import type { AgentClient } from '../agent/index.js';
import { nicHotplugPlan, supportsNicHotplug, supportsResourceHotplug, type HypervisorConfig, type HypervisorState, type NicHotplugRequest } from '../hypervisor/hypervisor.js';
import type { SnapshotDriver } from '../hypervisor/snapshot.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { FactoryConfig } from './config.js';
import type { AfterRestoreHook, AgentAccess, Factory, GetVmRequest, GotVm, VmOrigin } from './factory.js';
import { templateHash, TemplateStore, type TemplateInfo } from './template.js';
import { growVm } from './grow.js';
import { adoptCachedVm, isEmptyDir, type CacheHandout, type CacheSource } from './cache-client.js';

/** 512 bytes of host entropy per clone, as Kata's ReseedRandomDev. */
export const RESEED_BYTES = 512;

/**
 * Make a restored VM unique before it runs anything: new RNG seed (credited
 * and the CRNG reseeded), the clock set, a new machine-id. The hostname comes
 * with CreateSandbox (the sandbox's name). One fresh agent connection.
 */
export async function makeUnique(agent: AgentAccess, vm: HypervisorState, timeoutMs: number): Promise<void> {
  await agent(vm, uniqueCalls, timeoutMs);
}

/** What makeUnique asks of the guest, on one connection. */
async function uniqueCalls(client: AgentClient): Promise<void> {
  await client.reseedRandomDev(randomBytes(RESEED_BYTES));
  await Promise.all([client.setGuestDateTime(new Date()), client.setGuestIdentity(randomBytes(16).toString('hex'))]);
}

/**
 * Run a restored clone through the calls its hand-out makes (makeUnique, then
 * the sandbox's first calls), with throwaway values, before it is paused in
 * the VM cache. Under TCG a new QEMU process starts with an empty translation
 * cache, so a clone's first calls pay for translating the guest kernel's and
 * the agent's code paths again; done here, that is off the request path (the
 * cache server keeps the same QEMU process). Nothing here makes the clone
 * unique: makeUnique still runs when it is handed out.
 */
export async function warmUpClone(client: AgentClient): Promise<void> {
  await uniqueCalls(client);
  await client.getGuestDetails();
  await client.check();
}

const FactoryStats = z.object({
  hits: z.record(z.string(), z.number().int().nonnegative()).default({}),
  requests: z.number().int().nonnegative().default(0),
  fallbacks: z.array(z.object({ at: z.string(), reason: z.string() })).default([]),
  /** The last boot times (ms) of each source, newest first: what the create dialog's estimate is made of. */
  recentMs: z.record(z.string(), z.array(z.number().nonnegative())).default({}),
});
export type FactoryStats = z.infer<typeof FactoryStats>;

/** Hit rate and the last fallback reasons, kept next to the templates. */
export class FactoryStatsFile {
  constructor(private readonly file: string) {}

  read(): FactoryStats {
    try {
      return FactoryStats.parse(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch {
      return FactoryStats.parse({});
    }
  }

  /** The median of the last boots from this source, or null before the first. */
  typicalMs(source: VmOrigin['source']): number | null {
    const xs = [...(this.read().recentMs[source] ?? [])].sort((a, b) => a - b);
    return xs.length ? (xs[Math.floor(xs.length / 2)] ?? null) : null;
  }

  async record(source: VmOrigin['source'], fallbackReason?: string, bootMs?: number): Promise<void> {
    try {
      const s = this.read();
      s.requests++;
      s.hits[source] = (s.hits[source] ?? 0) + 1;
      if (bootMs !== undefined) s.recentMs[source] = [Math.round(bootMs), ...(s.recentMs[source] ?? [])].slice(0, 10);
      if (fallbackReason) s.fallbacks = [{ at: new Date().toISOString(), reason: fallbackReason }, ...s.fallbacks].slice(0, 10);
      await writeFileAtomic(this.file, `${JSON.stringify(s, null, 2)}\n`);
    } catch {
      // statistics are best effort
    }
  }
}

export interface VmFactoryOptions {
  /** The factory configuration, or a function read on every request (the config file can change under a running app). */
  config: FactoryConfig | (() => FactoryConfig);
  templates: TemplateStore;
  snapshot: SnapshotDriver;
  /** Rebuild a missing or stale template without blocking the request. Default true. */
  rebuildInBackground?: boolean;
  afterRestore?: AfterRestoreHook;
  /** How long a clone's agent may take to answer after the restore. */
  agentTimeoutMs?: number;
  /** The VM cache (the cache server's client), asked first when vm_cache_number > 0. */
  cache?: CacheSource;
}

/**
 * virtcontainers' factory with the template source: a request gets a clone
 * of the matching template when there is one, else a direct boot with the
 * reason recorded (and the template rebuilt in the background).
 */
export class VmFactory implements Factory {
  readonly stats: FactoryStatsFile;

  constructor(private readonly options: VmFactoryOptions) {
    this.stats = new FactoryStatsFile(join(options.templates.dir, '.stats.json'));
  }

  private currentConfig(): FactoryConfig {
    return typeof this.options.config === 'function' ? this.options.config() : this.options.config;
  }

  /** Where a request's VM would come from now, and about how long that takes (the median of the last boots from that source). */
  async expectedSource(config: HypervisorConfig): Promise<{ source: VmOrigin['source']; reason: string; expectedMs: number | null }> {
    const current = this.currentConfig();
    const cacheOn = current.vm_cache_number > 0 && this.options.cache !== undefined;
    const direct = (reason: string): { source: VmOrigin['source']; reason: string; expectedMs: number | null } => ({ source: 'direct', reason, expectedMs: this.stats.typicalMs('direct') });
    if (!current.enable_template && !cacheOn) return direct('templates are off (enable_template = false) and there is no VM cache');
    const plan = nicHotplugPlan(config.network);
    if ('reason' in plan) return direct(plan.reason);
    const nics = plan.nics.length ? `, then ${plan.nics.length} NIC(s) hot plugged` : '';
    const base = withoutNics(config);
    const spec = await this.options.templates.specFor(base);
    const hash = templateHash(spec);
    if (cacheOn && this.options.cache?.hasReady?.(hash)) return { source: 'cache', reason: `a paused VM, made unique when taken${nics}`, expectedMs: this.stats.typicalMs('cache') ?? 1_000 };
    if (!current.enable_template) return direct('no VM is ready in the warm pool and templates are off');
    const small = growableBase(base);
    const hit = this.options.templates.find(hash) ?? (small ? this.options.templates.find(templateHash(await this.options.templates.specFor(small))) : null);
    return hit
      ? { source: 'template', reason: `template ${hit.meta.hash.slice(0, 12)}${hit.meta.hash !== hash ? ', grown by hot add' : ''}${nics}`, expectedMs: this.stats.typicalMs('template') ?? 2_000 }
      : direct(this.options.templates.missReason(spec));
  }

  async getVM(request: GetVmRequest): Promise<GotVm> {
    const started = Date.now();
    const say = request.onProgress ?? ((): void => undefined);
    const reasons: string[] = [];
    const current = this.currentConfig();
    const enabled = current.enable_template;
    const cacheOn = current.vm_cache_number > 0 && this.options.cache !== undefined;
    // A template or cached VM has no NICs: a clone gets the sandbox's NICs hot plugged after the restore.
    const plan = nicHotplugPlan(request.config.network);
    const nicsWhy = 'reason' in plan
      ? plan.reason
      : plan.nics.length && !supportsNicHotplug(request.driver) ? 'the sandbox has NICs and this driver cannot hot plug them into a restored VM' : null;
    if ((enabled || cacheOn) && nicsWhy !== null) {
      reasons.push(nicsWhy);
      say(`cold boot: ${nicsWhy}`);
    } else if ((enabled || cacheOn) && request.config.sharedDirTransport?.kind === 'virtio-fs') {
      // QEMU 7.2's vhost-user-fs device is unmigratable, and a clone maps the template's RAM privately where virtiofsd needs it shared.
      reasons.push('virtio-fs (vhost-user-fs) cannot be saved or restored by QEMU 7.2, so a template or cached VM cannot carry it; use --rootfs-transport 9p or block with the factory');
      say(`cold boot: ${reasons[0] ?? ''}`);
    } else if (enabled || cacheOn) {
      let hash: string | null = null;
      let spec: Awaited<ReturnType<TemplateStore['specFor']>> | null = null;
      const nics = 'nics' in plan ? plan.nics : [];
      const base = withoutNics(request.config);
      try {
        spec = await this.options.templates.specFor(base);
        hash = templateHash(spec);
      } catch (err) {
        reasons.push(`cannot key this VM: ${toVesselError(err).message}`);
      }
      if (cacheOn && hash !== null) {
        const got = await this.fromCache(hash, request, nics).catch((err: unknown) => ({ miss: `the cached VM failed: ${toVesselError(err).message}` }));
        if ('vm' in got) {
          await this.stats.record('cache', undefined, Date.now() - started);
          return { vm: got.vm, origin: { source: 'cache', ...(got.templateHash ? { templateHash: got.templateHash } : {}), bootMs: Date.now() - started } };
        }
        reasons.push(got.miss);
        say(`not from the VM cache: ${got.miss}`);
      }
      if (enabled && spec !== null && hash !== null) {
        try {
          // A request bigger than the default base, with hot-add room: cloned from the base-sized template with that room, then grown.
          const small = growableBase(base);
          const smallSpec = small ? await this.options.templates.specFor(small) : null;
          const exact = this.options.templates.find(hash);
          const grown = !exact && smallSpec ? this.options.templates.find(templateHash(smallSpec)) : null;
          const template = exact ?? grown;
          if (template) {
            const vm = await this.clone(template, request, grown && small ? small : base, nics, grown ? { vcpus: base.vcpus, memoryMiB: base.memoryMiB } : null);
            const origin: VmOrigin = { source: 'template', templateHash: template.meta.hash, bootMs: Date.now() - started };
            await Promise.all([this.options.templates.recordHit(template), this.stats.record('template', undefined, origin.bootMs)]);
            return { vm, origin };
          }
          // The base-sized template serves every size within its room: that is the one to build.
          const wanted = smallSpec ?? spec;
          let why = smallSpec ? `no template of ${smallSpec.vcpus} vCPU / ${smallSpec.memoryMiB} MiB with this hot-add room to grow to ${base.vcpus} vCPU / ${base.memoryMiB} MiB` : this.options.templates.missReason(spec);
          if (this.options.rebuildInBackground ?? true) {
            if (!this.options.templates.building(templateHash(wanted))) this.options.templates.buildInBackground(wanted);
            why += smallSpec ? '; building it in the background' : '; rebuilding it in the background';
          }
          reasons.push(why);
        } catch (err) {
          reasons.push(`the template path failed: ${toVesselError(err).message}`);
        }
      } else if (!enabled && cacheOn) {
        reasons.push('templates are off (enable_template = false)');
      }
      say(`cold boot: ${reasons.join('; ')}`);
    }
    const fallbackReason = reasons.length ? reasons.join('; ') : undefined;
    const vm = await request.driver.startVM(request.config, request.paths, (_phase, message) => say(message));
    if (enabled || cacheOn) await this.stats.record('direct', fallbackReason, Date.now() - started);
    return { vm, origin: { source: 'direct', ...(fallbackReason ? { fallbackReason } : {}), bootMs: Date.now() - started } };
  }

  /**
   * A VM from the cache: moved into the sandbox's run directory, resumed,
   * made unique. Only for a first boot (the cached VM's shared directory
   * replaces the sandbox's, which must still be empty).
   */
  private async fromCache(hash: string, request: GetVmRequest, nics: NicHotplugRequest[]): Promise<{ vm: HypervisorState; templateHash?: string } | { miss: string }> {
    const cache = this.options.cache;
    if (!cache) return { miss: 'no VM cache' };
    if (request.config.sharedDir && !isEmptyDir(request.config.sharedDir)) return { miss: 'the sandbox already has files in its shared directory (a restart): a cached VM is only for a first boot' };
    const got = await cache.take(hash);
    if ('miss' in got) return got;
    const say = request.onProgress ?? ((): void => undefined);
    say(`taking cached VM ${got.vm.id} (${got.vm.source === 'template' ? 'a template clone' : 'booted ahead'}), paused until now`);
    const handout: CacheHandout = got.vm;
    let vm: HypervisorState = handout.state;
    try {
      vm = adoptCachedVm(handout, request.paths, request.config.sharedDir);
      await request.driver.resumeVM(vm);
      say('cached VM running; reseeding its RNG, setting its clock and machine-id');
      await makeUnique(request.agent, vm, this.options.agentTimeoutMs ?? 60_000);
      await plugNics(request, vm, nics);
      await this.options.afterRestore?.(vm, request.config);
      return { vm, ...(handout.templateHash ? { templateHash: handout.templateHash } : {}) };
    } catch (err) {
      await request.driver.stopVM(vm, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /** A clone: the template's memory file mapped privately (copy-on-write), its device state loaded, made unique. */
  private async clone(template: TemplateInfo, request: GetVmRequest, base: HypervisorConfig, nics: NicHotplugRequest[], growTo: { vcpus: number; memoryMiB: number } | null): Promise<HypervisorState> {
    const say = request.onProgress ?? ((): void => undefined);
    say(`cloning template ${template.meta.hash.slice(0, 12)} (private copy-on-write mapping of its RAM)`);
    const config: HypervisorConfig = { ...base, memoryBackend: { kind: 'file', path: template.memoryFile, shared: false }, incoming: true };
    const vm = await request.driver.startVM(config, request.paths);
    try {
      await this.options.snapshot.loadState(vm, template.stateFile, { ignoreShared: true });
      await request.driver.resumeVM(vm);
      say('clone running; reseeding its RNG, setting its clock and machine-id');
      await makeUnique(request.agent, vm, this.options.agentTimeoutMs ?? 60_000);
      await plugNics(request, vm, nics);
      if (growTo) await growClone(request, vm, growTo, this.options.agentTimeoutMs ?? 60_000);
      await this.options.afterRestore?.(vm, request.config);
      return vm;
    } catch (err) {
      await request.driver.stopVM(vm, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  close(): void {
    // nothing held: templates are files, builds run in their own processes
  }
}

/**
 * The configuration of the template a request can be cloned from and then
 * grown: the default base size (1 vCPU, 512 MiB, or less when the request
 * asks for less) with the request's own hot-add room. Null when the request
 * is that size already, or cannot grow to its size from it (no room, memory
 * not a whole number of 128 MiB blocks more).
 */
export function growableBase(config: HypervisorConfig): HypervisorConfig | null {
  const defaults = CreateSandboxRequest.parse({});
  const vcpus = Math.min(config.vcpus, defaults.vcpus);
  const memoryMiB = Math.min(config.memoryMiB, defaults.memoryMiB);
  if (vcpus === config.vcpus && memoryMiB === config.memoryMiB) return null;
  if (vcpus < config.vcpus && (config.maxVcpus ?? 0) < config.vcpus) return null;
  if (memoryMiB < config.memoryMiB && ((config.maxMemoryMiB ?? 0) < config.memoryMiB || (config.memoryMiB - memoryMiB) % MEMORY_BLOCK_MIB !== 0)) return null;
  return { ...config, vcpus, memoryMiB };
}

/** The guest's memory hot-add unit (x86-64 memory block). */
const MEMORY_BLOCK_MIB = 128;

/** Hot add a clone's vCPUs and memory up to the request's size; the guest brings them online. */
async function growClone(request: GetVmRequest, vm: HypervisorState, to: { vcpus: number; memoryMiB: number }, timeoutMs: number): Promise<void> {
  const driver = request.driver;
  if (!supportsResourceHotplug(driver)) throw new Error('the driver cannot hot add vCPUs or memory');
  const say = request.onProgress ?? ((): void => undefined);
  say(`growing the clone to ${to.vcpus} vCPU / ${to.memoryMiB} MiB (CPU and memory hot add)`);
  const grown = await growVm(driver, vm, request.agent, to, timeoutMs);
  say(`clone grown by ${grown.addedVcpus} vCPU(s) and ${grown.addedMemoryMiB} MiB`);
}

/** The VM's configuration without its NICs: what a template or a cached VM was booted with. */
function withoutNics(config: HypervisorConfig): HypervisorConfig {
  const { network: _network, ...rest } = config;
  return rest;
}

/** The sandbox's NICs, hot plugged into a restored VM in their boot order (net0 first), so the guest names them as a boot would. */
async function plugNics(request: GetVmRequest, vm: HypervisorState, nics: NicHotplugRequest[]): Promise<void> {
  if (nics.length === 0) return;
  const driver = request.driver;
  if (!supportsNicHotplug(driver)) throw new Error('the driver cannot hot plug NICs');
  const say = request.onProgress ?? ((): void => undefined);
  for (const nic of nics) {
    say(`hot plugging NIC ${nic.id} (${nic.kind}) into the restored VM`);
    await driver.hotplugNic(vm, nic, (_phase, message) => say(message));
  }
}
