import { VesselError } from '../contract/index.js';

/** Linux signal numbers (x86-64), as `kill -l` names them. */
export const SIGNALS: Readonly<Record<string, number>> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12,
  PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23,
  XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, POLL: 29, PWR: 30, SYS: 31,
};

/** "SIGTERM", "TERM", "term", "15", "RTMIN+2" → a signal number; anything else is E_INVALID_ARGUMENT. */
export function parseSignal(input: string | number): number {
  const text = String(input).trim();
  const bad = (): VesselError =>
    new VesselError('E_INVALID_ARGUMENT', `invalid signal "${text}": use a name like SIGTERM, TERM or KILL, or a number from 1 to 64`, { signal: text });
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 64) return n;
    throw bad();
  }
  const name = text.toUpperCase().replace(/^SIG/, '');
  const known = SIGNALS[name];
  if (known !== undefined) return known;
  const rt = /^RTMIN(?:\+(\d+))?$/.exec(name) ?? null;
  if (rt) {
    const n = 34 + Number(rt[1] ?? 0);
    if (n <= 64) return n;
  }
  const rtmax = /^RTMAX(?:-(\d+))?$/.exec(name);
  if (rtmax) {
    const n = 64 - Number(rtmax[1] ?? 0);
    if (n >= 34) return n;
  }
  throw bad();
}

/** 15 → "SIGTERM"; unknown numbers as "signal N". */
export function signalName(n: number): string {
  const entry = Object.entries(SIGNALS).find(([, v]) => v === n);
  return entry ? `SIG${entry[0]}` : `signal ${n}`;
}
