#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { toVesselError, VesselError, type SandboxEvent, type SandboxStatus } from '../contract/index.js';
import { createRuntime, type Runtime } from '../api/index.js';
import { parseMemoryMiB } from '../types/index.js';
import { formatHostReport, formatStatus, formatTable } from './format.js';
import { registerContainerCommands } from './container-commands.js';
import { registerFactoryCommands } from './factory-commands.js';
import { registerSandboxResize } from './sandbox-resize-command.js';
import { registerCheckpointCommands } from './checkpoint-commands.js';
import { addNetworkOptions, formatNetworkStatus, networkRequestFrom, registerNetworkCommands } from './network-commands.js';
import { registerImageCommands } from './image-commands.js';
import { registerDeviceCommands } from './device-commands.js';
import { addRootfsTransportOption, registerRootfsCommands, rootfsRequestFrom } from './rootfs-commands.js';
import { serve } from '../serve/server.js';
import { fileURLToPath } from 'node:url';

/**
 * The `vessel` command line. Human output by default, stable JSON with
 * --json. Errors: one line on stderr with a stable code, non-zero exit.
 */

class UsageError extends VesselError {
  constructor(message: string) {
    super('E_INVALID_ARGUMENT', message);
  }
}

function parseCount(flag: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${flag} must be a whole number, got "${value}"`);
    return Number(value);
  };
}

function parseMemory(value: string): number {
  // A bare number is MiB; sizes like 512M, 2G, 1Gi are accepted too.
  if (/^-?\d+$/.test(value.trim())) return Number(value);
  return parseMemoryMiB(value);
}

function print(line: string): void {
  process.stdout.write(line + '\n');
}

function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

function progressPrinter(json: boolean) {
  return (phase: string, message: string): void => {
    if (!json) process.stderr.write(`[${phase}] ${message}\n`);
  };
}

let runtime: Runtime | null = null;
/** Set by commands that run a process: the CLI exits with the process's code. */
let actionExitCode = 0;
function rt(): Runtime {
  runtime ??= createRuntime();
  return runtime;
}

function buildProgram(): Command {
  const program = new Command();
  program
    .name('vessel')
    .description('Hardware-isolated container sandboxes: real VMs, a guest agent, one CLI.')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      // Errors are printed once, in our format, by main(); help still shows.
      writeErr: (text) => {
        if (!text.startsWith('error:')) process.stderr.write(text);
      },
    });

  const host = program.command('host').description('host capabilities');
  host
    .command('check')
    .description('check what this host can run (QEMU, guest image, KVM or TCG and why)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const report = await rt().checkHost();
      if (opts.json) printJson(report);
      else print(formatHostReport(report));
    });

  const sandbox = program.command('sandbox').description('sandbox lifecycle');

  for (const verb of ['create', 'run'] as const) {
    const cmd = addNetworkOptions(sandbox
      .command(verb))
      .description(verb === 'create' ? 'create a sandbox: boot its VM and wait for the guest agent (state: ready)' : 'create and start a sandbox (state: running)')
      .option('--name <name>', 'a name for the sandbox')
      .option('--vcpus <n>', 'virtual CPUs', parseCount('--vcpus'), 1)
      .option('--memory <MiB>', 'memory in MiB (or a size: 512M, 2G)', parseMemory, 512)
      .addOption(new Option('--hypervisor <type>', 'hypervisor').default('qemu'))
      .addOption(new Option('--machine <type>', 'QEMU machine type').choices(['q35', 'pc', 'microvm']).default('q35'))
      .addOption(new Option('--accel <accel>', 'acceleration (auto probes KVM, falls back to TCG)').choices(['auto', 'kvm', 'tcg']).default('auto'))
      .option('--kernel <path>', 'guest kernel (default: the built guest image)')
      .option('--initrd <path>', 'guest initrd (default: the built guest image)')
      .option('--pcie-root-ports <n>', 'q35: PCIe root ports for hot/cold plugged devices (default 8, max 16)', parseCount('--pcie-root-ports'))
      .option('--shared-memory', 'guest RAM in a shared memfd (needed by vhost-user devices)')
      .option('--max-vcpus <n>', 'room to hot add vCPUs later (vessel sandbox update --cpus)', parseCount('--max-vcpus'))
      .option('--max-memory <MiB>', 'room to hot add memory later (vessel sandbox update --memory); q35/pc', parseMemory)
      .option('--viommu', 'q35: a virtual IOMMU, so devices attached in vfio mode reach containers as /dev/vfio/N')
      .option('--json', 'print JSON');
    addRootfsTransportOption(cmd)
      .action(async (opts: { name?: string; vcpus: number; memory: number; hypervisor: string; machine: 'q35' | 'pc' | 'microvm'; accel: 'auto' | 'kvm' | 'tcg'; kernel?: string; initrd?: string; pcieRootPorts?: number; sharedMemory?: boolean; viommu?: boolean; maxVcpus?: number; maxMemory?: number; json?: boolean; network?: string; publish?: string[]; rootfsTransport?: string }) => {
        const request = {
          ...networkRequestFrom(opts),
          ...rootfsRequestFrom(opts),
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          vcpus: opts.vcpus,
          memoryMiB: opts.memory,
          hypervisor: opts.hypervisor as 'qemu',
          machineType: opts.machine,
          accel: opts.accel,
          ...(opts.kernel !== undefined ? { kernel: opts.kernel } : {}),
          ...(opts.initrd !== undefined ? { initrd: opts.initrd } : {}),
          ...(opts.pcieRootPorts !== undefined ? { pcieRootPorts: opts.pcieRootPorts } : {}),
          ...(opts.sharedMemory ? { sharedMemory: true } : {}),
          ...(opts.maxVcpus !== undefined ? { maxVcpus: opts.maxVcpus } : {}),
          ...(opts.maxMemory !== undefined ? { maxMemoryMiB: opts.maxMemory } : {}),
          ...(opts.viommu ? { viommu: true } : {}),
        };
        const onProgress = progressPrinter(Boolean(opts.json));
        const status = verb === 'create' ? await rt().sandboxes.createSandbox(request, onProgress) : await rt().sandboxes.runSandbox(request, onProgress);
        if (opts.json) printJson(status);
        else print(formatStatus(status));
      });
  }

  const simple: Array<[string, string, (id: string, force: boolean, json: boolean) => Promise<SandboxStatus | void>, boolean]> = [
    ['start', 'start a ready or stopped sandbox', (id, _force, json) => rt().sandboxes.startSandbox(id, progressPrinter(json)), false],
    ['stop', 'stop a sandbox (graceful; --force kills the VM)', (id, force) => rt().sandboxes.stopSandbox(id, { force }), true],
    ['pause', 'pause a running sandbox (its vCPUs stop)', (id) => rt().sandboxes.pauseSandbox(id), false],
    ['resume', 'resume a paused sandbox', (id) => rt().sandboxes.resumeSandbox(id), false],
    ['delete', 'delete a sandbox (refused while running unless --force)', (id, force) => rt().sandboxes.deleteSandbox(id, { force }), true],
  ];
  for (const [verb, description, fn, hasForce] of simple) {
    const cmd = sandbox.command(`${verb} <id>`).description(description).option('--json', 'print JSON');
    if (hasForce) cmd.option('--force', verb === 'stop' ? 'kill the VM instead of stopping it gracefully' : 'delete even while running');
    cmd.action(async (ref: string, opts: { force?: boolean; json?: boolean }) => {
      const id = (await rt().sandboxes.fetchSandbox(ref)).id;
      const result = await fn(id, Boolean(opts.force), Boolean(opts.json));
      if (opts.json) printJson(result ?? { id, deleted: true });
      else print(result ? `${result.id} ${result.state}` : `${id} deleted`);
    });
  }

  sandbox
    .command('list')
    .alias('ls')
    .description('list sandboxes')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const all = await rt().sandboxes.listSandbox();
      if (opts.json) printJson(all);
      else print(all.length === 0 ? "no sandboxes: create one with 'vessel sandbox create'" : formatTable(all));
    });

  sandbox
    .command('status <id>')
    .description('show a sandbox (asks the guest agent for live details when the VM is up)')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const id = (await rt().sandboxes.fetchSandbox(ref)).id;
      const status = await rt().sandboxes.statusSandbox(id, { live: true });
      if (opts.json) printJson(status);
      else print([formatStatus(status), ...formatNetworkStatus(status.network)].join('\n'));
    });

  registerNetworkCommands(program, { rt, print, printJson });
  registerContainerCommands(program, {
    rt,
    print,
    printJson,
    progress: progressPrinter,
    setExitCode: (code) => {
      actionExitCode = code;
    },
  });

  registerImageCommands(program, { rt, print, printJson, progress: progressPrinter, setExitCode: (code) => { actionExitCode = code; } });
  registerRootfsCommands(program, { rt, print, printJson });
  registerDeviceCommands(program, { rt, print, printJson, progress: progressPrinter, setExitCode: (code) => { actionExitCode = code; } });
  registerSandboxResize(sandbox, { rt, print, printJson, progress: progressPrinter, setExitCode: (code) => { actionExitCode = code; } });
  registerCheckpointCommands(sandbox, { rt, print, printJson, progress: progressPrinter, setExitCode: (code) => { actionExitCode = code; } });
  registerFactoryCommands(program, { rt, print, printJson, progress: progressPrinter, setExitCode: (code) => { actionExitCode = code; } });

  program
    .command('serve')
    .description('browser mode: serve the app and its API on loopback; prints the URL (with its access token)')
    .option('--port <n>', 'TCP port (0 = any free port)', parseCount('--port'), 0)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .addOption(new Option('--allow-mock-hypervisor', 'accept the mock hypervisor (benchmarks and tests only)').hideHelp())
    .action(async (opts: { port: number; host: string; allowMockHypervisor?: boolean }) => {
      if (opts.allowMockHypervisor) runtime ??= createRuntime(process.env, { allowMockHypervisor: true });
      // A long-running server: one failed console or stream must not take every client down.
      process.on('unhandledRejection', (err) => process.stderr.write(`vessel serve: unhandled: ${toVesselError(err).message}\n`));
      const rendererDir = fileURLToPath(new URL('../../renderer/', import.meta.url));
      const running = await serve(rt(), { host: opts.host, port: opts.port, rendererDir });
      await rt().sandboxes.startMonitoring();
      if (!['127.0.0.1', '::1', 'localhost'].includes(opts.host)) {
        process.stderr.write(`vessel: warning: listening on ${opts.host}, not loopback: anyone who can reach it and has the URL controls your sandboxes\n`);
      }
      print(`Vessel is running at ${running.url}`);
      print('open that URL in a browser (the token in it is the key); Ctrl-C to stop');
      const keepAlive = setInterval(() => undefined, 60_000);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      clearInterval(keepAlive);
      await running.close();
    });

  program
    .command('events')
    .description('watch all sandboxes and print state changes as they happen (Ctrl-C to stop)')
    .option('--json', 'print JSON lines')
    .action(async (opts: { json?: boolean }) => {
      const service = rt().sandboxes;
      service.subscribe((event: SandboxEvent) => {
        if (opts.json) process.stdout.write(JSON.stringify(event) + '\n');
        else print(formatEvent(event));
      });
      await service.startMonitoring();
      if (opts.json) process.stdout.write(JSON.stringify({ type: 'watching', at: new Date().toISOString() }) + '\n');
      else print('watching sandboxes; Ctrl-C to stop');
      // The watchers' timers are unref'd; this one keeps the process alive until a signal.
      const keepAlive = setInterval(() => undefined, 60_000);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      clearInterval(keepAlive);
      service.close();
    });

  return program;
}

function formatEvent(event: SandboxEvent): string {
  const by = event.origin ? ` [by ${event.origin.command}, pid ${event.origin.pid}]` : '';
  switch (event.type) {
    case 'state':
      return `${event.at} ${event.id} ${event.from ?? '-'} -> ${event.to}${event.reason ? ` (${event.reason})` : ''}${by}`;
    case 'progress':
      return `${event.at} ${event.id} [${event.phase}] ${event.message}${by}`;
    case 'container':
      return `${event.at} ${event.id} container ${event.container} ${event.state}${by}`;
    default:
      return `${event.at} ${event.id} ${event.type}${by}`;
  }
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return actionExitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      if (err.code === 'commander.help') return 2; // no command given: help was shown on stderr
      const message = err.message.replace(/^error: /, '');
      process.stderr.write(`vessel: E_INVALID_ARGUMENT: ${message} (see 'vessel --help')\n`);
      return 2;
    }
    const e = toVesselError(err);
    process.stderr.write(`vessel: ${e.code}: ${e.message.split('\n')[0]}\n`);
    return 1;
  } finally {
    runtime?.close();
  }
}

process.exitCode = await main(process.argv);
