import { VesselError } from '../contract/index.js';
import type { SandboxState } from '../contract/index.js';

/**
 * The sandbox state machine, as virtcontainers' types.SandboxState.ValidTransition:
 *
 *   ready   → running | stopped
 *   running → paused  | stopped
 *   paused  → running | stopped
 *   stopped → running
 *
 * A transition to the same state is never valid: callers that want
 * idempotence ("stop an already stopped sandbox") decide that themselves.
 */
const TRANSITIONS: Readonly<Record<SandboxState, readonly SandboxState[]>> = {
  ready: ['running', 'stopped'],
  running: ['paused', 'stopped'],
  paused: ['running', 'stopped'],
  stopped: ['running'],
};

/** Why a state refuses a transition, in words a user can act on. */
const ALLOWED_IN_WORDS: Readonly<Record<SandboxState, string>> = {
  ready: 'a ready sandbox can only be started or stopped',
  running: 'a running sandbox can only be paused or stopped',
  paused: 'a paused sandbox can only be resumed or stopped',
  stopped: 'a stopped sandbox can only be started',
};

/** The states reachable from `from` in one step. */
export function validTransitions(from: SandboxState): readonly SandboxState[] {
  return TRANSITIONS[from];
}

export function canTransition(from: SandboxState, to: SandboxState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws E_INVALID_STATE (details: {from, to}) unless from → to is a valid transition. */
export function assertTransition(from: SandboxState, to: SandboxState): void {
  if (canTransition(from, to)) return;
  const why = from === to ? `the sandbox is already ${from}` : ALLOWED_IN_WORDS[from];
  throw new VesselError('E_INVALID_STATE', `cannot go from "${from}" to "${to}": ${why}`, { from, to });
}
