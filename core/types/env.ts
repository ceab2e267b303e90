import { z } from 'zod';
import { invalidArgument, quote } from './internal.js';

/**
 * An environment variable, as virtcontainers' types.EnvVar. Written `KEY=VALUE`:
 * the first '=' separates the two, so the value may contain '=' and may be
 * empty; the key may not be empty or contain '='. Neither may contain NUL
 * (execve would silently cut the string there).
 */
export const EnvVar = z.object({
  key: z
    .string()
    .min(1, 'the key must not be empty')
    .refine((k) => !k.includes('='), 'the key must not contain "="')
    .refine((k) => !k.includes('\0'), 'the key must not contain NUL'),
  value: z.string().refine((v) => !v.includes('\0'), 'the value must not contain NUL'),
});
export type EnvVar = z.infer<typeof EnvVar>;

const EXPECTED = 'expected "KEY=VALUE", e.g. "PATH=/usr/bin"';

export function parseEnvVar(input: string): EnvVar {
  const eq = input.indexOf('=');
  if (eq < 0) throw invalidArgument(`invalid environment variable ${quote(input)}: no "=" found (${EXPECTED})`, { input });
  const key = input.slice(0, eq);
  const value = input.slice(eq + 1);
  if (key === '') throw invalidArgument(`invalid environment variable ${quote(input)}: the key is empty (${EXPECTED})`, { input });
  if (key.includes('\0') || value.includes('\0')) {
    throw invalidArgument(`invalid environment variable ${quote(input)}: contains a NUL character`, { input });
  }
  return { key, value };
}

export function formatEnvVar(env: EnvVar): string {
  return `${env.key}=${env.value}`;
}

/**
 * Parse a list of `KEY=VALUE` strings (as in an OCI process.env). The order is
 * kept and duplicates are kept: like execve, the consumer decides (the last
 * one usually wins). The error names the offending entry's index.
 */
export function parseEnvList(inputs: readonly string[]): EnvVar[] {
  return inputs.map((input, index) => {
    try {
      return parseEnvVar(input);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw invalidArgument(`environment entry ${index}: ${message}`, { input, index });
    }
  });
}

export function formatEnvList(envs: readonly EnvVar[]): string[] {
  return envs.map(formatEnvVar);
}

/**
 * A zod schema accepting either `KEY=VALUE` or {key, value}, producing an
 * EnvVar. Both forms go through the same checks, so errors say what is wrong
 * with the entry rather than "invalid union".
 */
export const EnvVarInput = z
  .union([z.string(), z.object({ key: z.string(), value: z.string() })])
  .transform((entry, ctx): EnvVar => {
    if (typeof entry === 'string') {
      try {
        return parseEnvVar(entry);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
        return z.NEVER;
      }
    }
    const checked = EnvVar.safeParse(entry);
    if (checked.success) return checked.data;
    for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  });

/** Later entries override earlier ones with the same name; malformed entries (no "=", empty name) are refused. */
export function mergeEnv(base: string[], extra: string[]): string[] {
  const out = new Map<string, string>();
  for (const entry of [...base, ...extra]) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw invalidArgument(`invalid environment variable "${entry}": expected NAME=VALUE`);
    out.set(entry.slice(0, eq), entry);
  }
  return [...out.values()];
}
