import { VesselError, type ContainerState, type ProcessExit } from '../contract/index.js';

/**
 * Container state transitions, as CRI-O allows them:
 * created → running → (paused ⇄ running) → stopped; created → stopped (killed before start).
 */
const ALLOWED: Readonly<Record<ContainerState, readonly ContainerState[]>> = {
  created: ['running', 'stopped'],
  running: ['paused', 'stopped'],
  paused: ['running', 'stopped'],
  stopped: [],
};

export function canTransition(from: ContainerState, to: ContainerState): boolean {
  return ALLOWED[from].includes(to);
}

export function assertContainerTransition(c: { name: string; state: ContainerState }, to: ContainerState): void {
  if (canTransition(c.state, to)) return;
  const verb = { running: 'start', paused: 'pause', stopped: 'stop', created: 'create' }[to];
  throw new VesselError('E_INVALID_STATE', `cannot ${verb} container ${c.name}: it is ${c.state}`, { from: c.state, to });
}

/** The record fields an exit sets. */
export function exitFields(exit: ProcessExit): { exitCode: number; signal: number; oomKilled: boolean; error: string | null } {
  return {
    exitCode: exit.exitCode,
    signal: exit.signal,
    oomKilled: exit.oomKilled,
    error: exit.oomKilled ? 'killed by the OOM killer (out of memory)' : exit.error ? exit.error : null,
  };
}
