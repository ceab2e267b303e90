import { addRootfsTransportOption, rootfsRequestFrom } from './rootfs-commands.js';
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { VesselError, type ContainerStatus, type CreateContainerRequest, type ProcessExit } from '../contract/index.js';
import { parseSignal, type ProcessIo, type Runtime } from '../api/index.js';
import { exposedPortsHint } from './port-hints.js';
import { addNetworkOptions, networkRequestFrom } from './network-commands.js';
import { formatContainerStatus, formatContainerTable, formatProcessList, formatSandboxStats } from './format.js';
import { pullProgressPrinter } from './image-commands.js';
import { traced } from '../util/trace.js';

/**
 * Container commands: `run` (one-shot), `container …`, `exec`, `stats`.
 * Output conventions as the sandbox commands: human by default, --json for
 * machines, one-line errors. A command that runs a process exits with its code.
 */

export interface CliContext {
  rt(): Runtime;
  print(line: string): void;
  printJson(value: unknown): void;
  /** The exit code main() returns when the action succeeds (a process's exit code). */
  setExitCode(code: number): void;
  progress(json: boolean): (phase: string, message: string) => void;
}

interface SourceOpts {
  name?: string;
  rootfs?: string;
  bundle?: string;
  tty?: boolean;
  readOnly?: boolean;
  env?: string[];
  workdir?: string;
  image?: string;
  entrypoint?: string;
  user?: string;
  device?: string[];
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function containerRequest(opts: SourceOpts, cmd: string[]): CreateContainerRequest {
  return {
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.rootfs !== undefined ? { rootfs: opts.rootfs } : {}),
    ...(opts.bundle !== undefined ? { bundle: opts.bundle } : {}),
    ...(cmd.length > 0 ? { args: cmd } : {}),
    ...(opts.tty !== undefined ? { tty: opts.tty } : {}),
    ...(opts.readOnly ? { readonlyRootfs: true } : {}),
    ...(opts.env !== undefined ? { env: opts.env } : {}),
    ...(opts.workdir !== undefined ? { cwd: opts.workdir } : {}),
    ...(opts.image !== undefined ? { image: opts.image } : {}),
    ...(opts.entrypoint !== undefined ? { entrypoint: opts.entrypoint === '' ? [] : [opts.entrypoint] } : {}),
    ...(opts.user !== undefined ? { user: opts.user } : {}),
    ...(opts.device !== undefined ? { devices: opts.device } : {}),
  };
}

function addSourceOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'a name for the container')
    .option('--rootfs <dir>', 'root filesystem directory (bind-mounted when root, else copied)')
    .option('--bundle <dir>', 'OCI bundle directory (config.json + rootfs)')
    .option('-t, --tty', 'give the container a terminal')
    .option('--read-only', 'mount the root filesystem read-only')
    .option('-e, --env <NAME=VALUE>', 'set an environment variable (repeatable)', collect)
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('--image <ref>', 'an image from the local store (vessel image pull); its Entrypoint, Cmd, Env, WorkingDir and User apply')
    .option('--entrypoint <cmd>', 'override the image\'s entrypoint ("" clears it)')
    .option('-u, --user <user[:group]>', 'run as this user (names from the image\'s /etc/passwd)')
    .option('--device <HOSTPATH[:CONTAINERPATH]>', 'pass a host device node into the container (repeatable)', collect);
}

/**
 * `vessel run [IMAGE] [CMD…]`: a first word before "--" (or, with no "--",
 * the first word) names an image, docker style; without an image
 * (--rootfs, --bundle, or everything after "--") it runs on the given root.
 */
export function splitImageAndCommand(words: string[], argv: string[], hasOtherSource: boolean): { image: string | null; cmd: string[] } {
  if (hasOtherSource || words.length === 0) return { image: null, cmd: words };
  const dd = argv.indexOf('--');
  const after = dd >= 0 ? argv.length - dd - 1 : 0;
  const before = words.slice(0, words.length - after);
  if (before.length === 0) return { image: null, cmd: words };
  return { image: before[0] ?? null, cmd: [...before.slice(1), ...words.slice(words.length - after)] };
}

async function ensureImage(ctx: CliContext, ref: string, insecure: boolean): Promise<void> {
  if (ctx.rt().images.has(ref)) return;
  process.stderr.write(`image ${ref} is not in the local store: pulling it\n`);
  await ctx.rt().images.pull(ref, { insecure, onProgress: pullProgressPrinter(process.stderr) });
}

function parseSeconds(flag: string) {
  return (value: string): number => {
    if (!/^\d+(\.\d+)?$/.test(value.trim())) throw new VesselError('E_INVALID_ARGUMENT', `${flag} must be a number of seconds, got "${value}"`);
    return Number(value);
  };
}

async function resolveSandbox(ctx: CliContext, ref: string): Promise<string> {
  return (await ctx.rt().sandboxes.fetchSandbox(ref)).id;
}

/** Resolves when `out` can take more, or when it is gone (an error, or closed). */
function drainedOrGone(out: NodeJS.WriteStream): Promise<void> {
  if (out.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      for (const e of ['drain', 'close', 'error']) out.off(e, done);
      resolve();
    };
    for (const e of ['drain', 'close', 'error']) out.on(e, done);
  });
}

/**
 * Copies a process's output to a local stream. When the local stream goes
 * away (`vessel exec … | head` closing the pipe: EPIPE), `onGone` is called
 * once, and the rest of the output is read and dropped, so the process is
 * never held back by a reader that left. Another write error (a full disk)
 * is said on stderr first.
 */
async function pump(source: AsyncIterable<Buffer>, out: NodeJS.WriteStream, onGone: () => void): Promise<void> {
  let gone = false;
  const leave = (err?: NodeJS.ErrnoException): void => {
    if (gone) return;
    gone = true;
    if (err && err.code !== 'EPIPE' && out !== process.stderr) process.stderr.write(`vessel: writing the process's output failed: ${err.message}\n`);
    onGone();
  };
  out.on('error', leave);
  try {
    for await (const chunk of source) {
      if (gone || out.destroyed) {
        leave();
        continue;
      }
      if (!out.write(chunk)) await drainedOrGone(out);
    }
  } finally {
    out.off('error', leave);
  }
}

/**
 * The local reader of a process's output went away (`vessel exec … | head`):
 * the guest closes that output, so the processes writing to it get EPIPE and
 * SIGPIPE, as with a closed pipe on the host, and the command exits as the
 * process does (141 when SIGPIPE ends it). Without the data plane, or with
 * an older guest agent, the process itself is sent SIGPIPE.
 */
function outputGone(containers: Runtime['containers'], io: ProcessIo, sandboxId: string, containerId: string, execId: string) {
  return (stream: 'stdout' | 'stderr'): void => {
    void io.closeOutput(stream).catch(() => containers.signalProcess(sandboxId, containerId, execId, 'SIGPIPE')).catch(() => undefined);
  };
}

/**
 * Wire the local terminal to a process: output to stdout/stderr, stdin
 * forwarded when interactive, raw mode and resizes when it has a TTY.
 * Resolves with the process's exit.
 */
const DETACH_KEYS = Buffer.from([0x10, 0x11]);

async function attach(io: ProcessIo, options: { interactive: boolean; tty: boolean; closeStdin?: boolean; onDetach?: () => void; onOutputGone: (stream: 'stdout' | 'stderr') => void }): Promise<ProcessExit> {
  const stdin = process.stdin;
  const raw = options.tty && options.interactive && stdin.isTTY;
  const onResize = (): void => {
    const { rows, columns } = process.stdout;
    if (rows && columns) void io.resize(rows, columns).catch(() => undefined);
  };
  if (raw) stdin.setRawMode(true);
  if (options.tty && process.stdout.isTTY) process.stdout.on('resize', onResize);
  try {
    if (options.interactive) {
      // Writes go in order; the end of input closes the process's stdin after them.
      let chain: Promise<void> = Promise.resolve();
      stdin.on('data', (d: Buffer) => {
        // Ctrl-P Ctrl-Q (docker's detach keys) leave the process running.
        if (raw && options.onDetach && d.includes(DETACH_KEYS)) {
          options.onDetach();
          return;
        }
        // Back-pressure: read no more local input until the guest took this chunk.
        stdin.pause();
        chain = chain.then(() => io.write(d)).catch(() => undefined).finally(() => {
          if (!stdin.destroyed) stdin.resume();
        });
      });
      stdin.on('end', () => {
        chain = chain.then(() => io.closeStdin()).catch(() => undefined);
      });
      stdin.resume();
    } else if (!options.tty && options.closeStdin !== false) {
      // docker semantics: without -i the process reads EOF. A TTY stays open.
      await traced('closeStdin', io.closeStdin()).catch(() => undefined);
    }
    const [exit] = await Promise.all([
      traced('wait', io.wait()),
      traced('stdout', pump(io.stdout, process.stdout, () => options.onOutputGone('stdout'))),
      options.tty ? Promise.resolve() : traced('stderr', pump(io.stderr, process.stderr, () => options.onOutputGone('stderr'))),
    ]);
    return exit;
  } finally {
    if (raw) stdin.setRawMode(false);
    process.stdout.off('resize', onResize);
    stdin.pause();
    stdin.destroy();
  }
}

export function registerContainerCommands(program: Command, ctx: CliContext): void {
  // ---- run: one-shot --------------------------------------------------------
  addRootfsTransportOption(addNetworkOptions(addSourceOptions(
    program
      .command('run')
      .description('run one command in a new sandbox and remove everything afterwards (like docker run --rm); exits with its exit code')
      .argument('[cmd...]', 'IMAGE then the command (docker style), or the command after --; default: the image\'s, else sh')
      .option('-i, --interactive', 'forward stdin')
      .option('--insecure', 'pull a missing image over plain HTTP (a registry you trust)')
      .option('--vcpus <n>', 'virtual CPUs', (v: string) => Number(v), 1)
      .option('--memory <MiB>', 'memory in MiB', (v: string) => Number(v), 512)
      .addOption(new Option('--accel <accel>', 'acceleration').choices(['auto', 'kvm', 'tcg']).default('auto'))
      .option('-v, --verbose', 'print boot progress on stderr'),
  ))).action(async (words: string[], opts: SourceOpts & { interactive?: boolean; insecure?: boolean; vcpus: number; memory: number; accel: 'auto' | 'kvm' | 'tcg'; verbose?: boolean; network?: string; publish?: string[]; rootfsTransport?: string }) => {
    const { sandboxes, containers } = ctx.rt();
    const split = splitImageAndCommand(words, process.argv, opts.rootfs !== undefined || opts.bundle !== undefined || opts.image !== undefined);
    const cmd = split.cmd;
    if (split.image !== null) opts.image = split.image;
    if (opts.image !== undefined) await ensureImage(ctx, opts.image, Boolean(opts.insecure));
    if (opts.image !== undefined) process.stderr.write((await exposedPortsHint(ctx.rt(), opts.image, networkRequestFrom(opts).ports ?? [], { kind: 'run' })) ?? '');
    const request = containerRequest(opts, cmd);
    let sandboxId: string | null = null;
    let creating = false;
    let interrupted: NodeJS.Signals | null = null;
    let cleanup: Promise<void> | null = null;
    const removeAll = (): Promise<void> => {
      cleanup ??= sandboxId ? sandboxes.deleteSandbox(sandboxId, { force: true }).catch(() => undefined) : Promise.resolve();
      return cleanup;
    };
    const exitInterrupted = (signal: NodeJS.Signals): void => {
      // Leave nothing behind, then exit as a shell would (128 + signal number).
      void removeAll().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15)));
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      if (interrupted) return;
      interrupted = signal;
      // While the sandbox boots its lock is held: clean up as soon as the boot returns.
      if (!creating) exitInterrupted(signal);
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, onSignal);
    try {
      creating = true;
      const sandbox = await sandboxes
        .createSandbox({ vcpus: opts.vcpus, memoryMiB: opts.memory, accel: opts.accel, ...networkRequestFrom(opts), ...rootfsRequestFrom(opts) }, (phase, message) => {
          if (opts.verbose) process.stderr.write(`[${phase}] ${message}\n`);
        })
        .finally(() => {
          creating = false;
        });
      sandboxId = sandbox.id;
      if (interrupted) return; // cleaned up below
      const created = await containers.createContainer(sandbox.id, request);
      const io = await containers.ioStream(sandbox.id, created.id, created.id);
      try {
        await containers.startContainer(sandbox.id, created.id);
        const exit = await attach(io, { interactive: Boolean(opts.interactive), tty: created.tty, onOutputGone: outputGone(containers, io, sandbox.id, created.id, created.id) });
        ctx.setExitCode(exit.exitCode);
      } finally {
        io.release();
      }
    } finally {
      if (!interrupted) {
        await removeAll();
        for (const s of signals) process.off(s, onSignal);
      } else {
        // exitInterrupted ends the process once the sandbox is gone.
        exitInterrupted(interrupted);
        await new Promise<never>(() => undefined);
      }
    }
  });

  // ---- container … ----------------------------------------------------------
  const container = program.command('container').description('containers inside a sandbox');

  for (const verb of ['run', 'create'] as const) {
    addSourceOptions(
      container
        .command(`${verb} <sandbox>`)
        .description(verb === 'run' ? 'create and start a container (detached); prints it' : 'create a container (state: created)')
        .argument('[cmd...]', 'command and arguments (after --); default: sh, or the bundle\'s')
        .option('--json', 'print JSON'),
    ).action(async (ref: string, cmd: string[], opts: SourceOpts & { json?: boolean }) => {
      const id = await resolveSandbox(ctx, ref);
      const request = containerRequest(opts, cmd);
      const c = verb === 'run' ? await ctx.rt().containers.runContainer(id, request) : await ctx.rt().containers.createContainer(id, request);
      if (opts.json) ctx.printJson(c);
      else ctx.print(formatContainerStatus(c));
      if (opts.image !== undefined) process.stderr.write((await exposedPortsHint(ctx.rt(), opts.image, (await ctx.rt().sandboxes.fetchSandbox(id)).network?.ports ?? [], { kind: 'sandbox', sandbox: ref })) ?? '');
    });
  }

  const simple: Array<[string, string, (sandbox: string, c: string) => Promise<ContainerStatus>]> = [
    ['start', 'start a created container', (s, c) => ctx.rt().containers.startContainer(s, c)],
    ['status', 'show a container (refreshed from the guest)', (s, c) => ctx.rt().containers.statusContainer(s, c)],
    ['pause', 'freeze a running container', (s, c) => ctx.rt().containers.pauseContainer(s, c)],
    ['resume', 'thaw a paused container', (s, c) => ctx.rt().containers.resumeContainer(s, c)],
  ];
  for (const [verb, description, fn] of simple) {
    container
      .command(`${verb} <sandbox> <container>`)
      .description(description)
      .option('--json', 'print JSON')
      .action(async (ref: string, cref: string, opts: { json?: boolean }) => {
        const result = await fn(await resolveSandbox(ctx, ref), cref);
        if (opts.json) ctx.printJson(result);
        else ctx.print(formatContainerStatus(result));
      });
  }

  container
    .command('stop <sandbox> <container>')
    .description('stop a container: SIGTERM, then SIGKILL after --timeout seconds')
    .option('--timeout <s>', 'grace period in seconds', parseSeconds('--timeout'), 10)
    .option('--json', 'print JSON')
    .action(async (ref: string, cref: string, opts: { timeout: number; json?: boolean }) => {
      const c = await ctx.rt().containers.stopContainer(await resolveSandbox(ctx, ref), cref, { timeoutMs: Math.round(opts.timeout * 1000) });
      if (opts.json) ctx.printJson(c);
      else ctx.print(`${c.id} ${c.state} (exit code ${String(c.exitCode)})`);
    });

  container
    .command('kill <sandbox> <container>')
    .description('send a signal to the container\'s init process (--all: to all its processes)')
    .option('--signal <signal>', 'signal name or number (SIGTERM, TERM, 15)', 'SIGKILL')
    .option('--all', 'signal every process of the container')
    .option('--json', 'print JSON')
    .action(async (ref: string, cref: string, opts: { signal: string; all?: boolean; json?: boolean }) => {
      const signo = parseSignal(opts.signal); // before resolving anything: bad input fails fast
      const c = await ctx.rt().containers.killContainer(await resolveSandbox(ctx, ref), cref, signo, { all: Boolean(opts.all) });
      if (opts.json) ctx.printJson({ id: c.id, signal: signo, all: Boolean(opts.all) });
      else ctx.print(`${c.id} signalled (${signo})`);
    });

  container
    .command('delete <sandbox> <container>')
    .alias('rm')
    .description('delete a container (refused while running unless --force)')
    .option('--force', 'kill it first if it runs')
    .option('--json', 'print JSON')
    .action(async (ref: string, cref: string, opts: { force?: boolean; json?: boolean }) => {
      const id = await resolveSandbox(ctx, ref);
      const c = await ctx.rt().containers.statusContainer(id, cref);
      await ctx.rt().containers.deleteContainer(id, c.id, { force: Boolean(opts.force) });
      if (opts.json) ctx.printJson({ id: c.id, deleted: true });
      else ctx.print(`${c.id} deleted`);
    });

  container
    .command('list <sandbox>')
    .alias('ls')
    .description('list the containers of a sandbox')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const all = await ctx.rt().containers.listContainers(await resolveSandbox(ctx, ref));
      if (opts.json) ctx.printJson(all);
      else ctx.print(all.length === 0 ? "no containers: run one with 'vessel container run SANDBOX -- CMD'" : formatContainerTable(all));
    });

  container
    .command('ps <sandbox> <container>')
    .description('list the processes of a container')
    .option('--json', 'print JSON')
    .action(async (ref: string, cref: string, opts: { json?: boolean }) => {
      const procs = await ctx.rt().containers.processListContainer(await resolveSandbox(ctx, ref), cref);
      if (opts.json) ctx.printJson(procs);
      else ctx.print(formatProcessList(procs));
    });

  container
    .command('update <sandbox> <container>')
    .description('change a running container\'s resources')
    .option('--memory <bytes>', 'memory limit in bytes', (v: string) => wholeNumber('--memory', v))
    .option('--pids-limit <n>', 'most processes', (v: string) => wholeNumber('--pids-limit', v))
    .option('--cpu-quota <us>', 'CPU quota per period (µs)', (v: string) => wholeNumber('--cpu-quota', v))
    .option('--cpu-period <us>', 'CPU period (µs)', (v: string) => wholeNumber('--cpu-period', v))
    .option('--resources <file>', 'an OCI linux.resources JSON file')
    .option('--json', 'print JSON')
    .action(async (ref: string, cref: string, opts: { memory?: number; pidsLimit?: number; cpuQuota?: number; cpuPeriod?: number; resources?: string; json?: boolean }) => {
      const resources: Record<string, unknown> = opts.resources ? readResources(opts.resources) : {};
      if (opts.memory !== undefined) resources.memory = { limit: opts.memory };
      if (opts.pidsLimit !== undefined) resources.pids = { limit: opts.pidsLimit };
      if (opts.cpuQuota !== undefined || opts.cpuPeriod !== undefined) {
        resources.cpu = { ...(opts.cpuQuota !== undefined ? { quota: opts.cpuQuota } : {}), ...(opts.cpuPeriod !== undefined ? { period: opts.cpuPeriod } : {}) };
      }
      if (Object.keys(resources).length === 0) throw new VesselError('E_INVALID_ARGUMENT', 'nothing to update: give --memory, --pids-limit, --cpu-quota/--cpu-period or --resources');
      const c = await ctx.rt().containers.updateContainer(await resolveSandbox(ctx, ref), cref, resources);
      if (opts.json) ctx.printJson({ id: c.id, resources });
      else ctx.print(`${c.id} updated`);
    });

  // ---- exec -----------------------------------------------------------------
  program
    .command('exec <sandbox> <container>')
    .description('run a command in a running container; exits with its exit code')
    .argument('<cmd...>', 'command and arguments (after --)')
    .option('-i, --interactive', 'forward stdin')
    .option('-t, --tty', 'allocate a terminal (raw mode and resize when stdin is one)')
    .option('-e, --env <NAME=VALUE>', 'set an environment variable (repeatable)', collect)
    .option('-w, --workdir <dir>', 'working directory')
    .action(async (ref: string, cref: string, cmd: string[], opts: { interactive?: boolean; tty?: boolean; env?: string[]; workdir?: string }) => {
      const sandboxId = await resolveSandbox(ctx, ref);
      const { containers } = ctx.rt();
      const tty = Boolean(opts.tty);
      const size = tty && process.stdout.isTTY ? { rows: process.stdout.rows, columns: process.stdout.columns } : {};
      const { containerId, execId } = await traced('exec', containers.enterContainer(sandboxId, cref, {
        args: cmd,
        tty,
        ...size,
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.workdir ? { cwd: opts.workdir } : {}),
      }));
      const io = await traced('ioStream', containers.ioStream(sandboxId, containerId, execId));
      try {
        const exit = await attach(io, { interactive: Boolean(opts.interactive), tty, onOutputGone: outputGone(containers, io, sandboxId, containerId, execId) });
        ctx.setExitCode(exit.exitCode);
      } finally {
        io.release();
      }
    });

  // ---- attach ---------------------------------------------------------------
  program
    .command('attach <sandbox> <container>')
    .description("follow a container's main process: first what it printed since the last reader left (kept in the guest, up to 2 MiB per stream; the process waits rather than lose output), then live; exits with its exit code. Ctrl-C (or Ctrl-P Ctrl-Q with -i on a terminal) detaches and leaves it running")
    .option('-i, --interactive', 'forward stdin')
    .action(async (ref: string, cref: string, opts: { interactive?: boolean }) => {
      const sandboxId = await resolveSandbox(ctx, ref);
      const { containers } = ctx.rt();
      const c = await containers.statusContainer(sandboxId, cref);
      const io = await containers.ioStream(sandboxId, c.id, c.id);
      let detach: () => void = () => undefined;
      const detached = new Promise<null>((resolve) => {
        detach = () => resolve(null);
      });
      process.once('SIGINT', detach);
      let detachedNow = false;
      try {
        const exit = await Promise.race([detached, attach(io, { interactive: Boolean(opts.interactive), tty: c.tty, closeStdin: false, onDetach: detach, onOutputGone: detach })]);
        if (exit) {
          ctx.setExitCode(exit.exitCode);
        } else {
          detachedNow = true;
          process.stderr.write(`detached from ${c.name}: it keeps running (vessel attach ${ref} ${c.name} follows it again)\n`);
        }
      } finally {
        process.off('SIGINT', detach);
        io.release();
      }
      // Detached: the wait for the process is still in flight on the shared agent connection, and a
      // gRPC channel's close lets in-flight calls finish, so leave now rather than when the process ends.
      if (detachedNow) process.exit(0);
    });

  // ---- stats ----------------------------------------------------------------
  program
    .command('stats <sandbox> [container]')
    .description('resource use: guest memory and CPUs, the VM process on the host, and each running container')
    .option('--json', 'print JSON')
    .action(async (ref: string, cref: string | undefined, opts: { json?: boolean }) => {
      const id = await resolveSandbox(ctx, ref);
      if (cref !== undefined) {
        const s = await ctx.rt().containers.statsContainer(id, cref);
        if (opts.json) ctx.printJson(s);
        else ctx.print(formatSandboxStats({ sandboxId: id, at: new Date().toISOString(), guest: null, host: null, containers: [s] }));
        return;
      }
      const stats = await ctx.rt().containers.statsSandbox(id);
      if (opts.json) ctx.printJson(stats);
      else ctx.print(formatSandboxStats(stats));
    });
}

function wholeNumber(flag: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new VesselError('E_INVALID_ARGUMENT', `${flag} must be a whole number, got "${value}"`);
  return Number(value);
}

function readResources(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new VesselError('E_NOT_FOUND', `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new VesselError('E_INVALID_ARGUMENT', `${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = z.record(z.string(), z.unknown()).safeParse(raw);
  if (!parsed.success) throw new VesselError('E_INVALID_ARGUMENT', `${file} must hold a JSON object (OCI linux.resources)`);
  return parsed.data;
}
