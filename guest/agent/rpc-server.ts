// The agent's RPC server: unary calls in the port's frames
// (core/agent/proto/rpc-frames.ts), messages coded by protobufjs from the
// embedded descriptor the host's grpc-js uses too.
//
// Every agent RPC is unary. Clients speak gRPC to the host's channel owner,
// which sends each call here as one REQUEST frame (the client's gRPC body
// unchanged) and turns the RESPONSE frame back into the gRPC reply; no
// HTTP/2 and no gRPC library runs in the guest, where every layer of
// JavaScript a call walks through costs the one TCG vCPU.
import type { Duplex } from 'node:stream';
import protobuf from 'protobufjs/light.js';
import { agentProtoDescriptor } from '../../core/agent/proto/generated/descriptor.js';
import { MAX_AGENT_MESSAGE_BYTES } from '../../core/agent/proto/limits.js';
import { encodeEmpty, encodeResponse, RpcFrameDecoder, RpcFrameType, type RpcFrame, type RpcFrameError } from '../../core/agent/proto/rpc-frames.js';
import { RpcError, Status } from '../../core/agent/proto/status.js';

/** A unary method: the decoded request and an abort signal (cancel, deadline, host gone) in, the response out. */
export type UnaryImpl = (request: unknown, cancelled: AbortSignal) => Promise<unknown>;

/** The conversion proto-loader applies on the host (PROTO_LOADER_OPTIONS), so both ends see the same objects. */
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, oneofs: true };

interface Method {
  impl: UnaryImpl;
  request: protobuf.Type;
  response: protobuf.Type;
}

/**
 * Splits a unary request body into its one message. The body is at most one
 * prefix + MAX bytes (checked as data arrives); anything else is an error
 * with the status the host should see.
 */
export function unaryMessage(body: Buffer): Buffer {
  if (body.length < 5) throw new RpcError(Status.INTERNAL, body.length === 0 ? 'request has no message' : 'truncated message prefix');
  if (body[0] !== 0) throw new RpcError(Status.UNIMPLEMENTED, 'compressed messages are not accepted (grpc-encoding identity only)');
  const length = body.readUInt32BE(1);
  if (length > MAX_AGENT_MESSAGE_BYTES) throw new RpcError(Status.RESOURCE_EXHAUSTED, `request message of ${length} bytes exceeds ${MAX_AGENT_MESSAGE_BYTES}`);
  if (body.length < 5 + length) throw new RpcError(Status.INTERNAL, 'truncated message');
  if (body.length > 5 + length) throw new RpcError(Status.UNIMPLEMENTED, 'more than one request message on a unary method');
  return body.subarray(5);
}

/** What the server reports of a call it refused or a frame it could not take. */
export type RpcProtocolError = (what: { rpc: string; code: Status; message: string }) => void;

export class RpcServer {
  private readonly methods = new Map<string, Method>();
  private readonly root = protobuf.Root.fromJSON(agentProtoDescriptor as protobuf.INamespace);
  private readonly connections = new Set<Duplex>();

  constructor(private readonly onError: RpcProtocolError = () => undefined) {}

  /** Registers `service` (e.g. "vessel.agent.v1.Health"): every method must have an implementation. */
  addService(service: string, impls: Record<string, UnaryImpl>): void {
    const svc = this.root.lookupService(service);
    for (const m of Object.values(svc.methods)) {
      const impl = impls[m.name];
      if (!impl) throw new Error(`${service}.${m.name} has no implementation`);
      if (m.requestStream || m.responseStream) throw new Error(`${service}.${m.name} is streaming; this server serves unary methods`);
      this.methods.set(`/${service}/${m.name}`, { impl, request: svc.lookupType(m.requestType), response: svc.lookupType(m.responseType) });
    }
  }

  /**
   * Codes an empty request and response of every method, so protobufjs
   * generates its decoders and encoders now: the image build calls it before
   * taking the agent's V8 snapshot, where they are kept, instead of each being
   * generated (and compiled under TCG) on a method's first call.
   */
  warmCodecs(): void {
    for (const m of this.methods.values()) {
      m.request.toObject(m.request.decode(new Uint8Array(0)), TO_OBJECT);
      m.response.encode(m.response.fromObject({})).finish();
    }
  }

  /** Serves one host connection (the port's bytes after the hello) until it ends; its calls are then cancelled. */
  inject(connection: Duplex): void {
    this.connections.add(connection);
    const calls = new Map<number, AbortController>();
    const send = (frame: Buffer): void => {
      if (!connection.destroyed && connection.writable) connection.write(frame);
    };
    const answer = (id: number, code: Status, message: string, payload?: Uint8Array): void => {
      // A call the host cancelled (or a connection gone) gets no answer.
      if (!calls.delete(id)) return;
      send(encodeResponse(id, code, message, payload));
    };
    const refuse = (id: number, rpc: string, code: Status, message: string): void => {
      this.onError({ rpc, code, message });
      answer(id, code, message);
    };
    const decoder = new RpcFrameDecoder(
      (frame) => this.frame(frame, calls, send, answer, refuse),
      (err: RpcFrameError, oversized) => {
        this.onError({ rpc: '', code: Status.INTERNAL, message: `bad frame${err.id === null ? '' : ` (call ${err.id})`}: ${err.reason}` });
        // A request that could not be read still gets its answer, so the host's call ends now, not at its deadline.
        if (err.type === RpcFrameType.REQUEST && err.id !== null && !calls.has(err.id)) {
          calls.set(err.id, new AbortController());
          answer(err.id, oversized ? Status.RESOURCE_EXHAUSTED : Status.INTERNAL, err.reason);
        }
      },
    );
    const gone = (): void => {
      if (!this.connections.delete(connection)) return;
      decoder.end();
      for (const c of calls.values()) c.abort();
      calls.clear();
    };
    connection.on('data', (chunk: Buffer) => decoder.push(chunk));
    connection.on('end', gone);
    connection.on('close', gone);
    connection.on('error', gone);
  }

  private frame(
    frame: RpcFrame,
    calls: Map<number, AbortController>,
    send: (b: Buffer) => void,
    answer: (id: number, code: Status, message: string, payload?: Uint8Array) => void,
    refuse: (id: number, rpc: string, code: Status, message: string) => void,
  ): void {
    switch (frame.type) {
      case RpcFrameType.PING:
        send(encodeEmpty(RpcFrameType.PONG, frame.id));
        return;
      case RpcFrameType.CANCEL:
        calls.get(frame.id)?.abort();
        calls.delete(frame.id);
        return;
      case RpcFrameType.REQUEST:
        break;
      default:
        this.onError({ rpc: '', code: Status.INTERNAL, message: `unexpected frame type ${frame.type} from the host` });
        return;
    }
    const { id, path } = frame;
    const rpc = path.slice(path.lastIndexOf('/') + 1);
    if (calls.has(id)) {
      // The host's bug, not the first call's: that one carries on.
      this.onError({ rpc, code: Status.INTERNAL, message: `call id ${id} is already in use` });
      return;
    }
    const abort = new AbortController();
    calls.set(id, abort);
    const method = this.methods.get(path);
    if (!method) return refuse(id, rpc, Status.UNIMPLEMENTED, `unknown method ${path}`);
    let request: unknown;
    try {
      const bytes = unaryMessage(frame.body);
      request = method.request.toObject(method.request.decode(bytes), TO_OBJECT);
    } catch (err) {
      return err instanceof RpcError ? refuse(id, rpc, err.code, err.message) : refuse(id, rpc, Status.INTERNAL, `request does not decode: ${String(err)}`);
    }
    let deadline: NodeJS.Timeout | undefined;
    if (frame.timeoutMs > 0) {
      deadline = setTimeout(() => {
        abort.abort();
        refuse(id, rpc, Status.DEADLINE_EXCEEDED, 'deadline exceeded');
      }, frame.timeoutMs);
    }
    method.impl(request, abort.signal).then(
      (response) => {
        clearTimeout(deadline);
        let payload: Uint8Array;
        try {
          payload = method.response.encode(method.response.fromObject(response as Record<string, unknown>)).finish();
        } catch (err) {
          return refuse(id, rpc, Status.INTERNAL, `response does not encode: ${String(err)}`);
        }
        if (payload.length > MAX_AGENT_MESSAGE_BYTES) return refuse(id, rpc, Status.RESOURCE_EXHAUSTED, `response of ${payload.length} bytes exceeds ${MAX_AGENT_MESSAGE_BYTES}`);
        answer(id, Status.OK, '', payload);
      },
      (err: unknown) => {
        clearTimeout(deadline);
        // Handlers log their own failures (handlers.ts unary()).
        answer(id, err instanceof RpcError ? err.code : Status.INTERNAL, err instanceof Error ? err.message : String(err));
      },
    );
  }

  /** Ends every host connection now (their calls are cancelled). */
  forceShutdown(): void {
    for (const c of [...this.connections]) c.destroy();
  }
}
