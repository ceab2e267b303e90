import type { Command } from 'commander';
import { VesselError } from '../contract/index.js';
import { parseMemoryMiB } from '../types/index.js';
import { resizeSandbox } from '../api/sandbox-resize.js';
import type { CliContext } from './container-commands.js';

function count(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new VesselError('E_INVALID_ARGUMENT', `${flag} must be a whole number, got "${value}"`);
    return Number(value);
  };
}

function memory(value: string): number {
  return /^\d+$/.test(value.trim()) ? Number(value) : parseMemoryMiB(value);
}

/** `vessel sandbox update ID --cpus N --memory M`: vCPU and memory hot add into a running sandbox. */
export function registerSandboxResize(sandbox: Command, ctx: CliContext): void {
  sandbox
    .command('update <id>')
    .description('grow a running sandbox: hot add vCPUs and memory (within --max-vcpus/--max-memory given at create), onlined in the guest')
    .option('--cpus <n>', 'vCPUs the sandbox should have', count('--cpus'))
    .option('--memory <MiB>', 'memory the sandbox should have, in MiB (or 1G, 768M; whole 128 MiB steps)', memory)
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { cpus?: number; memory?: number; json?: boolean }) => {
      if (opts.cpus === undefined && opts.memory === undefined) throw new VesselError('E_INVALID_ARGUMENT', 'give --cpus and/or --memory');
      const rt = ctx.rt();
      const id = (await rt.sandboxes.fetchSandbox(ref)).id;
      const r = await resizeSandbox(rt.sandboxes, rt.store, id, { ...(opts.cpus !== undefined ? { vcpus: opts.cpus } : {}), ...(opts.memory !== undefined ? { memoryMiB: opts.memory } : {}) });
      if (opts.json) ctx.printJson({ id, ...r });
      else ctx.print(`${id}: ${r.vcpus} vCPU, ${r.memoryMiB} MiB (added ${r.addedVcpus} vCPU, ${r.addedMemoryMiB} MiB; the guest sees ${r.guestCpus} CPU(s), ${Math.round(r.guestMemoryKiB / 1024)} MiB)`);
    });
}
