import type { Command } from 'commander';
import { formatStatus } from './format.js';
import type { CliContext } from './container-commands.js';

/** `vessel sandbox checkpoint ID [--leave-running] [--to DIR]` and `vessel sandbox restore DIR [--name N]`. */
export function registerCheckpointCommands(sandbox: Command, ctx: CliContext): void {
  sandbox
    .command('checkpoint <id>')
    .description('save a sandbox\'s VM (memory and device state, containers and their processes) to a directory; the sandbox stops unless --leave-running')
    .option('--leave-running', 'resume the sandbox after saving it')
    .option('--to <dir>', 'a new or empty directory for the checkpoint (default: STORE/checkpoints/ID-TIME)')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { leaveRunning?: boolean; to?: string; json?: boolean }) => {
      const rt = ctx.rt();
      const id = (await rt.sandboxes.fetchSandbox(ref)).id;
      const r = await rt.sandboxes.checkpointSandbox(id, { ...(opts.leaveRunning ? { leaveRunning: true } : {}), ...(opts.to !== undefined ? { to: opts.to } : {}) }, ctx.progress(Boolean(opts.json)));
      if (opts.json) ctx.printJson(r);
      else ctx.print(`${r.dir}\ncheckpoint ${r.checkpointId} of ${id}: ${(r.stateBytes / 1048576).toFixed(1)} MiB, paused ${(r.pausedMs / 1000).toFixed(1)} s; ${r.leftRunning ? 'the sandbox runs on' : 'the sandbox is stopped'}`);
    });
  sandbox
    .command('restore <dir>')
    .description('bring a checkpoint back: as the same sandbox when its ID is free (or it is the stopped sandbox it was taken of), else as a fork with a new ID, RNG seed, machine-id and hostname')
    .option('--name <name>', 'name of the restored sandbox (a fork defaults to NAME-fork-XXXX)')
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: { name?: string; json?: boolean }) => {
      const s = await ctx.rt().sandboxes.restoreSandbox(dir, opts.name !== undefined ? { name: opts.name } : {}, ctx.progress(Boolean(opts.json)));
      if (opts.json) ctx.printJson(s);
      else ctx.print(formatStatus(s));
    });
}
