import type { z } from 'zod';
import { VesselError } from '../contract/index.js';

/** Quote user input for an error message (JSON quoting shows spaces, control chars and NULs). */
export function quote(input: string): string {
  return JSON.stringify(input);
}

export function invalidArgument(message: string, details?: Record<string, unknown>): VesselError {
  return new VesselError('E_INVALID_ARGUMENT', message, details);
}

/** One line per zod issue: "path: message". */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length === 0 ? '' : `${issue.path.map(String).join('.')}: `;
      return `${where}${issue.message}`;
    })
    .join('; ');
}

/** Parse with a zod schema, turning a failure into E_INVALID_ARGUMENT naming what was being parsed. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw invalidArgument(`invalid ${what}: ${formatIssues(result.error)}`, {
      issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    });
  }
  return result.data;
}

/** Strict unsigned decimal: digits only, no sign, no leading zeros (except "0"), no exponent. */
export const DECIMAL_UINT = /^(0|[1-9][0-9]*)$/;

export const UINT32_MAX = 0xffff_ffff;

/** Paths we accept from users: absolute, no NUL. Normalisation is left to callers. */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') && !p.includes('\0');
}
