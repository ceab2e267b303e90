import { EventEmitter } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { z } from 'zod';
import { VesselError } from '../../contract/index.js';

/*
 * A QEMU Machine Protocol client over a unix socket.
 *
 * Framing: QEMU sends one JSON object per line ("\r\n"); we send one per line.
 * Session: greeting {"QMP": …} → we send qmp_capabilities → command mode.
 * Every command carries an id; replies are matched by id (QMP answers in
 * order, so a reply without an id — e.g. to unparsable input — goes to the
 * oldest pending command). Asynchronous events are emitted as 'event'.
 *
 * QEMU serves one QMP client per monitor socket at a time: hold a client only
 * for the duration of an operation, or other callers wait on the greeting.
 *
 * Adding commands (hotplug and friends): describe the reply with a zod schema
 * and call execute(), e.g.
 *   execute('device_add', { driver: 'virtio-net-pci', id: 'net0', bus: 'rp0' }, QmpEmpty)
 *   execute('query-pci', undefined, z.array(PciInfo))
 * and wrap the common ones as methods below.
 */

export const QmpVersion = z.object({
  qemu: z.object({ major: z.number().int(), minor: z.number().int(), micro: z.number().int() }),
  package: z.string(),
});
export type QmpVersion = z.infer<typeof QmpVersion>;

export const QmpGreeting = z.object({
  QMP: z.object({ version: QmpVersion, capabilities: z.array(z.unknown()) }),
});
export type QmpGreeting = z.infer<typeof QmpGreeting>;

const QmpId = z.union([z.string(), z.number()]);

const QmpSuccess = z.object({ return: z.unknown(), id: QmpId.optional() });
const QmpFailure = z.object({
  error: z.object({ class: z.string(), desc: z.string() }),
  id: QmpId.optional(),
});

export const QmpEvent = z.object({
  event: z.string(),
  data: z.record(z.string(), z.unknown()).default({}),
  timestamp: z.object({ seconds: z.number(), microseconds: z.number() }),
});
export type QmpEvent = z.infer<typeof QmpEvent>;

/** Most commands return {}. */
export const QmpEmpty = z.object({}).loose();

/**
 * query-status. `status` is QEMU's RunState ('running', 'paused', 'shutdown',
 * 'guest-panicked', 'prelaunch', 'inmigrate', …); kept a string so a newer
 * QEMU with a new state still parses.
 */
export const QmpStatusInfo = z.object({
  running: z.boolean(),
  status: z.string(),
  singlestep: z.boolean().optional(),
});
export type QmpStatusInfo = z.infer<typeof QmpStatusInfo>;

export interface QmpConnectOptions {
  /** Connect + greeting + capabilities negotiation. Default 5 s. */
  timeoutMs?: number;
  /** Default per-command reply timeout. Default 10 s. */
  commandTimeoutMs?: number;
}

export interface QmpExecuteOptions {
  timeoutMs?: number;
  /** Treat the connection closing as success (quit: QEMU may hang up before replying). */
  closeIsSuccess?: boolean;
}

interface Pending {
  id: string;
  command: string;
  resolve: (value: unknown) => void;
  reject: (error: VesselError) => void;
  closeIsSuccess: boolean;
  timer: NodeJS.Timeout;
}

interface QmpClientEvents {
  event: [QmpEvent];
  close: [];
}

function hypervisorError(message: string, details?: Record<string, unknown>, cause?: unknown): VesselError {
  return new VesselError('E_HYPERVISOR', message, details, cause === undefined ? undefined : { cause });
}

/** QEMU dropped a new QMP connection before its greeting (it still held another one). */
function isRefusedSession(err: unknown): boolean {
  if (!(err instanceof VesselError)) return false;
  const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
  return cause?.code === 'ECONNRESET' || cause?.code === 'EPIPE' || /closed before its greeting/.test(err.message);
}

export class QmpClient extends EventEmitter<QmpClientEvents> {
  readonly socketPath: string;
  private readonly socket: Socket;
  private readonly commandTimeoutMs: number;
  private readonly pending = new Map<string, Pending>();
  private buffer = '';
  private nextId = 1;
  private greetingValue: QmpGreeting | null = null;
  private onGreeting: ((greeting: QmpGreeting) => void) | null = null;
  private isClosed = false;
  private closeError: VesselError | null = null;

  private constructor(socketPath: string, socket: Socket, commandTimeoutMs: number) {
    super();
    this.socketPath = socketPath;
    this.socket = socket;
    this.commandTimeoutMs = commandTimeoutMs;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => {
      this.closeError ??= hypervisorError(`QMP connection to ${socketPath} failed: ${err.message}`, undefined, err);
    });
    socket.on('close', () => this.onClose());
  }

  /**
   * Connect, read the greeting and enter command mode. QEMU serves one QMP
   * client at a time and drops a connection that arrives while it still
   * holds the previous one (a session closed a moment ago, or another
   * process's): the client sees ECONNRESET or a close before the greeting.
   * Such a connection is retried until the timeout; any other error is not.
   */
  static async connect(socketPath: string, options: QmpConnectOptions = {}): Promise<QmpClient> {
    const deadline = Date.now() + (options.timeoutMs ?? 5_000);
    for (let attempt = 0; ; attempt++) {
      try {
        return await QmpClient.connectOnce(socketPath, { ...options, timeoutMs: Math.max(100, deadline - Date.now()) });
      } catch (err) {
        if (!isRefusedSession(err) || Date.now() + 50 >= deadline) throw err;
        await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 500)));
      }
    }
  }

  private static async connectOnce(socketPath: string, options: QmpConnectOptions): Promise<QmpClient> {
    const timeoutMs = options.timeoutMs ?? 5_000;
    const socket = createConnection({ path: socketPath });
    const client = new QmpClient(socketPath, socket, options.commandTimeoutMs ?? 10_000);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new VesselError('E_TIMEOUT', `QMP at ${socketPath} did not answer within ${timeoutMs} ms (is another client holding the monitor?)`));
      }, timeoutMs);
    });
    try {
      await Promise.race([client.handshake(), timeout]);
      return client;
    } catch (err) {
      client.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async handshake(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onConnect = (): void => { cleanup(); resolve(); };
      const onError = (err: NodeJS.ErrnoException): void => {
        cleanup();
        reject(hypervisorError(`cannot connect to QMP at ${this.socketPath}: ${err.code ?? err.message}`, { socket: this.socketPath }, err));
      };
      const cleanup = (): void => { this.socket.off('connect', onConnect); this.socket.off('error', onError); };
      this.socket.once('connect', onConnect);
      this.socket.once('error', onError);
    });
    await new Promise<void>((resolve, reject) => {
      if (this.greetingValue) return resolve();
      const onClose = (): void => {
        this.onGreeting = null;
        reject(this.closeError ?? hypervisorError(`QMP at ${this.socketPath} closed before its greeting`));
      };
      if (this.isClosed) return onClose();
      this.onGreeting = () => { this.off('close', onClose); resolve(); };
      this.once('close', onClose);
    });
    await this.execute('qmp_capabilities', undefined, QmpEmpty);
  }

  /** The greeting QEMU sent (version, capabilities). */
  get greeting(): QmpGreeting {
    if (!this.greetingValue) throw new VesselError('E_INTERNAL', 'QMP greeting not received yet');
    return this.greetingValue;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Run a command and validate its reply with `returns`. Rejects with
   * E_HYPERVISOR carrying QMP's error description, E_TIMEOUT when QEMU does
   * not answer in time.
   */
  execute<S extends z.ZodType>(command: string, args: Record<string, unknown> | undefined, returns: S, options?: QmpExecuteOptions): Promise<z.output<S>>;
  execute(command: string, args?: Record<string, unknown>): Promise<unknown>;
  async execute(command: string, args?: Record<string, unknown>, returns?: z.ZodType, options: QmpExecuteOptions = {}): Promise<unknown> {
    if (this.isClosed) {
      if (options.closeIsSuccess) return {};
      throw this.closeError ?? hypervisorError(`QMP connection to ${this.socketPath} is closed; cannot run ${command}`);
    }
    const id = `vessel-${this.nextId++}`;
    const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs;
    const raw = await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new VesselError('E_TIMEOUT', `QMP ${command} got no reply within ${timeoutMs} ms`, { command }));
      }, timeoutMs);
      this.pending.set(id, { id, command, resolve, reject, closeIsSuccess: options.closeIsSuccess ?? false, timer });
      const message = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.socket.write(`${JSON.stringify(message)}\n`);
    });
    if (!returns) return raw;
    const parsed = returns.safeParse(raw);
    if (!parsed.success) {
      throw hypervisorError(`unexpected QMP reply to ${command}: ${parsed.error.message}`, { command, reply: raw });
    }
    return parsed.data;
  }

  queryStatus(): Promise<QmpStatusInfo> {
    return this.execute('query-status', undefined, QmpStatusInfo);
  }

  /** Pause all vCPUs. */
  async stop(): Promise<void> {
    await this.execute('stop', undefined, QmpEmpty);
  }

  /** Resume vCPUs. */
  async cont(): Promise<void> {
    await this.execute('cont', undefined, QmpEmpty);
  }

  /** Ask QEMU to exit. Resolves when QEMU acknowledged or hung up. */
  async quit(): Promise<void> {
    await this.execute('quit', undefined, QmpEmpty, { closeIsSuccess: true });
  }

  /** Resolve with the next event called `name` (e.g. 'SHUTDOWN'). */
  waitForEvent(name: string, timeoutMs: number): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const onEvent = (event: QmpEvent): void => {
        if (event.event !== name) return;
        cleanup();
        resolve(event);
      };
      const onClose = (): void => {
        cleanup();
        reject(hypervisorError(`QMP connection closed while waiting for ${name}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new VesselError('E_TIMEOUT', `no QMP ${name} event within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('event', onEvent);
        this.off('close', onClose);
      };
      this.on('event', onEvent);
      this.on('close', onClose);
      if (this.isClosed) onClose();
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line.length > 0) this.onLine(line);
      if (this.isClosed) return;
    }
    if (this.buffer.length > 16 * 1024 * 1024) this.fail('QMP sent a line longer than 16 MiB');
  }

  private onLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.fail(`QMP sent invalid JSON: ${line.slice(0, 200)}`);
      return;
    }
    if (this.greetingValue === null) {
      const greeting = QmpGreeting.safeParse(message);
      if (!greeting.success) {
        this.fail(`expected a QMP greeting from ${this.socketPath}, got: ${line.slice(0, 200)}`);
        return;
      }
      this.greetingValue = greeting.data;
      this.onGreeting?.(greeting.data);
      this.onGreeting = null;
      return;
    }
    const event = QmpEvent.safeParse(message);
    if (event.success) {
      this.emit('event', event.data);
      return;
    }
    const success = QmpSuccess.safeParse(message);
    if (success.success) {
      this.settle(success.data.id, (p) => p.resolve(success.data.return));
      return;
    }
    const failure = QmpFailure.safeParse(message);
    if (failure.success) {
      const { class: errorClass, desc } = failure.data.error;
      this.settle(failure.data.id, (p) =>
        p.reject(hypervisorError(`QMP ${p.command} failed: ${desc} (${errorClass})`, { command: p.command, qmpClass: errorClass, qmpDesc: desc })),
      );
      return;
    }
    this.fail(`unrecognised QMP message: ${line.slice(0, 200)}`);
  }

  private settle(id: string | number | undefined, action: (pending: Pending) => void): void {
    const key = id === undefined ? this.pending.keys().next().value : String(id);
    const pending = key === undefined ? undefined : this.pending.get(key);
    if (!pending) return; // a reply to a command that already timed out
    this.pending.delete(pending.id);
    clearTimeout(pending.timer);
    action(pending);
  }

  private fail(message: string): void {
    this.closeError ??= hypervisorError(message);
    this.socket.destroy();
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      if (pending.closeIsSuccess) pending.resolve({});
      else pending.reject(this.closeError ?? hypervisorError(`QMP connection closed before ${pending.command} was answered`, { command: pending.command }));
    }
    this.pending.clear();
    this.emit('close');
  }
}
