import { Command } from 'commander';
import { z } from 'zod';
import { VesselError } from '../contract/index.js';
import type { FactoryStatus as FactoryStatusReport } from '../contract/index.js';
import { createFactory, readFactoryConfig, TemplateSpec, templateHash, writeFactoryConfig } from '../factory/index.js';
import { factoryStatus } from '../factory/status.js';
import { sandboxVmConfig } from '../factory/defaults.js';
import { QemuHypervisor } from '../hypervisor/qemu/qemu.js';
import { QemuSnapshotDriver } from '../hypervisor/qemu/snapshot.js';
import { TemplateStore } from '../factory/template.js';
import type { CliContext } from './container-commands.js';

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

export function formatFactoryStatus(r: FactoryStatusReport): string {
  const lines = [
    `templates:   ${r.enableTemplate ? 'enabled' : 'disabled'} (enable_template in ${r.configFile})`,
    `path:        ${r.templatePath}`,
    `vm cache:    ${r.vmCacheNumber} VM(s) configured (${r.vmCacheEndpoint}); ${r.cache.running ? `server pid ${String(r.cache.pid)}` : 'no cache server running'}`,
    `requests:    ${r.requests}${r.hitRate === null ? '' : `, hit rate ${(r.hitRate * 100).toFixed(0)} %`} (${Object.entries(r.hits).map(([k, v]) => `${k} ${v}`).join(', ') || 'none yet'})`,
  ];
  if (r.templates.length === 0) lines.push('no templates');
  for (const t of r.templates) {
    lines.push(`template ${t.hash.slice(0, 12)}  ${t.vcpus} vCPU ${t.memoryMiB} MiB  age ${t.ageSeconds} s  size ${mib(t.sizeBytes)} (state ${(t.stateBytes / 1024).toFixed(0)} KiB)  hits ${t.hits}  built in ${(t.buildMs / 1000).toFixed(1)} s`);
  }
  for (const b of r.building) lines.push(`building template ${b.slice(0, 12)}…`);
  for (const f of r.foreignEntries) lines.push(`not a template (left alone): ${f}`);
  for (const f of r.lastFallbacks) lines.push(`fallback ${f.at}: ${f.reason}`);
  return lines.join('\n');
}

function parseCacheCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new VesselError('E_INVALID_ARGUMENT', `--cache must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n > 64) throw new VesselError('E_INVALID_ARGUMENT', '--cache must be at most 64');
  return n;
}

export function registerFactoryCommands(program: Command, ctx: CliContext): void {
  const factory = program.command('factory').description('VM factory: templates and the VM cache, for fast sandbox creation');

  factory
    .command('init')
    .description('turn the factory on and build the template of a default sandbox (with --template)')
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
      const status = factoryStatus(root);
      if (opts.json) ctx.printJson(status);
      else {
        ctx.print(formatFactoryStatus(status));
        if (opts.cache) ctx.print('note: vm_cache_number is recorded, but the VM cache server is not built yet: sandboxes come from templates or cold boots');
      }
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
    .description('remove every template and turn the factory off (entries Vessel did not make are left alone)')
    .option('--json', 'JSON output', false)
    .action(async (opts: { json: boolean }) => {
      const root = ctx.rt().root;
      const parts = createFactory(root, process.env);
      const removed = parts.templates.destroy();
      await writeFactoryConfig(root, { ...parts.config, enable_template: false, vm_cache_number: 0 });
      if (opts.json) ctx.printJson({ removedTemplates: removed });
      else ctx.print(`removed ${removed.length} template(s); factory off`);
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
