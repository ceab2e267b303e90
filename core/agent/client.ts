// Host side of the agent protocol: a gRPC client to the guest agent.
//
// With virtio-serial, QEMU exposes the guest's `vessel.agent` port as a unix
// socket (chardev socket, server=on). Connecting succeeds as soon as QEMU
// runs; bytes sent before the agent opens its port wait in QEMU, so the
// client simply retries Health.Check until it answers or the timeout passes.
// Everything the guest replies is untrusted: sizes are bounded and shapes validated.
import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import { GuestDetails, VesselError } from '../contract/index.js';
import { loadAgentProto, type AgentServiceClient, type HealthClient } from './proto/index.js';

/** Where the agent listens, from the host's point of view. */
export type AgentAddress =
  /** A unix socket carrying the agent's byte stream: QEMU's virtio-serial chardev. */
  | { kind: 'unix'; path: string }
  /** AF_VSOCK (needs /dev/vhost-vsock on the host). */
  | { kind: 'vsock'; cid: number; port: number }
  /** Hybrid vsock (Firecracker, Cloud Hypervisor): a unix socket plus a `CONNECT <port>` handshake. */
  | { kind: 'hvsock'; path: string; port: number };

export interface AgentConnectOptions {
  /** How long to wait for the agent to answer Health.Check (it may still be booting). */
  timeoutMs: number;
  /** Default deadline of each RPC after connecting. */
  rpcTimeoutMs?: number;
  signal?: AbortSignal;
}

/** GetGuestDetails as the host sees it: the contract's GuestDetails plus the guest's monotonic uptime. */
export type AgentGuestDetails = GuestDetails & { uptimeMs: number };

export type AgentHealth = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN';

/** Replies are tiny; anything bigger is a misbehaving guest. */
export const MAX_REPLY_BYTES = 1024 * 1024;
const DEFAULT_RPC_TIMEOUT_MS = 30_000;
const CONNECT_ATTEMPT_MS = 2_000;

const HealthReply = z.object({ status: z.enum(['SERVING', 'NOT_SERVING', 'UNKNOWN']) });
const VersionReply = z.object({ grpcVersion: z.string().max(64), agentVersion: z.string().max(128) });
const GuestDetailsReply = z.object({
  kernelRelease: z.string().min(1).max(256),
  memTotalKib: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  cpus: z.number().int().min(1).max(4096),
  agentVersion: z.string().max(128),
  uptimeMs: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});
const EmptyReply = z.object({}).loose();

type Invoke<T> = (options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, value?: T) => void) => void;

function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class AgentClient {
  private closed = false;

  private constructor(
    private readonly address: AgentAddress,
    private readonly health: HealthClient,
    private readonly agent: AgentServiceClient,
    private readonly rpcTimeoutMs: number,
  ) {}

  /** Connect and wait until the agent answers Health.Check. Throws E_TIMEOUT, E_UNSUPPORTED or E_AGENT. */
  static async connect(address: AgentAddress, options: AgentConnectOptions): Promise<AgentClient> {
    const target = targetOf(address);
    const proto = loadAgentProto().vessel.agent.v1;
    const channelOptions: grpc.ChannelOptions = {
      'grpc.max_receive_message_length': MAX_REPLY_BYTES,
      'grpc.max_send_message_length': MAX_REPLY_BYTES,
      // The socket appears when QEMU starts: notice it quickly.
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 500,
      'grpc.enable_retries': 0,
    };
    const health = new proto.Health(target, grpc.credentials.createInsecure(), channelOptions);
    const agent = new proto.AgentService(target, grpc.credentials.createInsecure(), { ...channelOptions, channelOverride: health.getChannel() });
    const client = new AgentClient(address, health, agent, options.rpcTimeoutMs ?? DEFAULT_RPC_TIMEOUT_MS);
    try {
      await client.waitUntilServing(options.timeoutMs, options.signal);
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  private async waitUntilServing(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    for (;;) {
      if (signal?.aborted) throw new VesselError('E_AGENT', `gave up waiting for the guest agent at ${this.where()}: cancelled`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new VesselError('E_TIMEOUT', `the guest agent at ${this.where()} did not answer within ${Math.round(timeoutMs / 1000)} s (${last}); check the guest console log for a boot failure`, { address: this.address });
      }
      try {
        // waitForReady: while the socket is missing (QEMU starting), wait inside the attempt instead of failing at once.
        const status = await this.callRaw('Check', HealthReply, (o, cb) => this.health.Check({ service: '' }, new grpc.Metadata({ waitForReady: true }), o, cb), Math.min(remaining, CONNECT_ATTEMPT_MS));
        if (status.status === 'SERVING') return;
        last = `agent reports ${status.status}`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
        if (err instanceof VesselError && err.code === 'E_AGENT' && err.details?.grpcCode === undefined) throw err; // malformed reply
      }
      await sleep(Math.min(50, Math.max(0, deadline - Date.now())));
    }
  }

  async check(): Promise<AgentHealth> {
    return (await this.call('Check', HealthReply, (o, cb) => this.health.Check({ service: '' }, o, cb))).status;
  }

  async version(): Promise<{ agentVersion: string; grpcVersion: string }> {
    return this.call('Version', VersionReply, (o, cb) => this.health.Version({ service: '' }, o, cb));
  }

  async getGuestDetails(): Promise<AgentGuestDetails> {
    const d = await this.call('GetGuestDetails', GuestDetailsReply, (o, cb) => this.agent.GetGuestDetails({}, o, cb));
    return { kernelRelease: d.kernelRelease, memoryKiB: d.memTotalKib, cpus: d.cpus, agentVersion: d.agentVersion, uptimeMs: d.uptimeMs };
  }

  async createSandbox(sandboxId: string, hostname: string): Promise<void> {
    await this.call('CreateSandbox', EmptyReply, (o, cb) => this.agent.CreateSandbox({ sandboxId, hostname }, o, cb));
  }

  async destroySandbox(sandboxId: string): Promise<void> {
    await this.call('DestroySandbox', EmptyReply, (o, cb) => this.agent.DestroySandbox({ sandboxId }, o, cb));
  }

  async setGuestDateTime(date: Date): Promise<void> {
    const ms = date.getTime();
    if (!Number.isFinite(ms) || ms < 0) throw new VesselError('E_INVALID_ARGUMENT', 'guest date must be a valid date after 1970');
    const sec = Math.floor(ms / 1000);
    const usec = (ms - sec * 1000) * 1000;
    await this.call('SetGuestDateTime', EmptyReply, (o, cb) => this.agent.SetGuestDateTime({ sec, usec }, o, cb));
  }

  /** Close the connection. The guest agent keeps running and accepts the next host. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.health.close();
  }

  private where(): string {
    return this.address.kind === 'unix' ? this.address.path : `${this.address.kind}:${this.address.port}`;
  }

  private call<T>(rpc: string, schema: z.ZodType<T>, invoke: Invoke<unknown>, timeoutMs = this.rpcTimeoutMs): Promise<T> {
    if (this.closed) return Promise.reject(new VesselError('E_INVALID_STATE', `agent client for ${this.where()} is closed`));
    return this.callRaw(rpc, schema, invoke, timeoutMs);
  }

  private callRaw<T>(rpc: string, schema: z.ZodType<T>, invoke: Invoke<unknown>, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      invoke({ deadline: Date.now() + timeoutMs }, (err, value) => {
        if (err) {
          reject(agentError(rpc, err, timeoutMs));
          return;
        }
        const parsed = schema.safeParse(value);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          reject(new VesselError('E_AGENT', `the guest agent sent a malformed ${rpc} reply (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}); the guest image may not match this Vessel version (run npm run build:guest)`));
          return;
        }
        resolve(parsed.data);
      });
    });
  }
}

function agentError(rpc: string, err: unknown, timeoutMs: number): VesselError {
  if (!isServiceError(err)) return new VesselError('E_AGENT', `guest agent ${rpc} failed: ${String(err)}`, { grpcCode: -1 });
  const details = { rpc, grpcCode: err.code };
  const text = (err.details || err.message).slice(0, 500);
  switch (err.code) {
    case grpc.status.DEADLINE_EXCEEDED:
      return new VesselError('E_TIMEOUT', `guest agent ${rpc} did not answer within ${Math.round(timeoutMs / 1000)} s`, details);
    case grpc.status.UNAVAILABLE:
      return new VesselError('E_AGENT', `guest agent unreachable during ${rpc}: ${text} (is the VM running?)`, details);
    case grpc.status.UNIMPLEMENTED:
      return new VesselError('E_AGENT', `the guest agent does not implement ${rpc}; rebuild the guest image (npm run build:guest)`, details);
    case grpc.status.RESOURCE_EXHAUSTED:
      return new VesselError('E_AGENT', `guest agent ${rpc} reply was too large (limit ${MAX_REPLY_BYTES} bytes)`, details);
    default:
      return new VesselError('E_AGENT', `guest agent ${rpc} failed: ${text}`, details);
  }
}

function targetOf(address: AgentAddress): string {
  switch (address.kind) {
    case 'unix':
      if (!address.path.startsWith('/')) throw new VesselError('E_INVALID_ARGUMENT', `agent socket path must be absolute: ${address.path}`);
      return `unix://${address.path}`;
    case 'vsock':
      throw new VesselError('E_UNSUPPORTED', 'vsock agent transport is not implemented: Node has no AF_VSOCK sockets (needs a native addon or a helper process), and this host has no /dev/vhost-vsock; use virtio-serial');
    case 'hvsock':
      throw new VesselError('E_UNSUPPORTED', 'hybrid vsock agent transport (Firecracker/Cloud Hypervisor CONNECT handshake) is not implemented yet; use virtio-serial with QEMU');
  }
}
