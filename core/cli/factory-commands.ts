import { Command } from 'commander';
import { z } from 'zod';
import { VesselError } from '../contract/index.js';
import type { FactoryStatus as FactoryStatusReport } from '../contract/index.js';
import { createFactory, MAX_CACHE_VMS, readFactoryConfig, TemplateSpec, templateHash, writeFactoryConfig } from '../factory/index.js';
import { factoryStatus, setCacheSize } from '../factory/status.js';
import { sandboxVmConfig } from '../factory/defaults.js';
import { QemuHypervisor } from '../hypervisor/qemu/qemu.js';
import { QemuSnapshotDriver } from '../hypervisor/qemu/snapshot.js';
import { TemplateStore } from '../factory/template.js';
import type { CliContext } from './container-commands.js';
import { stopCacheServer } from '../factory/cache-client.js';
import { runCacheServer, superviseCacheServer } from '../factory/cache-server.js';

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

export function formatFactoryStatus(r: FactoryStatusReport): string {
  const lines = [
    `templates:   ${r.enableTemplate ? 'enabled' : 'disabled'} (enable_template in ${r.configFile})`,
    `path:        ${r.templatePath}`,
    `vm cache:    ${r.vmCacheNumber} VM(s) configured (${r.vmCacheEndpoint}); ${r.cache.running ? `server pid ${String(r.cache.pid)}${r.cache.target !== null && r.cache.target !== r.vmCacheNumber ? `, holding ${r.cache.target}` : ''}` : 'no cache server running'}`,
    ...(r.cache.pressure ? [`             ${r.cache.pressure}`] : []),
    `requests:    ${r.requests}${r.hitRate === null ? '' : `, hit rate ${(r.hitRate * 100).toFixed(0)} %`} (${Object.entries(r.hits).map(([k, v]) => `${k} ${v}`).join(', ') || 'none yet'})`,
  ];
  if (r.templates.length === 0) lines.push('no templates');
  for (const t of r.templates) {
    lines.push(`template ${t.hash.slice(0, 12)}  ${t.vcpus} vCPU ${t.memoryMiB} MiB  age ${t.ageSeconds} s  size ${mib(t.sizeBytes)} (state ${(t.stateBytes / 1024).toFixed(0)} KiB)  hits ${t.hits}  built in ${(t.buildMs / 1000).toFixed(1)} s`);
  }
  for (const v of r.cache.vms) lines.push(`cached VM ${v.id}  pid ${v.pid}  ${v.state}  from ${v.source}${v.state === 'ready' ? `  booted in ${(v.bootMs / 1000).toFixed(1)} s  since ${v.createdAt}` : ''}`);
  for (const f of r.cache.failures) lines.push(`cache: ${f}`);
  for (const b of r.building) lines.push(`building template ${b.slice(0, 12)}…`);
  for (const f of r.foreignEntries) lines.push(`not a template (left alone): ${f}`);
  for (const f of r.lastFallbacks) lines.push(`fallback ${f.at}: ${f.reason}`);
  return lines.join('\n');
}

function parseCacheCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new VesselError('E_INVALID_ARGUMENT', `--cache must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n > MAX_CACHE_VMS) throw new VesselError('E_INVALID_ARGUMENT', `--cache must be at most ${MAX_CACHE_VMS}`);
  return n;
}

export function registerFactoryCommands(program: Command, ctx: CliContext): void {
  const factory = program.command('factory').description('VM factory: templates and the VM cache, for fast sandbox creation');

  factory
    .command('init')
    .description('turn the factory on: build the template of a default sandbox (--template), start the VM cache server holding N paused VMs (--cache N)')
    .option('--template', 'enable templates and build one now', false)
    .option('--cache <n>', 'VMs to keep in the VM cache (vm_cache_number)', parseCacheCount)
    .option('--json', 'JSON output', false)
    .action(async (opts: { template: boolean; cache?: number; json: boolean }) => {
      const root = ctx.rt().root;
      const current = readFactoryConfig(root);
      const next = { ...current, enable_template: opts.template || current.enable_template, ...(opts.cache !== undefined ? { vm_cache_number: opts.cache } : {}) };
      await writeFactoryConfig(root, next);
      const parts = createFactory(root, process.env);
      parts.templates.ensureDir();
      if (opts.template) {
        const spec = await parts.templates.specFor(await sandboxVmConfig(root, {}, process.env));
        const info = await parts.templates.build(spec, { onProgress: (m) => ctx.progress(opts.json)('factory', m) });
        if (!opts.json && info) ctx.print(`template ${info.meta.hash.slice(0, 12)} ready at ${info.dir}`);
      }
      if (opts.cache !== undefined) {
        // Applied at once: 0 stops the server, a running one is resized (the VMs it holds stay), else it starts.
        const s = await setCacheSize(root, opts.cache, process.env);
        if (!opts.json && opts.cache > 0) ctx.print(`VM cache server running (pid ${String(s.cache.pid)}, ${s.vmCacheEndpoint}); holding ${opts.cache} VM(s), filled in the background`);
      }
      const status = factoryStatus(root);
      if (opts.json) ctx.printJson(status);
      else ctx.print(formatFactoryStatus(status));
    });

  factory
    .command('status')
    .description('templates (hash, age, size, hits), the VM cache, hit rate and the last fallback reasons')
    .option('--json', 'JSON output', false)
    .action((opts: { json: boolean }) => {
      const status = factoryStatus(ctx.rt().root);
      if (opts.json) ctx.printJson(status);
      else ctx.print(formatFactoryStatus(status));
    });

  factory
    .command('destroy')
    .description('stop the VM cache server (its VMs with it), remove every template and turn the factory off (entries Vessel did not make are left alone)')
    .option('--json', 'JSON output', false)
    .action(async (opts: { json: boolean }) => {
      const root = ctx.rt().root;
      const parts = createFactory(root, process.env);
      const cache = await stopCacheServer(root);
      const removed = parts.templates.destroy();
      await writeFactoryConfig(root, { ...parts.config, enable_template: false, vm_cache_number: 0 });
      if (opts.json) ctx.printJson({ removedTemplates: removed, cacheServerStopped: cache.stopped, reapedVms: cache.reaped });
      else ctx.print(`${cache.stopped ? 'VM cache server stopped; ' : ''}removed ${removed.length} template(s); factory off`);
    });

  // Internal: the VM cache server and its supervisor (started detached by factory init --cache N).
  factory
    .command('cache-supervise', { hidden: true })
    .action(async () => {
      await superviseCacheServer(ctx.rt().root, process.env);
    });
  factory
    .command('cache-serve', { hidden: true })
    .action(async () => {
      await runCacheServer(ctx.rt().root, process.env);
      // Serves until Quit or a signal.
      await new Promise<never>(() => undefined);
    });

  // Internal: the background rebuild of a stale or missing template (spawned detached by the factory).
  factory
    .command('build-template', { hidden: true })
    .requiredOption('--spec <json>', 'the template spec')
    .requiredOption('--template-path <dir>', 'the template store')
    .action(async (opts: { spec: string; templatePath: string }) => {
      let raw: unknown;
      try {
        raw = z.unknown().parse(JSON.parse(opts.spec));
      } catch {
        throw new VesselError('E_INVALID_ARGUMENT', '--spec is not valid JSON');
      }
      const parsed = TemplateSpec.safeParse(raw);
      if (!parsed.success) throw new VesselError('E_INVALID_ARGUMENT', `--spec is not a template spec: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`);
      const spec = parsed.data;
      const qemu = new QemuHypervisor();
      const store = new TemplateStore({ dir: opts.templatePath, driver: qemu, snapshot: new QemuSnapshotDriver(qemu) });
      const info = await store.build(spec, { wait: false });
      ctx.print(info ? `template ${templateHash(spec).slice(0, 12)} ready` : 'another process is building this template');
    });
}
