// Host memory pressure, for the VM cache: a warm pool of paused VMs is memory
// the host may need more. The cache server samples /proc/meminfo
// (MemAvailable) and, where the kernel has it, PSI (/proc/pressure/memory:
// the share of time tasks stalled on memory), and shrinks its pool one VM
// per sample while the host is short, growing it back to the configured size
// one VM per sample once it has been comfortable for a while.
import { readFileSync } from 'node:fs';

export interface MemorySample {
  totalKiB: number;
  availableKiB: number;
  /** PSI "some avg10" (percent of the last 10 s), null where the kernel has no PSI. */
  psiSomeAvg10: number | null;
}

/**
 * One reading. The paths can be replaced through VESSEL_MEMINFO_FILE and
 * VESSEL_PSI_MEMORY_FILE: a TEST SEAM (a test cannot put this machine under
 * memory pressure), read only when set.
 */
export function readMemorySample(env: NodeJS.ProcessEnv = process.env): MemorySample | null {
  try {
    const meminfo = readFileSync(env.VESSEL_MEMINFO_FILE ?? '/proc/meminfo', 'utf8');
    const field = (name: string): number | null => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(meminfo);
      return m?.[1] ? Number(m[1]) : null;
    };
    const totalKiB = field('MemTotal');
    const availableKiB = field('MemAvailable');
    if (totalKiB === null || availableKiB === null) return null;
    let psiSomeAvg10: number | null = null;
    try {
      const psi = readFileSync(env.VESSEL_PSI_MEMORY_FILE ?? '/proc/pressure/memory', 'utf8');
      const m = /^some avg10=([\d.]+)/m.exec(psi);
      psiSomeAvg10 = m?.[1] ? Number(m[1]) : null;
    } catch {
      // no PSI in this kernel (or not readable): MemAvailable alone
    }
    return { totalKiB, availableKiB, psiSomeAvg10 };
  } catch {
    return null;
  }
}

/** Short: under 10 % of RAM (or 1 GiB) available, or tasks stalled on memory ≥ 10 % of the last 10 s. */
const SHORT_FRACTION = 0.1;
const SHORT_MIN_KIB = 1024 * 1024;
const SHORT_PSI = 10;
/** Comfortable again: 20 % (and 2 GiB) available and stalls under 2 %, for this many samples in a row. */
const COMFORT_FRACTION = 0.2;
const COMFORT_MIN_KIB = 2 * 1024 * 1024;
const COMFORT_PSI = 2;
export const COMFORT_SAMPLES = 6;

function gib(kib: number): string {
  return `${(kib / 1048576).toFixed(1)} GiB`;
}

/** Why the host is short of memory now, or null. */
export function shortOfMemory(s: MemorySample): string | null {
  if (s.availableKiB < Math.max(s.totalKiB * SHORT_FRACTION, SHORT_MIN_KIB)) return `host memory is low (${gib(s.availableKiB)} of ${gib(s.totalKiB)} available)`;
  if (s.psiSomeAvg10 !== null && s.psiSomeAvg10 >= SHORT_PSI) return `tasks stalled on memory ${s.psiSomeAvg10.toFixed(0)} % of the last 10 s (PSI)`;
  return null;
}

function comfortable(s: MemorySample): boolean {
  return s.availableKiB >= Math.max(s.totalKiB * COMFORT_FRACTION, COMFORT_MIN_KIB) && (s.psiSomeAvg10 === null || s.psiSomeAvg10 < COMFORT_PSI);
}

/**
 * The pool size to hold, sample by sample: one VM less per sample while the
 * host is short, one more per sample (up to the configured size) once it
 * has been comfortable for COMFORT_SAMPLES samples; between the two, as is.
 */
export class PressureGovernor {
  private current: number;
  private calm = 0;
  /** Why the pool is below its configured size, or null. */
  reason: string | null = null;

  constructor(private configured: number) {
    this.current = configured;
  }

  get target(): number {
    return this.current;
  }

  configure(n: number): void {
    this.configured = n;
    this.current = Math.min(this.current, n);
    if (this.reason === null) this.current = n;
  }

  sample(s: MemorySample | null): number {
    if (s === null) return this.current;
    const short = shortOfMemory(s);
    if (short !== null) {
      this.calm = 0;
      this.current = Math.max(0, this.current - 1);
      this.reason = `shrunk to ${this.current} of ${this.configured}: ${short}`;
    } else if (this.current < this.configured && comfortable(s)) {
      this.calm++;
      if (this.calm >= COMFORT_SAMPLES) {
        this.current++;
        this.reason = this.current < this.configured ? `growing back to ${this.configured} (host memory is comfortable again)` : null;
      }
    } else {
      this.calm = 0;
      if (this.current >= this.configured) this.reason = null;
    }
    return this.current;
  }
}
