import { readFileSync } from 'node:fs';

/** The hard open-files limit a child (virtiofsd) inherits and may raise its soft limit up to, or null if unknown. */
export function openFileHardLimit(limitsFile = '/proc/self/limits'): number | null {
  try {
    const line = readFileSync(limitsFile, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const hard = line?.trim().split(/\s+/)[4];
    if (hard === 'unlimited') return Number.MAX_SAFE_INTEGER;
    const n = Number(hard);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}
