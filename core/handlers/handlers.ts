import { createConnection } from 'node:net';
import type { z } from 'zod';
import {
  Methods,
  toVesselError,
  type CreateProgress,
  type CreateSandboxWithContainer,
  type SandboxStatus,
  VesselError,
  type ConsoleTarget,
  type MethodName,
  type ProcessExit,
  type SandboxEvent,
  type SandboxStats,
  type HostUsageTick,
  type SandboxSummary,
} from '../contract/index.js';
import type { Runtime } from '../api/index.js';
import { consoleLogPath } from '../hypervisor/hypervisor.js';
import { readTail } from '../util/file.js';
import { factoryHint, factoryStatus, setCacheSize, setTemplates } from '../factory/status.js';
import { readProcUsage } from '../util/proc.js';
import { networkCallHandlers, tapBytes } from './network-handlers.js';
import { imageCallHandlers } from './image-handlers.js';
import { checkpointCallHandlers } from './checkpoint-handlers.js';
import { deviceCallHandlers } from './device-handlers.js';
import { readProcessMemory } from '../util/pss.js';

/**
 * The handlers behind the UI's API, shared by Electron's ipcMain and the
 * `vessel serve` WebSocket. Params arrive already validated (see session.ts);
 * every operation goes through the runtime's services, so all UI traffic
 * for one sandbox shares that sandbox's cached agent connection.
 */

const CLOCK_TICK_NS = 10_000_000; // USER_HZ = 100

type CallHandlers = { [M in MethodName]: (params: ReturnType<(typeof Methods)[M]['params']['parse']>) => Promise<unknown> };

export function callHandlers(rt: Runtime): CallHandlers {
  const { sandboxes, containers } = rt;
  return {
    'factory.status': () => Promise.resolve(factoryStatus(rt.root)),
    'factory.setTemplates': ({ enabled, build }) => setTemplates(rt.root, enabled, build ?? false),
    'factory.setCache': ({ size }) => setCacheSize(rt.root, size),
    'factory.hint': ({ sandbox }) => factoryHint(rt.root, sandbox),
    'host.check': async () => {
      const report = await rt.checkHost();
      return {
        ok: report.ok,
        accel: report.accel.accel,
        reason: report.accel.reason,
        defaultKernel: report.guest.kernel,
        hypervisors: ['qemu'],
      };
    },
    'sandbox.list': async (): Promise<SandboxSummary[]> => {
      const all = await sandboxes.listSandbox();
      const out: SandboxSummary[] = [];
      for (const s of all) {
        let containerCount = 0;
        try {
          containerCount = (await sandboxes.readSandbox(s.id)).state.containers.length;
        } catch {
          // deleted between the list and now: count none
        }
        out.push({ ...s, containerCount });
      }
      return out;
    },
    'sandbox.get': ({ id }) => sandboxes.statusSandbox(id, { live: true }),
    'sandbox.create': (params) => createSandbox(rt, params, () => undefined),
    'sandbox.start': ({ id }) => sandboxes.startSandbox(id),
    'sandbox.stop': ({ id, force }) => sandboxes.stopSandbox(id, { force: Boolean(force) }),
    'sandbox.pause': ({ id }) => sandboxes.pauseSandbox(id),
    'sandbox.resume': ({ id }) => sandboxes.resumeSandbox(id),
    'sandbox.delete': async ({ id, force }) => {
      await sandboxes.deleteSandbox(id, { force: Boolean(force) });
      return { id, deleted: true as const };
    },
    'sandbox.consoleLog': async ({ id, maxBytes }) => {
      const { state } = await sandboxes.readSandbox(id);
      const paths = state.hypervisorState?.paths;
      return { text: paths ? readTail(consoleLogPath(paths), maxBytes ?? 64 * 1024) : '' };
    },
    'container.list': ({ sandboxId }) => containers.listContainers(sandboxId),
    'container.run': ({ sandboxId, request }) => containers.runContainer(sandboxId, request),
    'container.start': ({ sandboxId, container }) => containers.startContainer(sandboxId, container),
    'container.stop': ({ sandboxId, container, timeoutMs }) => containers.stopContainer(sandboxId, container, timeoutMs ? { timeoutMs } : {}),
    'container.kill': ({ sandboxId, container, signal }) => containers.killContainer(sandboxId, container, signal),
    'container.delete': async ({ sandboxId, container, force }) => {
      await containers.deleteContainer(sandboxId, container, { force: Boolean(force) });
      return { deleted: true as const };
    },
    ...networkCallHandlers(rt),
    ...imageCallHandlers(rt),
    ...deviceCallHandlers(rt),
    ...checkpointCallHandlers(rt),
  };
}

/** Create + start a sandbox, then its first container; progress goes to onProgress. */
export async function createSandbox(
  rt: Runtime,
  { sandbox, container }: z.output<typeof CreateSandboxWithContainer>,
  onProgress: (p: CreateProgress) => void,
): Promise<SandboxStatus> {
  const status = await rt.sandboxes.runSandbox(sandbox, (phase, message) => onProgress({ kind: 'progress', phase, message, at: new Date().toISOString() }));
  if (container) {
    onProgress({ kind: 'container', message: `starting the first container (${(container.args ?? ['default command']).join(' ')})`, at: new Date().toISOString() });
    try {
      await rt.containers.runContainer(status.id, container);
    } catch (err) {
      const e = toVesselError(err);
      throw new VesselError(e.code, `sandbox ${status.name} is running, but its first container failed: ${e.message}`, { sandboxId: status.id });
    }
  }
  return rt.sandboxes.statusSandbox(status.id);
}

// ---- streams ----------------------------------------------------------------

/** Where a stream's items go. send() resolves when the consumer has credit for more. */
export interface StreamSink<T> {
  send(item: T, size: number): Promise<void>;
  /** Resolves when the client cancels (or the connection goes). */
  readonly cancelled: Promise<void>;
  readonly isCancelled: () => boolean;
}

export interface ConsoleControl {
  write(data: Buffer): Promise<void>;
  resize(rows: number, cols: number): Promise<void>;
}

function sleepOrCancel(ms: number, cancelled: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void cancelled.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function eventsStream(rt: Runtime, sink: StreamSink<SandboxEvent>): Promise<void> {
  const queue: SandboxEvent[] = [];
  let wake: (() => void) | null = null;
  const off = rt.sandboxes.subscribe((e) => {
    queue.push(e);
    wake?.();
  });
  try {
    while (!sink.isCancelled()) {
      const next = queue.shift();
      if (next) {
        await sink.send(next, 1);
        continue;
      }
      await Promise.race([new Promise<void>((r) => (wake = r)), sink.cancelled]);
      wake = null;
    }
  } finally {
    off();
  }
}

export async function statsStream(rt: Runtime, sandboxId: string, periodMs: number, sink: StreamSink<SandboxStats>): Promise<void> {
  while (!sink.isCancelled()) {
    const started = Date.now();
    try {
      const stats = await rt.containers.statsSandbox(sandboxId);
      await sink.send(stats, 1);
    } catch (err) {
      // A sandbox that is not running has no stats: wait for it to run again.
      if (err instanceof VesselError && err.code === 'E_NOT_FOUND') return;
    }
    await sleepOrCancel(Math.max(0, periodMs - (Date.now() - started)), sink.cancelled);
  }
}

export async function usageStream(rt: Runtime, periodMs: number, sink: StreamSink<HostUsageTick>): Promise<void> {
  while (!sink.isCancelled()) {
    const started = Date.now();
    const all = await rt.sandboxes.listSandbox().catch(() => []);
    const sandboxes: HostUsageTick['sandboxes'] = [];
    for (const s of all) {
      if (s.pid === null || s.state === 'stopped') continue;
      const usage = readProcUsage(s.pid);
      const netBytes = s.network?.netns ? tapBytes(s.pid) : undefined;
      const pss = usage ? readProcessMemory(s.pid) : null;
      if (usage) sandboxes.push({ id: s.id, cpuNs: usage.cpuTicks * CLOCK_TICK_NS, rssBytes: usage.rssBytes, ...(pss ? { pssBytes: pss.pssBytes } : {}), ...(netBytes !== undefined ? { netBytes } : {}) });
    }
    await sink.send({ at: new Date().toISOString(), sandboxes }, 1);
    await sleepOrCancel(Math.max(0, periodMs - (Date.now() - started)), sink.cancelled);
  }
}

/** bash when the container has it, else sh (one exec, decided inside the container). */
export const DEFAULT_SHELL = ['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi'];

export interface OpenedConsole {
  control: ConsoleControl;
  info: Record<string, string>;
  /** Pumps output into the sink; resolves with how it ended. */
  run(): Promise<{ exit?: ProcessExit; reason?: string }>;
}

export async function openConsole(rt: Runtime, target: ConsoleTarget, size: { rows: number; cols: number }, sink: StreamSink<Buffer>): Promise<OpenedConsole> {
  if (target.kind === 'serial') return openSerial(rt, target.sandboxId, sink);
  const { containers } = rt;
  let containerId: string;
  let execId: string;
  let killOnClose = false;
  if (target.kind === 'exec') {
    const entered = await containers.enterContainer(target.sandboxId, target.container, { args: target.args ?? DEFAULT_SHELL, tty: true, rows: size.rows, columns: size.cols });
    containerId = entered.containerId;
    execId = entered.execId;
    killOnClose = true;
  } else {
    const status = await containers.statusContainer(target.sandboxId, target.container);
    if (status.state === 'stopped') throw new VesselError('E_INVALID_STATE', `container ${status.name} is stopped (exit code ${status.exitCode ?? '?'}): nothing to attach to`);
    containerId = status.id;
    execId = status.id;
  }
  const io = await containers.ioStream(target.sandboxId, containerId, execId);
  const sandboxId = target.sandboxId;
  if (target.kind === 'attach') await io.resize(size.rows, size.cols).catch(() => undefined);
  const pump = async (it: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of it) {
      if (sink.isCancelled()) return;
      await sink.send(chunk, chunk.length);
    }
  };
  return {
    info: { containerId, execId },
    control: {
      write: (data) => io.write(data),
      resize: (rows, cols) => io.resize(rows, cols),
    },
    run: async () => {
      try {
        // An output error (the VM or the agent link went away) ends the session like an exit does; never unhandled.
        let failOutput!: (reason: string) => void;
        const outputFailed = new Promise<{ reason: string }>((resolve) => (failOutput = (reason) => resolve({ reason })));
        const output = Promise.all([pump(io.stdout), pump(io.stderr)]).then(
          () => undefined,
          (err: unknown) => failOutput(`lost the console: ${toVesselError(err).message}`),
        );
        const outcome: { exit: ProcessExit } | { reason: string } = await Promise.race([
          io.wait().then((e) => ({ exit: e }), (err: unknown) => ({ reason: `lost the process: ${toVesselError(err).message}` })),
          outputFailed,
          sink.cancelled.then(() => ({ reason: 'closed' })),
        ]);
        if ('exit' in outcome) {
          // Drain what the process printed before it ended (bounded wait).
          await Promise.race([output, new Promise((r) => setTimeout(r, 500))]);
          return { exit: outcome.exit };
        }
        if (outcome.reason !== 'closed') return outcome;
        if (killOnClose) await containers.signalProcess(sandboxId, containerId, execId, 'SIGKILL').catch(() => undefined);
        return { reason: 'closed' };
      } finally {
        io.release();
      }
    },
  };
}

async function openSerial(rt: Runtime, sandboxId: string, sink: StreamSink<Buffer>): Promise<OpenedConsole> {
  const { state } = await rt.sandboxes.readSandbox(sandboxId);
  const vm = state.hypervisorState;
  if (!vm || state.state === 'stopped') throw new VesselError('E_INVALID_STATE', `sandbox ${sandboxId} is stopped: its serial console is closed`);
  if (vm.type !== 'qemu') throw new VesselError('E_UNSUPPORTED', `the ${vm.type} hypervisor has no serial console`);
  const history = readTail(consoleLogPath(vm.paths), 64 * 1024);
  const socket = createConnection(vm.paths.consoleSocket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (err) => reject(new VesselError('E_HYPERVISOR', `cannot open the serial console: ${err.message}`)));
  });
  return {
    info: { serial: vm.paths.consoleSocket },
    control: {
      write: (data) => new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve()))),
      resize: async () => undefined, // a serial line has no window size
    },
    run: async () => {
      try {
        if (history) await sink.send(Buffer.from(history.replace(/\r?\n/g, '\r\n')), history.length);
        const ended = new Promise<string>((resolve) => {
          socket.once('close', () => resolve('the serial console closed (VM stopped?)'));
          socket.once('error', (err) => resolve(err.message));
        });
        const pump = (async () => {
          for await (const chunk of socket as AsyncIterable<Buffer>) {
            if (sink.isCancelled()) return;
            await sink.send(chunk, chunk.length);
          }
        })().catch(() => undefined);
        const reason = await Promise.race([ended, sink.cancelled.then(() => 'closed')]);
        void pump;
        return { reason };
      } finally {
        socket.destroy();
      }
    },
  };
}
