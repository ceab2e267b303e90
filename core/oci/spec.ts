import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { VesselError } from '../contract/index.js';
import { parseEnvVar } from '../types/index.js';
import type { LinuxCapabilities } from '../types/index.js';

/**
 * The subset of the OCI runtime spec (config.json) that Vessel reads. Every
 * object is loose: fields we do not model are kept as they are, because the
 * spec travels on to crun in the guest, which may use them.
 */

/** The runtime-spec version Vessel writes (state JSON) and targets. */
export const OCI_VERSION = '1.0.2';

// Integers as JSON carries them. uint64/int64 fields may exceed 2^53 (e.g.
// RLIM_INFINITY): JSON.parse rounds them, but they are still whole numbers, so
// the check is Number.isInteger rather than zod's safe-integer .int().
const integer = z.number().refine(Number.isInteger, 'must be a whole number');
const uint64 = integer.refine((n) => n >= 0, 'must not be negative');
const uint32 = z.number().int('must be a whole number').min(0, 'must not be negative').max(0xffff_ffff, 'must fit in 32 bits');
const absolutePath = z.string().refine((p) => p.startsWith('/') && !p.includes('\0'), 'must be an absolute path');

const CAPABILITY_NAME = z.string().regex(/^CAP_[A-Z_]+$/, 'a capability is written like "CAP_NET_ADMIN"');
const capabilityList = z.array(CAPABILITY_NAME);

const capabilitySets = z.looseObject({
  bounding: capabilityList.optional(),
  effective: capabilityList.optional(),
  inheritable: capabilityList.optional(),
  permitted: capabilityList.optional(),
  ambient: capabilityList.optional(),
});

/**
 * Capabilities in either format: the flat list of runtime-spec v1.0.0-rc4
 * (applied to every set, as virtcontainers reads it) or the object of rc5+.
 * Always normalised to the object form, which is what crun expects today.
 */
export const OciCapabilities = z
  .union([capabilityList, capabilitySets], {
    error: 'capabilities must be a list of names (runtime-spec rc4) or an object {bounding, effective, inheritable, permitted, ambient}',
  })
  .transform((caps): LinuxCapabilities => {
    if (Array.isArray(caps)) {
      return { bounding: [...caps], effective: [...caps], inheritable: [...caps], permitted: [...caps], ambient: [...caps] };
    }
    return {
      ...caps,
      bounding: caps.bounding ?? [],
      effective: caps.effective ?? [],
      inheritable: caps.inheritable ?? [],
      permitted: caps.permitted ?? [],
      ambient: caps.ambient ?? [],
    };
  });

/** An env entry must be KEY=VALUE; the message says what is wrong with the entry. */
const envEntry = z.string().superRefine((entry, ctx) => {
  try {
    parseEnvVar(entry);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
  }
});

export const OciUser = z.looseObject({
  uid: uint32,
  gid: uint32,
  umask: uint32.optional(),
  additionalGids: z.array(uint32).optional(),
  username: z.string().optional(),
});

export const OciRlimit = z.looseObject({
  type: z.string().regex(/^RLIMIT_[A-Z]+$/, 'an rlimit type is written like "RLIMIT_NOFILE"'),
  hard: uint64,
  soft: uint64,
});

export const OciProcess = z.looseObject({
  terminal: z.boolean().optional(),
  consoleSize: z.looseObject({ height: uint32, width: uint32 }).optional(),
  user: OciUser,
  args: z.array(z.string()).optional(),
  env: z.array(envEntry).optional(),
  cwd: absolutePath,
  capabilities: OciCapabilities.optional(),
  rlimits: z.array(OciRlimit).optional(),
  noNewPrivileges: z.boolean().optional(),
  apparmorProfile: z.string().optional(),
  selinuxLabel: z.string().optional(),
});

export const OciRoot = z.looseObject({
  path: z.string().min(1, 'root.path must not be empty'),
  readonly: z.boolean().optional(),
});

export const OciMount = z.looseObject({
  destination: z.string().min(1, 'a mount destination must not be empty'),
  type: z.string().optional(),
  source: z.string().optional(),
  options: z.array(z.string()).optional(),
});

export const NAMESPACE_TYPES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'] as const;
export const OciNamespace = z.looseObject({
  type: z.enum(NAMESPACE_TYPES, { error: `a namespace type is one of ${NAMESPACE_TYPES.join(', ')}` }),
  path: absolutePath.optional(),
});

/** Device types a container may be given: char, block, unbuffered char, FIFO. */
export const DEVICE_TYPES = ['c', 'b', 'u', 'p'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];
function isDeviceType(t: string): t is DeviceType {
  return (DEVICE_TYPES as readonly string[]).includes(t);
}

export const OciDevice = z
  .looseObject({
    path: absolutePath,
    type: z.string(),
    major: integer.optional(),
    minor: integer.optional(),
    fileMode: uint32.optional(),
    uid: uint32.optional(),
    gid: uint32.optional(),
  })
  .superRefine((dev, ctx) => {
    if (!isDeviceType(dev.type)) {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: `device ${JSON.stringify(dev.path)} has type ${JSON.stringify(dev.type)}; a device type is one of c (char), b (block), u (unbuffered char), p (FIFO)`,
      });
      return;
    }
    if (dev.type !== 'p' && (dev.major === undefined || dev.minor === undefined)) {
      ctx.addIssue({ code: 'custom', message: `device ${JSON.stringify(dev.path)} of type ${dev.type} needs major and minor numbers` });
    }
  })
  .transform((dev) => ({ ...dev, type: dev.type as DeviceType }));

export const OciDeviceCgroup = z.looseObject({
  allow: z.boolean(),
  type: z.string().optional(),
  major: integer.optional(),
  minor: integer.optional(),
  access: z.string().optional(),
});

export const OciResources = z.looseObject({
  cpu: z
    .looseObject({
      shares: uint64.optional(),
      quota: integer.optional(),
      period: uint64.optional(),
      cpus: z.string().optional(),
      mems: z.string().optional(),
    })
    .optional(),
  memory: z
    .looseObject({
      limit: integer.optional(),
      reservation: integer.optional(),
      swap: integer.optional(),
    })
    .optional(),
  pids: z.looseObject({ limit: integer }).optional(),
  devices: z.array(OciDeviceCgroup).optional(),
});

export const OciLinux = z.looseObject({
  namespaces: z.array(OciNamespace).optional(),
  resources: OciResources.optional(),
  devices: z.array(OciDevice).optional(),
  cgroupsPath: z.string().optional(),
  maskedPaths: z.array(z.string()).optional(),
  readonlyPaths: z.array(z.string()).optional(),
  sysctl: z.record(z.string(), z.string()).optional(),
});

export const OciSpec = z.looseObject({
  ociVersion: z.string().min(1, 'ociVersion must not be empty'),
  process: OciProcess.optional(),
  root: OciRoot.optional(),
  hostname: z.string().optional(),
  mounts: z.array(OciMount).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  linux: OciLinux.optional(),
});
/** A parsed, normalised config.json (capabilities in object form; unknown fields kept). */
export type OciSpec = z.output<typeof OciSpec>;
export type OciSpecInput = z.input<typeof OciSpec>;
export type OciProcess = z.output<typeof OciProcess>;
export type OciMount = z.output<typeof OciMount>;
export type OciDevice = z.output<typeof OciDevice>;

/** `process.env[2]`, `linux.devices[0].type`; the root is `(top level)`. */
export function formatJsonPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** Line and column (1-based) of a character offset, for JSON syntax errors. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { line, column };
}

/**
 * Parse and validate a config.json. `source` names the file in errors.
 * Malformed JSON or a schema violation → E_INVALID_ARGUMENT naming the file
 * and the JSON path (or line/column) of the first problem.
 */
export function parseOciConfig(text: string, source = 'config.json'): OciSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const pos = /at position (\d+)/.exec(reason);
    const where = pos?.[1] !== undefined && !/line \d+/.test(reason) ? (() => {
      const { line, column } = lineColumn(text, Number(pos[1]));
      return ` (line ${line}, column ${column})`;
    })() : '';
    throw new VesselError('E_INVALID_ARGUMENT', `invalid OCI config ${source}: not valid JSON: ${reason}${where}`, { file: source });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new VesselError('E_INVALID_ARGUMENT', `invalid OCI config ${source}: expected a JSON object at the top level`, { file: source, path: '(top level)' });
  }
  const result = OciSpec.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues;
    const first = issues[0];
    const jsonPath = formatJsonPath(first?.path ?? []);
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    throw new VesselError('E_INVALID_ARGUMENT', `invalid OCI config ${source}: at ${jsonPath}: ${first?.message ?? 'invalid'}${more}`, {
      file: source,
      path: jsonPath,
      issues: issues.map((i) => ({ path: formatJsonPath(i.path), message: i.message })),
    });
  }
  return result.data;
}

export interface OciBundle {
  /** The bundle directory, absolute. */
  bundlePath: string;
  /** dir/config.json, absolute. */
  configPath: string;
  spec: OciSpec;
  /** root.path resolved against the bundle directory. */
  rootfsPath: string;
}

/**
 * Read an OCI bundle: dir/config.json, parsed and validated, and its root
 * filesystem (root.path, relative to the bundle unless absolute), which must
 * exist and be a directory.
 */
export function loadBundle(dir: string): OciBundle {
  const bundlePath = path.resolve(dir);
  if (!existsSync(bundlePath) || !statSync(bundlePath).isDirectory()) {
    throw new VesselError('E_NOT_FOUND', `OCI bundle ${bundlePath} does not exist or is not a directory`, { bundlePath });
  }
  const configPath = path.join(bundlePath, 'config.json');
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new VesselError('E_NOT_FOUND', `OCI bundle ${bundlePath} has no config.json (create one with "crun spec")`, { bundlePath });
    }
    throw new VesselError('E_INVALID_ARGUMENT', `cannot read ${configPath}: ${err instanceof Error ? err.message : String(err)}`, { bundlePath }, { cause: err });
  }
  const spec = parseOciConfig(text, configPath);
  if (spec.root === undefined) {
    throw new VesselError('E_INVALID_ARGUMENT', `invalid OCI config ${configPath}: at root: a bundle needs root.path, the container's root filesystem`, {
      file: configPath,
      path: 'root',
    });
  }
  const rootfsPath = resolveRootfs(bundlePath, spec.root.path);
  if (!existsSync(rootfsPath) || !statSync(rootfsPath).isDirectory()) {
    throw new VesselError('E_NOT_FOUND', `the root filesystem of OCI bundle ${bundlePath} (root.path ${JSON.stringify(spec.root.path)} → ${rootfsPath}) does not exist or is not a directory`, {
      bundlePath,
      rootfsPath,
    });
  }
  return { bundlePath, configPath, spec, rootfsPath };
}

/** root.path is relative to the bundle unless absolute (runtime-spec "Root"). */
export function resolveRootfs(bundlePath: string, rootPath: string): string {
  return path.resolve(bundlePath, rootPath);
}
