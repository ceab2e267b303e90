import { z } from 'zod';
import { MAX_MEMORY_MIB, MAX_VCPUS, MIN_MEMORY_MIB } from '../contract/index.js';
import { DECIMAL_UINT, invalidArgument, quote } from './internal.js';

/**
 * VM resources. Bounds come from core/contract so the API, the CLI and the
 * store agree: 1 … MAX_VCPUS vCPUs, MIN_MEMORY_MIB … MAX_MEMORY_MIB MiB.
 */
export const Resources = z.object({
  vcpus: z
    .number()
    .int('vCPUs must be a whole number')
    .min(1, 'vCPUs must be at least 1')
    .max(MAX_VCPUS, `vCPUs must be at most ${MAX_VCPUS}`),
  memoryMiB: z
    .number()
    .int('memory must be a whole number of MiB')
    .min(MIN_MEMORY_MIB, `memory must be at least ${MIN_MEMORY_MIB} MiB`)
    .max(MAX_MEMORY_MIB, `memory must be at most ${MAX_MEMORY_MIB} MiB`),
});
export type Resources = z.infer<typeof Resources>;

const SIZE = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b|i)?)?$/i;
const UNIT_TO_MIB: Record<string, number> = { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 };
const SIZE_EXPECTED = 'expected a positive size like "512M", "2G", "512Mi" or "1.5GiB" (units are binary, as QEMU\'s -m; a plain number is MiB)';

/**
 * Parse a memory size to MiB. K/M/G/T, with or without "i" and "B", are all
 * binary (1M = 1 MiB = 2^20 bytes), as QEMU and the Kata configuration read
 * them; a plain number is MiB. The result must be a whole, positive number of
 * MiB ("1.5G" is fine, "100K" is not). Bounds are checked by {@link parseResources}.
 */
export function parseMemorySize(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isInteger(input) || input <= 0) {
      throw invalidArgument(`invalid memory size ${input}: a number of MiB must be a whole number greater than zero`, { input });
    }
    return input;
  }
  const match = SIZE.exec(input.trim());
  if (!match) throw invalidArgument(`invalid memory size ${quote(input)}: ${SIZE_EXPECTED}`, { input });
  const amount = Number(match[1]);
  const unit = (match[2] ?? 'm').toLowerCase();
  const mib = amount * (UNIT_TO_MIB[unit] ?? 1);
  if (mib === 0) throw invalidArgument(`invalid memory size ${quote(input)}: must be greater than zero`, { input });
  // Tolerate float noise from the decimal (e.g. 0.1 * 1024), then insist on whole MiB.
  const rounded = Math.round(mib);
  if (Math.abs(mib - rounded) > 1e-9 || rounded === 0) {
    throw invalidArgument(`invalid memory size ${quote(input)}: is not a whole number of MiB (${mib} MiB)`, { input });
  }
  return rounded;
}

/** Alias of {@link parseMemorySize}, by the name the CLI uses. */
export const parseMemoryMiB = parseMemorySize;

/** Parse a vCPU count ("2" or 2): a whole number, at least 1. Bounds are checked by {@link parseResources}. */
export function parseVcpus(input: string | number): number {
  const text = typeof input === 'number' ? String(input) : input.trim();
  if (!DECIMAL_UINT.test(text) || Number(text) === 0) {
    throw invalidArgument(`invalid vCPU count ${typeof input === 'number' ? input : quote(input)}: expected a whole number of at least 1, e.g. "2"`, { input });
  }
  return Number(text);
}

/**
 * Parse and bound-check resources given as strings (CLI flags, config files)
 * or numbers. Memory numbers are MiB.
 */
export function parseResources(input: { vcpus: string | number; memory: string | number }): Resources {
  const vcpus = parseVcpus(input.vcpus);
  const memoryMiB = parseMemorySize(input.memory);
  if (vcpus > MAX_VCPUS) throw invalidArgument(`invalid vCPU count ${vcpus}: at most ${MAX_VCPUS} vCPUs are supported`, { vcpus });
  const shown = typeof input.memory === 'string' ? `${quote(input.memory)} (${memoryMiB} MiB)` : `${memoryMiB} MiB`;
  if (memoryMiB < MIN_MEMORY_MIB) {
    throw invalidArgument(`invalid memory size ${shown}: a sandbox needs at least ${MIN_MEMORY_MIB} MiB`, { memoryMiB });
  }
  if (memoryMiB > MAX_MEMORY_MIB) {
    throw invalidArgument(`invalid memory size ${shown}: at most ${MAX_MEMORY_MIB} MiB (${MAX_MEMORY_MIB / 1024} GiB) is supported`, { memoryMiB });
  }
  return { vcpus, memoryMiB };
}

/** Format MiB the way users write it: "512M", "2G". */
export function formatMemorySize(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024}G` : `${mib}M`;
}
