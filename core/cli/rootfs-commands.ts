import { Option, type Command } from 'commander';
import { chooseDefault, factoryKeepsVms, readRootfsDefault, writeRootfsDefault } from '../image/index.js';
import { readFactoryConfig } from '../factory/index.js';
import type { RootfsTransport } from '../contract/index.js';
import type { CliContext } from './container-commands.js';

/** `--rootfs-transport` on the commands that create a sandbox. */
export function addRootfsTransportOption(cmd: Command): Command {
  return cmd.addOption(new Option('--rootfs-transport <transport>', 'how container roots reach the guest (default: the host\'s, see vessel rootfs default)').choices(['9p', 'virtio-fs', 'block']));
}

export function rootfsRequestFrom(opts: { rootfsTransport?: string }): { rootfsTransport?: RootfsTransport } {
  return opts.rootfsTransport !== undefined ? { rootfsTransport: opts.rootfsTransport as RootfsTransport } : {};
}

/** `vessel rootfs default [auto|9p|virtio-fs|block]`: show or persist the host's default transport. */
export function registerRootfsCommands(program: Command, ctx: Pick<CliContext, 'rt' | 'print' | 'printJson'>): void {
  const rootfs = program.command('rootfs').description('how container root filesystems reach the guest (9p, virtio-fs, block)');
  rootfs
    .command('default')
    .description('show the default rootfs transport for new sandboxes, or set it (auto picks by rule)')
    .argument('[transport]', 'auto, 9p, virtio-fs or block')
    .option('--json', 'print JSON')
    .action(async (value: string | undefined, opts: { json?: boolean }) => {
      const root = ctx.rt().root;
      if (value !== undefined) await writeRootfsDefault(root, value);
      const setting = readRootfsDefault(root);
      const choice = chooseDefault(root, process.env, () => factoryKeepsVms(readFactoryConfig(root)));
      if (opts.json) ctx.printJson({ setting, ...choice });
      else ctx.print(`setting: ${setting}\nnew sandboxes get: ${choice.transport} (${choice.reason})`);
    });
}
