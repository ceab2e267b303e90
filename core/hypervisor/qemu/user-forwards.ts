// Live port forwards of QEMU's built-in user networking (slirp): QEMU has no
// QMP command for them, only the HMP commands hostfwd_add / hostfwd_remove,
// sent through QMP's human-monitor-command. HMP answers with text: add is
// silent on success and says "Could not set up host forwarding rule" when
// the host port is taken; remove says "... removed" or "... not found".
import { z } from 'zod';
import { VesselError } from '../../contract/index.js';
import type { HypervisorState, UserHostForward } from '../hypervisor.js';
import type { QmpClient } from './qmp.js';

interface QmpSessions {
  withQmp<T>(state: HypervisorState, fn: (qmp: QmpClient) => Promise<T>): Promise<T>;
}

const NIC_ID = /^net\d{1,2}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function validate(nicId: string, f: UserHostForward): void {
  if (!NIC_ID.test(nicId)) throw new VesselError('E_INVALID_ARGUMENT', `invalid NIC id "${nicId}"`);
  if (!IPV4.test(f.hostIp)) throw new VesselError('E_INVALID_ARGUMENT', `invalid host IP ${f.hostIp}`);
  for (const p of [f.hostPort, f.guestPort]) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new VesselError('E_INVALID_ARGUMENT', `invalid port ${p}`);
  }
}

/** The HMP command lines (exported for the unit test). */
export function hostfwdAddCommand(nicId: string, f: UserHostForward): string {
  validate(nicId, f);
  return `hostfwd_add ${nicId} ${f.protocol}:${f.hostIp}:${f.hostPort}-:${f.guestPort}`;
}

export function hostfwdRemoveCommand(nicId: string, f: UserHostForward): string {
  validate(nicId, f);
  return `hostfwd_remove ${nicId} ${f.protocol}:${f.hostIp}:${f.hostPort}`;
}

async function hmp(qmp: QmpClient, command: string): Promise<string> {
  return (await qmp.execute('human-monitor-command', { 'command-line': command }, z.string())).trim();
}

export async function addUserForward(q: QmpSessions, state: HypervisorState, nicId: string, f: UserHostForward): Promise<void> {
  const command = hostfwdAddCommand(nicId, f);
  const out = await q.withQmp(state, (qmp) => hmp(qmp, command));
  if (out !== '') {
    const busy = /could not set up host forwarding/i.test(out);
    throw new VesselError(busy ? 'E_BUSY' : 'E_HYPERVISOR', busy
      ? `host port ${f.hostIp}:${f.hostPort}/${f.protocol} could not be bound by QEMU (already in use on this host?): pick another port`
      : `QEMU refused the forward ${f.hostIp}:${f.hostPort}->${f.guestPort}/${f.protocol}: ${out}`, { port: f.hostPort });
  }
}

export async function removeUserForward(q: QmpSessions, state: HypervisorState, nicId: string, f: UserHostForward): Promise<void> {
  const command = hostfwdRemoveCommand(nicId, f);
  const out = await q.withQmp(state, (qmp) => hmp(qmp, command));
  // QEMU 7.2 answers "host forwarding rule for PROTO:IP:PORT removed", or "... not found" (already gone is what remove wants).
  if (out !== '' && !/\b(removed|not found)$/i.test(out)) throw new VesselError('E_HYPERVISOR', `QEMU could not remove the forward of host port ${f.hostPort}/${f.protocol}: ${out}`);
}
