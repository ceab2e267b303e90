// The RPC implementations. Every request is validated with zod: the host is
// trusted more than the guest, but a malformed request must fail cleanly, not crash PID 1's child.
import * as grpc from '@grpc/grpc-js';
// zod/mini: same validation, a fraction of the bundle (startup time under TCG is parse time).
import * as z from 'zod/mini';
import type { AgentServiceHandlers, HealthHandlers } from '../../core/agent/proto/index.js';
import { log } from './log.js';
import type { GuestSystem } from './system.js';
import { AGENT_VERSION, GRPC_VERSION } from './version.js';

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
export const CreateSandboxRequestSchema = z.object({ sandboxId: SandboxIdField, hostname: Hostname });
export const DestroySandboxRequestSchema = z.object({ sandboxId: SandboxIdField });
export const SetGuestDateTimeRequestSchema = z.object({
  sec: intIn(0, 253_402_300_799, 'sec'), // up to 9999-12-31
  usec: intIn(0, 999_999, 'usec'),
});

class RpcError extends Error {
  constructor(readonly code: grpc.status, message: string) {
    super(message);
  }
}

function parse<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new RpcError(grpc.status.INVALID_ARGUMENT, `${what}: ${where}${issue?.message ?? 'invalid request'}`);
  }
  return result.data;
}

/** Adapts an async function to a grpc-js unary handler, mapping errors to statuses. */
function unary<Req, Res>(name: string, fn: (req: Req) => Promise<Res> | Res): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then((res) => callback(null, res))
      .catch((err: unknown) => {
        const code = err instanceof RpcError ? err.code : grpc.status.INTERNAL;
        const message = err instanceof Error ? err.message : String(err);
        log('warn', 'rpc failed', { rpc: name, code, err: message.slice(0, 200) });
        callback({ code, details: message });
      });
  };
}

export interface AgentState {
  sandboxId: string | null;
}

export function createHandlers(system: GuestSystem, state: AgentState = { sandboxId: null }): {
  health: HealthHandlers;
  agent: AgentServiceHandlers;
} {
  const health: HealthHandlers = {
    Check: unary('Check', (req) => {
      parse(CheckRequestSchema, req, 'Check');
      return { status: 'SERVING' as const };
    }),
    Version: unary('Version', (req) => {
      parse(CheckRequestSchema, req, 'Version');
      return { grpcVersion: GRPC_VERSION, agentVersion: AGENT_VERSION };
    }),
  };

  const agent: AgentServiceHandlers = {
    CreateSandbox: unary('CreateSandbox', async (req) => {
      const { sandboxId, hostname } = parse(CreateSandboxRequestSchema, req, 'CreateSandbox');
      // Idempotent for the same sandbox: a restored host may repeat it.
      if (state.sandboxId !== null && state.sandboxId !== sandboxId) {
        throw new RpcError(grpc.status.ALREADY_EXISTS, `this guest already runs sandbox ${state.sandboxId}`);
      }
      await system.setHostname(hostname);
      state.sandboxId = sandboxId;
      log('info', 'sandbox created', { id: sandboxId });
      return {};
    }),
    DestroySandbox: unary('DestroySandbox', (req) => {
      const { sandboxId } = parse(DestroySandboxRequestSchema, req, 'DestroySandbox');
      if (state.sandboxId !== sandboxId) {
        throw new RpcError(grpc.status.NOT_FOUND, `sandbox ${sandboxId} is not running in this guest`);
      }
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
  };
  return { health, agent };
}
