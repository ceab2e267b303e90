// The RPC implementations. Every request is validated with zod: the host is
// trusted more than the guest, but a malformed request must fail cleanly, not crash PID 1's child.
import type * as grpc from '@grpc/grpc-js';
// zod/mini: same validation, a fraction of the bundle (startup time under TCG is parse time).
import * as z from 'zod/mini';
import type { AgentServiceHandlers, HealthHandlers } from '../../core/agent/proto/index.js';
import {
  ContainerRequestSchema, CreateContainerRequestSchema, ExecProcessRequestSchema, ProcessRequestSchema, ReadStreamRequestSchema,
  RemoveContainerRequestSchema, SignalProcessRequestSchema, TtyWinResizeRequestSchema, UpdateContainerRequestSchema, WriteStreamRequestSchema,
} from './container-schemas.js';
import { ContainerEngine, type EngineErrorKind } from './engine.js';
import { log } from './log.js';
import { RpcError, Status } from '../../core/agent/proto/status.js';
import type { UnaryImpl } from './rpc-server.js';
import { bindGuestVfio, findPciDevice, mountBlockIntoContainer, unmountFromContainer } from './pci-devices.js';
import type { GuestSystem } from './system.js';
import { DnsLinesSchema, type GuestNetwork } from './network.js';
import { networkHandlers } from './network-handlers.js';
import { AGENT_VERSION, GRPC_VERSION } from './version.js';
import { factoryHandlers } from './factory-handlers.js';

/**
 * The contract's SANDBOX_ID_PATTERN (core/contract/sandbox.ts), repeated here
 * because importing the contract would pull full zod into the guest bundle.
 * A unit test keeps the two equal.
 */
export const GUEST_SANDBOX_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const HOSTNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const SandboxIdField = z.string().check(z.regex(GUEST_SANDBOX_ID_PATTERN, 'sandbox_id must be 1-64 letters, digits, "_" or "-"'));
const Hostname = z.string().check(z.regex(HOSTNAME_PATTERN, 'hostname must be 1-64 letters, digits, ".", "_" or "-"'));
const intIn = (min: number, max: number, what: string) =>
  z.number().check(z.refine((n) => Number.isInteger(n) && n >= min && n <= max, `${what} must be an integer in ${min}..${max}`));

export const CheckRequestSchema = z.object({ service: z.string().check(z.maxLength(256, 'service name too long')) });
export const CreateSandboxRequestSchema = z.object({ sandboxId: SandboxIdField, hostname: Hostname, dns: z.optional(DnsLinesSchema), shareOnDemand: z.optional(z.boolean()), previousSandboxId: z.optional(z.string().check(z.maxLength(64))) });
export const DestroySandboxRequestSchema = z.object({ sandboxId: SandboxIdField });
export const SetGuestDateTimeRequestSchema = z.object({
  sec: intIn(0, 253_402_300_799, 'sec'), // up to 9999-12-31
  usec: intIn(0, 999_999, 'usec'),
});

export { RpcError };

export function parse<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new RpcError(Status.INVALID_ARGUMENT, `${what}: ${where}${issue?.message ?? 'invalid request'}`);
  }
  return result.data;
}

const STATUS_OF: Record<EngineErrorKind, Status> = {
  not_found: Status.NOT_FOUND,
  precondition: Status.FAILED_PRECONDITION,
  invalid: Status.INVALID_ARGUMENT,
  exists: Status.ALREADY_EXISTS,
  internal: Status.INTERNAL,
};

function statusOf(err: unknown): Status {
  if (err instanceof RpcError) return err.code;
  const engine = ContainerEngine.classify(err);
  return engine ? STATUS_OF[engine.kind] : Status.INTERNAL;
}

/**
 * A method's implementation for the agent's RPC server (rpc-server.ts), typed
 * by the request and response of the generated grpc-js handler it stands for
 * (types only: the guest bundles no gRPC library).
 */
export type TypedUnary<Req, Res> = UnaryImpl & { readonly __types?: (req: Req) => Res };
export type Handlers<H> = {
  [K in keyof H as string extends K ? never : K]-?: H[K] extends grpc.handleUnaryCall<infer Req, infer Res> ? TypedUnary<Req, Res> : never;
};

/** Adapts an async function to a unary method, mapping errors to statuses (and logging them). */
export function unary<Req, Res>(name: string, fn: (req: Req, cancelled: AbortSignal) => Promise<Res> | Res): TypedUnary<Req, Res> {
  return (request, cancelled) =>
    Promise.resolve()
      .then(() => fn(request as Req, cancelled))
      .catch((err: unknown) => {
        const code = statusOf(err);
        const message = err instanceof Error ? err.message : String(err);
        log('warn', 'rpc failed', { rpc: name, code, err: message.slice(0, 200) });
        throw new RpcError(code, message);
      });
}

export interface AgentState {
  sandboxId: string | null;
}

export function createHandlers(system: GuestSystem, state: AgentState = { sandboxId: null }, engine: ContainerEngine | null = null, net: GuestNetwork | null = null): {
  health: Handlers<HealthHandlers>;
  agent: Handlers<AgentServiceHandlers>;
} {
  const health: Handlers<HealthHandlers> = {
    Check: unary('Check', (req) => {
      parse(CheckRequestSchema, req, 'Check');
      return { status: 'SERVING' as const };
    }),
    Version: unary('Version', (req) => {
      parse(CheckRequestSchema, req, 'Version');
      return { grpcVersion: GRPC_VERSION, agentVersion: AGENT_VERSION };
    }),
  };

  const agent: Handlers<AgentServiceHandlers> = {
    CreateSandbox: unary('CreateSandbox', async (req) => {
      const { sandboxId, hostname, dns, shareOnDemand, previousSandboxId } = parse(CreateSandboxRequestSchema, req, 'CreateSandbox');
      // Idempotent for the same sandbox: a restored host may repeat it. A fork of a checkpoint names the ID it replaces.
      const forkOf = previousSandboxId !== undefined && previousSandboxId !== '' && previousSandboxId === state.sandboxId;
      if (state.sandboxId !== null && state.sandboxId !== sandboxId && !forkOf) {
        throw new RpcError(Status.ALREADY_EXISTS, `this guest already runs sandbox ${state.sandboxId}`);
      }
      await system.setHostname(hostname);
      net?.writeSandboxFiles(hostname, dns ?? []);
      await net?.loopbackUp().catch((err: unknown) => log('warn', 'loopback not up', { err: String(err) }));
      await engine?.prepareSandbox({ shareOnDemand: shareOnDemand === true });
      state.sandboxId = sandboxId;
      log('info', 'sandbox created', { id: sandboxId });
      return {};
    }),
    DestroySandbox: unary('DestroySandbox', async (req) => {
      const { sandboxId } = parse(DestroySandboxRequestSchema, req, 'DestroySandbox');
      if (state.sandboxId !== sandboxId) {
        throw new RpcError(Status.NOT_FOUND, `sandbox ${sandboxId} is not running in this guest`);
      }
      await engine?.removeAll();
      state.sandboxId = null;
      log('info', 'sandbox destroyed', { id: sandboxId });
      return {};
    }),
    GetGuestDetails: unary('GetGuestDetails', () => ({
      kernelRelease: system.kernelRelease(),
      memTotalKib: system.memTotalKiB(),
      cpus: system.onlineCpus(),
      agentVersion: AGENT_VERSION,
      uptimeMs: system.uptimeMs(),
    })),
    SetGuestDateTime: unary('SetGuestDateTime', async (req) => {
      const { sec, usec } = parse(SetGuestDateTimeRequestSchema, req, 'SetGuestDateTime');
      await system.setDateTime(sec, usec);
      return {};
    }),
    ...factoryHandlers(system),
    ...networkHandlers(() => net),
    ...containerHandlers(() => {
      if (!engine) throw new RpcError(Status.UNIMPLEMENTED, 'this agent runs without a container engine');
      return engine;
    }),
    ...deviceHandlers(() => {
      if (!engine) throw new RpcError(Status.UNIMPLEMENTED, 'this agent runs without a container engine');
      return engine;
    }),
  };
  return { health, agent };
}

type ContainerHandlerNames =
  | 'CreateContainer' | 'StartContainer' | 'RemoveContainer' | 'PauseContainer' | 'ResumeContainer' | 'StatsContainer' | 'ListProcesses'
  | 'UpdateContainer' | 'ExecProcess' | 'SignalProcess' | 'WaitProcess' | 'TtyWinResize' | 'WriteStdin' | 'CloseStdin' | 'ReadStdout' | 'ReadStderr';

function containerHandlers(engineOf: () => ContainerEngine): Pick<Handlers<AgentServiceHandlers>, ContainerHandlerNames> {
  const readStream = (which: 'stdout' | 'stderr', rpc: string) => unary(rpc, async (req: unknown, cancelled: AbortSignal) => {
    const r = parse(ReadStreamRequestSchema, req, rpc);
    const got = await engineOf().readStream(r.containerId, r.execId, which, r.offset, r.maxBytes, r.waitMs, cancelled);
    return { offset: got.offset, data: got.data, eof: got.eof };
  });
  return {
    CreateContainer: unary('CreateContainer', async (req) => {
      const r = parse(CreateContainerRequestSchema, req, 'CreateContainer');
      await engineOf().createContainer(r);
      return {};
    }),
    StartContainer: unary('StartContainer', async (req) => {
      await engineOf().startContainer(parse(ContainerRequestSchema, req, 'StartContainer').containerId);
      return {};
    }),
    RemoveContainer: unary('RemoveContainer', async (req) => {
      const r = parse(RemoveContainerRequestSchema, req, 'RemoveContainer');
      await engineOf().removeContainer(r.containerId, r.force);
      return {};
    }),
    PauseContainer: unary('PauseContainer', async (req) => {
      await engineOf().pauseContainer(parse(ContainerRequestSchema, req, 'PauseContainer').containerId);
      return {};
    }),
    ResumeContainer: unary('ResumeContainer', async (req) => {
      await engineOf().resumeContainer(parse(ContainerRequestSchema, req, 'ResumeContainer').containerId);
      return {};
    }),
    StatsContainer: unary('StatsContainer', (req) => engineOf().stats(parse(ContainerRequestSchema, req, 'StatsContainer').containerId)),
    ListProcesses: unary('ListProcesses', (req) => ({ processes: engineOf().listProcesses(parse(ContainerRequestSchema, req, 'ListProcesses').containerId) })),
    UpdateContainer: unary('UpdateContainer', async (req) => {
      const r = parse(UpdateContainerRequestSchema, req, 'UpdateContainer');
      await engineOf().updateContainer(r.containerId, r.resourcesJson);
      return {};
    }),
    ExecProcess: unary('ExecProcess', async (req) => {
      const r = parse(ExecProcessRequestSchema, req, 'ExecProcess');
      await engineOf().execProcess(r.containerId, r.execId, r.processJson);
      return {};
    }),
    SignalProcess: unary('SignalProcess', async (req) => {
      const r = parse(SignalProcessRequestSchema, req, 'SignalProcess');
      await engineOf().signalProcess(r.containerId, r.execId, r.signal, r.all);
      return {};
    }),
    WaitProcess: unary('WaitProcess', async (req) => {
      const r = parse(ProcessRequestSchema, req, 'WaitProcess');
      return engineOf().waitProcess(r.containerId, r.execId);
    }),
    TtyWinResize: unary('TtyWinResize', (req) => {
      const r = parse(TtyWinResizeRequestSchema, req, 'TtyWinResize');
      engineOf().resizeTty(r.containerId, r.execId, r.rows, r.columns);
      return {};
    }),
    WriteStdin: unary('WriteStdin', async (req) => {
      const r = parse(WriteStreamRequestSchema, req, 'WriteStdin');
      return { len: await engineOf().writeStdin(r.containerId, r.execId, r.data) };
    }),
    CloseStdin: unary('CloseStdin', (req) => {
      const r = parse(ProcessRequestSchema, req, 'CloseStdin');
      engineOf().closeStdin(r.containerId, r.execId);
      return {};
    }),
    ReadStdout: readStream('stdout', 'ReadStdout'),
    ReadStderr: readStream('stderr', 'ReadStderr'),
  };
}

const FindPciDeviceRequestSchema = z.object({ pciPath: z.string().check(z.maxLength(64)), timeoutMs: intIn(0, 60_000, 'timeout_ms'), bindVfio: z.optional(z.boolean()) });
const MountBlockDeviceRequestSchema = z.object({
  containerId: z.string().check(z.minLength(1), z.maxLength(128)),
  pciPath: z.string().check(z.maxLength(64)),
  mountPoint: z.string().check(z.minLength(1), z.maxLength(4096)),
  readOnly: z.boolean(),
  fsType: z.string().check(z.maxLength(16)),
  timeoutMs: intIn(0, 60_000, 'timeout_ms'),
});
const UnmountBlockDeviceRequestSchema = z.object({ containerId: z.string().check(z.minLength(1), z.maxLength(128)), mountPoint: z.string().check(z.minLength(1), z.maxLength(4096)) });

function deviceHandlers(engineOf: () => ContainerEngine): Pick<Handlers<AgentServiceHandlers>, 'FindPciDevice' | 'MountBlockDevice' | 'UnmountBlockDevice'> {
  return {
    FindPciDevice: unary('FindPciDevice', async (req) => {
      const r = parse(FindPciDeviceRequestSchema, req, 'FindPciDevice');
      if (!r.bindVfio) return findPciDevice(r.pciPath, r.timeoutMs);
      const b = await bindGuestVfio(r.pciPath, r.timeoutMs, { busybox: engineOf().toolBusybox() });
      log('info', 'device bound to the guest vfio-pci', { pciPath: r.pciPath, address: b.address, group: b.vfioGroup });
      return { ...b, hasVfioGroup: true };
    }),
    MountBlockDevice: unary('MountBlockDevice', async (req) => {
      const r = parse(MountBlockDeviceRequestSchema, req, 'MountBlockDevice');
      const blockDevice = await mountBlockIntoContainer(engineOf().containerInit(r.containerId), r);
      log('info', 'block device mounted into container', { container: r.containerId, pciPath: r.pciPath, at: r.mountPoint, blockDevice });
      return { blockDevice };
    }),
    UnmountBlockDevice: unary('UnmountBlockDevice', async (req) => {
      const r = parse(UnmountBlockDeviceRequestSchema, req, 'UnmountBlockDevice');
      await unmountFromContainer(engineOf().containerInit(r.containerId), r.mountPoint);
      return {};
    }),
  };
}
