import { z } from 'zod';
import { EnvVarInput } from './env.js';
import { isAbsolutePath, parseWith } from './internal.js';

/**
 * A process to run in a container, as virtcontainers' types.Cmd.
 *
 * `user` and `primaryGroup` are a name or a numeric ID, resolved in the
 * container; left out, the container's defaults apply. `console` is the path
 * of the console (pty) when `interactive` is set.
 */

const CAPABILITY = z.string().regex(/^CAP_[A-Z_]+$/, 'a capability is written like "CAP_NET_ADMIN"');
const capabilitySet = z.array(CAPABILITY).default([]);

/** As the OCI spec's LinuxCapabilities. */
export const LinuxCapabilities = z.object({
  bounding: capabilitySet,
  effective: capabilitySet,
  inheritable: capabilitySet,
  permitted: capabilitySet,
  ambient: capabilitySet,
});
export type LinuxCapabilities = z.infer<typeof LinuxCapabilities>;

const userOrGroup = z
  .string()
  .min(1, 'must not be empty')
  .regex(/^[^:\s\0]+$/, 'is a name or a numeric ID, without ":", whitespace or NUL');

export const Cmd = z
  .object({
    args: z
      .array(z.string().refine((a) => !a.includes('\0'), 'an argument must not contain NUL'))
      .min(1, 'args must name at least the program to run')
      .refine((args) => (args[0] ?? '') !== '', 'args[0], the program, must not be empty'),
    env: z.array(EnvVarInput).default([]),
    workdir: z.string().refine(isAbsolutePath, 'workdir must be an absolute path').default('/'),
    user: userOrGroup.optional(),
    primaryGroup: userOrGroup.optional(),
    supplementaryGroups: z.array(userOrGroup).default([]),
    interactive: z.boolean().default(false),
    console: z.string().refine(isAbsolutePath, 'console must be an absolute path').optional(),
    detach: z.boolean().default(false),
    noNewPrivileges: z.boolean().default(false),
    capabilities: LinuxCapabilities.optional(),
  })
  .strict();
/** A validated command: defaults applied, env normalised to {key, value}. */
export type Cmd = z.output<typeof Cmd>;
/** What callers may pass: env entries as "K=V" strings or objects, defaults optional. */
export type CmdInput = z.input<typeof Cmd>;

/** Validate a command (from a request, an OCI process, a file) or throw E_INVALID_ARGUMENT listing every problem. */
export function parseCmd(input: unknown): Cmd {
  return parseWith(Cmd, input, 'command');
}
