import { z } from 'zod';
import { VesselError } from '../contract/index.js';
import { OCI_VERSION } from './spec.js';

/**
 * A container's status as the OCI runtime state (`runtime state` JSON), what
 * `crun state` / `kata-runtime state` print and what CRI shims read.
 * 'paused' is not in the runtime-spec's list but runc, crun and Kata report it.
 */
export const OciStatus = z.enum(['creating', 'created', 'running', 'paused', 'stopped']);
export type OciStatus = z.infer<typeof OciStatus>;

export const OciState = z.object({
  ociVersion: z.string(),
  id: z.string().min(1),
  status: OciStatus,
  pid: z.number().int().nonnegative(),
  bundle: z.string(),
  annotations: z.record(z.string(), z.string()),
});
export type OciState = z.infer<typeof OciState>;

export interface ContainerStatusForOci {
  id: string;
  status: 'created' | 'running' | 'paused' | 'stopped';
  /** The process ID the runtime reports for the container; null or 0 when there is none (stopped). */
  pid: number | null;
  bundle: string;
  annotations?: Record<string, string>;
}

/**
 * Vessel's container status → OCI state. A stopped container reports pid 0
 * (as runc does); a live one must have a pid.
 */
export function toOciState(input: ContainerStatusForOci): OciState {
  const status = OciStatus.safeParse(input.status);
  if (!status.success || status.data === 'creating') {
    throw new VesselError('E_INVALID_ARGUMENT', `cannot express container status ${JSON.stringify(input.status)} as OCI state: expected created, running, paused or stopped`, {
      status: input.status,
    });
  }
  const pid = input.status === 'stopped' ? 0 : input.pid ?? 0;
  if (!Number.isInteger(pid) || pid < 0 || (input.status !== 'stopped' && pid === 0)) {
    throw new VesselError('E_INVALID_ARGUMENT', `container ${input.id} is ${input.status} but has no valid process ID (${String(input.pid)})`, {
      id: input.id,
      pid: input.pid,
    });
  }
  return OciState.parse({
    ociVersion: OCI_VERSION,
    id: input.id,
    status: status.data,
    pid,
    bundle: input.bundle,
    annotations: { ...(input.annotations ?? {}) },
  });
}
