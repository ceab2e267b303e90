import type { z } from 'zod';
import {
  ClientMessage,
  ConsoleTarget,
  Methods,
  STREAM_WINDOW_BYTES,
  STREAM_WINDOW_ITEMS,
  Streams,
  VesselError,
  toVesselError,
  type MethodName,
  type ServerMessage,
  type StreamEnd,
} from '../contract/index.js';
import type { Runtime } from '../api/index.js';
import { deviceStream } from './device-handlers.js';
import { callHandlers, createSandbox, eventsStream, openConsole, statsStream, usageStream, type ConsoleControl, type StreamSink } from './handlers.js';
import { pullStream } from './image-handlers.js';

/**
 * One client connection (a WebSocket, or an Electron window's IPC): takes
 * raw client messages, validates them, runs calls and streams, and sends
 * server messages back. Transport-agnostic, so ipcMain and `vessel serve`
 * share every line of it.
 */

interface OpenStream {
  window: number;
  unacked: number;
  creditWaiters: Array<() => void>;
  cancel: () => void;
  cancelled: boolean;
  console: ConsoleControl | null;
  inputChain: Promise<void>;
  pendingSize: { rows: number; cols: number } | null;
  resizing: boolean;
}

export interface ApiSessionOptions {
  /** Write a message to the client; false when the transport is gone. */
  send(message: ServerMessage): void;
  /** Called on a malformed message (the transport may log or drop the client). */
  onProtocolError?(problem: string): void;
}

export class ApiSession {
  private readonly calls;
  private readonly streams = new Map<number, OpenStream>();
  private closed = false;

  constructor(private readonly rt: Runtime, private readonly options: ApiSessionOptions) {
    this.calls = callHandlers(rt);
  }

  private send(message: ServerMessage): void {
    if (!this.closed) this.options.send(message);
  }

  /** Feed one message from the client (already JSON-decoded, not yet validated). */
  handle(raw: unknown): void {
    const parsed = ClientMessage.safeParse(raw);
    if (!parsed.success) {
      const id = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'number' ? (raw as { id: number }).id : -1;
      const problem = `malformed message: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`;
      this.options.onProtocolError?.(problem);
      if (id >= 0) this.send({ t: 'error', id, error: { code: 'E_INVALID_ARGUMENT', message: problem } });
      return;
    }
    const msg = parsed.data;
    switch (msg.t) {
      case 'call':
        void this.call(msg.id, msg.method, msg.params);
        return;
      case 'open':
        void this.open(msg.id, msg.stream, msg.params);
        return;
      case 'input': {
        const s = this.streams.get(msg.id);
        const control = s?.console;
        // Writes are chained: keystrokes must reach the process in order.
        if (s && control) s.inputChain = s.inputChain.then(() => control.write(Buffer.from(msg.data, 'base64'))).catch(() => undefined);
        return;
      }
      case 'resize': {
        const s = this.streams.get(msg.id);
        if (s?.console) this.resize(s, s.console, msg.rows, msg.cols);
        return;
      }
      case 'ack': {
        const s = this.streams.get(msg.id);
        if (!s) return;
        s.unacked = Math.max(0, s.unacked - msg.n);
        if (s.unacked < s.window) for (const w of s.creditWaiters.splice(0)) w();
        return;
      }
      case 'close': {
        const s = this.streams.get(msg.id);
        if (s) this.cancelStream(s);
        return;
      }
    }
  }

  private async call(id: number, method: MethodName, rawParams: unknown): Promise<void> {
    try {
      const params = Methods[method].params.safeParse(rawParams ?? {});
      if (!params.success) {
        throw new VesselError('E_INVALID_ARGUMENT', params.error.issues.map((i) => `${i.path.join('.') || method}: ${i.message}`).join('; '));
      }
      const handler = this.calls[method] as (p: unknown) => Promise<unknown>;
      const value = await handler(params.data);
      this.send({ t: 'result', id, value });
    } catch (err) {
      this.send({ t: 'error', id, error: toVesselError(err).toJSON() });
    }
  }

  private async open(id: number, stream: keyof typeof Streams, rawParams: unknown): Promise<void> {
    if (this.streams.has(id)) {
      this.send({ t: 'error', id, error: { code: 'E_ALREADY_EXISTS', message: `stream ${id} is already open` } });
      return;
    }
    let resolveCancelled!: () => void;
    const cancelled = new Promise<void>((r) => (resolveCancelled = r));
    const s: OpenStream = {
      window: stream === 'console' ? STREAM_WINDOW_BYTES : STREAM_WINDOW_ITEMS,
      unacked: 0,
      creditWaiters: [],
      cancelled: false,
      console: null,
      inputChain: Promise.resolve(),
      pendingSize: null,
      resizing: false,
      cancel: () => resolveCancelled(),
    };
    this.streams.set(id, s);
    const sink = <T>(encode: (item: T) => unknown): StreamSink<T> => ({
      cancelled,
      isCancelled: () => s.cancelled,
      send: async (item, size) => {
        if (s.cancelled) return;
        this.send({ t: 'item', id, item: encode(item) });
        s.unacked += size;
        // Back-pressure: hold the producer until the client has consumed enough.
        while (s.unacked >= s.window && !s.cancelled) await new Promise<void>((r) => s.creditWaiters.push(r));
      },
    });
    let end: StreamEnd = {};
    try {
      switch (stream) {
        case 'create': {
          const p = parseParams(Streams.create.params, rawParams);
          this.send({ t: 'opened', id });
          const send = sink((x) => x);
          const sandbox = await createSandbox(this.rt, p, (progress) => void send.send(progress, 0));
          await send.send({ kind: 'done', sandbox }, 0);
          break;
        }
        case 'deviceAttach':
        case 'deviceDetach':
        case 'blockAttach':
        case 'blockDetach': {
          const send = sink((x) => x);
          this.send({ t: 'opened', id });
          await deviceStream(this.rt, stream, rawParams, (item) => void send.send(item, 0));
          break;
        }
        case 'events': {
          Streams.events.params.parse(rawParams ?? {});
          this.send({ t: 'opened', id });
          await eventsStream(this.rt, sink((e) => e));
          break;
        }
        case 'stats': {
          const p = parseParams(Streams.stats.params, rawParams);
          this.send({ t: 'opened', id });
          await statsStream(this.rt, p.sandboxId, p.periodMs, sink((x) => x));
          break;
        }
        case 'usage': {
          const p = parseParams(Streams.usage.params, rawParams);
          this.send({ t: 'opened', id });
          await usageStream(this.rt, p.periodMs, sink((x) => x));
          break;
        }
        case 'pull': {
          const p = parseParams(Streams.pull.params, rawParams);
          this.send({ t: 'opened', id });
          await pullStream(this.rt, p, sink((x) => x));
          break;
        }
        case 'console': {
          const p = parseParams(Streams.console.params, rawParams);
          ConsoleTarget.parse(p.target);
          const opened = await openConsole(this.rt, p.target, p.size, sink((b: Buffer) => b.toString('base64')));
          s.console = opened.control;
          this.send({ t: 'opened', id, info: opened.info });
          end = await opened.run();
          break;
        }
      }
      this.send({ t: 'end', id, end });
    } catch (err) {
      this.send({ t: 'error', id, error: toVesselError(err).toJSON() });
    } finally {
      this.streams.delete(id);
    }
  }

  /** Resizes go one at a time and coalesce: the process ends up with the last size asked for. */
  private resize(s: OpenStream, control: ConsoleControl, rows: number, cols: number): void {
    const idle = s.pendingSize === null && !s.resizing;
    s.pendingSize = { rows, cols };
    if (!idle) return;
    s.resizing = true;
    void (async () => {
      while (s.pendingSize) {
        const size = s.pendingSize;
        s.pendingSize = null;
        await control.resize(size.rows, size.cols).catch(() => undefined);
      }
      s.resizing = false;
    })();
  }

  private cancelStream(s: OpenStream): void {
    if (s.cancelled) return;
    s.cancelled = true;
    s.cancel();
    for (const w of s.creditWaiters.splice(0)) w();
  }

  /** The client went away: cancel everything (processes started for consoles are killed). */
  close(): void {
    for (const s of this.streams.values()) this.cancelStream(s);
    this.closed = true;
  }

  get openStreams(): number {
    return this.streams.size;
  }
}

function parseParams<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const r = schema.safeParse(raw ?? {});
  if (!r.success) throw new VesselError('E_INVALID_ARGUMENT', r.error.issues.map((i) => `${i.path.map(String).join('.') || 'params'}: ${i.message}`).join('; '));
  return r.data;
}
