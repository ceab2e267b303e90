import { describe, expect, it } from 'vitest';
import { SandboxState, VesselError } from '../contract/index.js';
import { assertTransition, canTransition, validTransitions } from './index.js';

type State = SandboxState;
const VALID: ReadonlyArray<[State, State]> = [
  ['ready', 'running'],
  ['ready', 'stopped'],
  ['running', 'paused'],
  ['running', 'stopped'],
  ['paused', 'running'],
  ['paused', 'stopped'],
  ['stopped', 'running'],
];

const ALL = SandboxState.options;
const table = ALL.flatMap((from) => ALL.map((to) => ({ from, to, valid: VALID.some(([f, t]) => f === from && t === to) })));

describe('sandbox state machine', () => {
  it('covers all 16 pairs', () => {
    expect(table).toHaveLength(16);
    expect(table.filter((r) => r.valid)).toHaveLength(7);
  });

  it.each(table)('$from → $to is valid: $valid', ({ from, to, valid }) => {
    expect(canTransition(from, to)).toBe(valid);
    expect(validTransitions(from).includes(to)).toBe(valid);
    if (valid) {
      expect(() => assertTransition(from, to)).not.toThrow();
      return;
    }
    let caught: unknown;
    try {
      assertTransition(from, to);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(VesselError);
    const err = caught as VesselError;
    expect(err.code).toBe('E_INVALID_STATE');
    expect(err.message).toContain(`"${from}"`);
    expect(err.message).toContain(`"${to}"`);
    expect(err.details).toEqual({ from, to });
  });

  it('explains what a stopped sandbox can do', () => {
    expect(() => assertTransition('stopped', 'paused')).toThrow(
      'cannot go from "stopped" to "paused": a stopped sandbox can only be started',
    );
  });

  it('says a same-state transition is already there', () => {
    expect(() => assertTransition('running', 'running')).toThrow('the sandbox is already running');
  });
});
