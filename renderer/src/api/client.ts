import {
  Methods,
  ServerMessage,
  Streams,
  VesselError,
  type ClientMessage,
  type MethodName,
  type MethodParams,
  type MethodResult,
  type StreamEnd,
  type StreamItem,
  type StreamName,
  type StreamParams,
  type VesselBridge,
} from '../../../core/contract/index.js';

/**
 * The renderer's only door to the core. Speaks the contract's messages over
 * Electron's preload bridge when there is one, else over the `vessel serve`
 * WebSocket. Replies and stream items are validated with the contract's
 * schemas; errors come back as VesselError with the core's code and message.
 */

export interface Transport {
  send(message: ClientMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  onStatus(listener: (connected: boolean) => void): void;
}

export interface StreamHandlers<S extends StreamName> {
  onOpened?(info: Record<string, string>): void;
  onItem(item: StreamItem<S>): void;
  onEnd?(end: StreamEnd): void;
  onError?(error: VesselError): void;
}

export interface StreamHandle {
  readonly id: number;
  close(): void;
  /** Console streams only. */
  input(data: Uint8Array | string): void;
  resize(rows: number, cols: number): void;
  /** Tell the server what has been consumed (bytes for consoles, items otherwise). */
  ack(n: number): void;
}

interface PendingCall {
  method: MethodName;
  resolve(value: unknown): void;
  reject(err: VesselError): void;
}

interface OpenStream {
  stream: StreamName;
  handlers: StreamHandlers<StreamName>;
  autoAck: boolean;
}

const encoder = new TextEncoder();

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export class ApiClient {
  private nextId = 1;
  private readonly calls = new Map<number, PendingCall>();
  private readonly streams = new Map<number, OpenStream>();
  private statusListeners: Array<(connected: boolean) => void> = [];

  constructor(private readonly transport: Transport) {
    transport.onMessage((raw) => this.receive(raw));
    transport.onStatus((connected) => {
      if (!connected) {
        const gone = new VesselError('E_INTERNAL', 'lost the connection to Vessel');
        for (const c of this.calls.values()) c.reject(gone);
        this.calls.clear();
        for (const s of this.streams.values()) s.handlers.onError?.(gone);
        this.streams.clear();
      }
      for (const l of this.statusListeners) l(connected);
    });
  }

  onStatus(listener: (connected: boolean) => void): void {
    this.statusListeners.push(listener);
  }

  call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
      this.transport.send({ t: 'call', id, method, params });
    });
  }

  open<S extends StreamName>(stream: S, params: StreamParams<S>, handlers: StreamHandlers<S>, options: { autoAck?: boolean } = {}): StreamHandle {
    const id = this.nextId++;
    this.streams.set(id, { stream, handlers: handlers as unknown as StreamHandlers<StreamName>, autoAck: options.autoAck ?? stream !== 'console' });
    this.transport.send({ t: 'open', id, stream, params });
    return {
      id,
      close: () => {
        if (this.streams.delete(id)) this.transport.send({ t: 'close', id });
      },
      input: (data) => {
        const bytes = typeof data === 'string' ? encoder.encode(data) : data;
        if (this.streams.has(id)) this.transport.send({ t: 'input', id, data: bytesToBase64(bytes) });
      },
      resize: (rows, cols) => {
        if (this.streams.has(id)) this.transport.send({ t: 'resize', id, rows, cols });
      },
      ack: (n) => {
        if (n > 0 && this.streams.has(id)) this.transport.send({ t: 'ack', id, n });
      },
    };
  }

  private receive(raw: unknown): void {
    const parsed = ServerMessage.safeParse(raw);
    if (!parsed.success) return;
    const msg = parsed.data;
    const call = this.calls.get(msg.id);
    if (call) {
      this.calls.delete(msg.id);
      if (msg.t === 'result') {
        const value = Methods[call.method].result.safeParse(msg.value);
        if (value.success) call.resolve(value.data);
        else call.reject(new VesselError('E_INTERNAL', `malformed reply to ${call.method}: ${value.error.issues[0]?.message ?? ''}`));
      } else if (msg.t === 'error') {
        call.reject(VesselError.fromJSON(msg.error));
      }
      return;
    }
    const s = this.streams.get(msg.id);
    if (!s) return;
    switch (msg.t) {
      case 'opened':
        s.handlers.onOpened?.(msg.info ?? {});
        return;
      case 'item': {
        const item = Streams[s.stream].item.safeParse(msg.item);
        if (!item.success) return;
        s.handlers.onItem(item.data as never);
        if (s.autoAck) this.transport.send({ t: 'ack', id: msg.id, n: 1 });
        return;
      }
      case 'end':
        this.streams.delete(msg.id);
        s.handlers.onEnd?.(msg.end);
        return;
      case 'error':
        this.streams.delete(msg.id);
        s.handlers.onError?.(VesselError.fromJSON(msg.error));
        return;
      case 'result':
        return;
    }
  }
}

/** Browser mode: the API over the WebSocket of the server that served this page. */
export function webSocketTransport(): Transport {
  const messageListeners: Array<(m: unknown) => void> = [];
  const statusListeners: Array<(c: boolean) => void> = [];
  const queue: string[] = [];
  const token = new URLSearchParams(location.search).get('token');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  let ws: WebSocket;
  let open = false;
  const connect = (): void => {
    ws = new WebSocket(url);
    ws.onopen = () => {
      open = true;
      for (const m of queue.splice(0)) ws.send(m);
      for (const l of statusListeners) l(true);
    };
    ws.onmessage = (ev: MessageEvent<string>) => {
      let data: unknown;
      try {
        data = JSON.parse(ev.data);
      } catch {
        return;
      }
      for (const l of messageListeners) l(data);
    };
    ws.onclose = () => {
      const was = open;
      open = false;
      if (was) for (const l of statusListeners) l(false);
      setTimeout(connect, 1000);
    };
  };
  connect();
  return {
    send: (message) => {
      const text = JSON.stringify(message);
      if (open) ws.send(text);
      else queue.push(text);
    },
    onMessage: (l) => messageListeners.push(l),
    onStatus: (l) => statusListeners.push(l),
  };
}

/** Electron: the preload's bridge (window.vessel). */
export function bridgeTransport(bridge: VesselBridge): Transport {
  const statusListeners: Array<(c: boolean) => void> = [];
  queueMicrotask(() => statusListeners.forEach((l) => l(true)));
  return {
    send: (m) => bridge.send(m),
    onMessage: (l) => void bridge.onMessage(l),
    onStatus: (l) => statusListeners.push(l),
  };
}

declare global {
  interface Window {
    vessel?: VesselBridge;
  }
}

export const api = new ApiClient(window.vessel ? bridgeTransport(window.vessel) : webSocketTransport());
export const mode: 'electron' | 'browser' = window.vessel ? 'electron' : 'browser';
