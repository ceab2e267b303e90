// Request validation for the container RPCs, and the OCI spec rewrite the
// guest applies before handing a bundle to crun. zod/mini keeps the bundle
// small (agent startup under TCG is parse time).
import * as z from 'zod/mini';

/** Container and exec IDs land in paths and crun arguments: a strict alphabet. */
export const CONTAINER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const MAX_SPEC_BYTES = 1024 * 1024;
export const MAX_PROCESS_BYTES = 256 * 1024;
export const MAX_RESOURCES_BYTES = 64 * 1024;
export const MAX_STDIN_CHUNK = 1024 * 1024;
/** Largest read reply payload; keeps a reply under the host client's 1 MiB message limit. */
export const MAX_READ_BYTES = 768 * 1024;
export const MAX_READ_WAIT_MS = 60_000;
/** Where the host's shared directory (virtio-9p tag vessel-shared) is mounted in the guest. */
export const SHARED_MOUNT = '/run/vessel/shared';
export const SHARED_TAG = 'vessel-shared';

const intIn = (min: number, max: number, what: string) =>
  z.number().check(z.refine((n) => Number.isInteger(n) && n >= min && n <= max, `${what} must be an integer in ${min}..${max}`));

const ContainerId = z.string().check(z.regex(CONTAINER_ID_PATTERN, 'container_id must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit'));
const ExecId = z.string().check(z.regex(CONTAINER_ID_PATTERN, 'exec_id must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit'));
/** Empty = the container's init process. */
const ExecIdOrInit = z.string().check(z.refine((s) => s === '' || CONTAINER_ID_PATTERN.test(s), 'exec_id must be empty (the init process) or 1-128 letters, digits, ".", "_" or "-"'));
const bytesUpTo = (max: number, what: string) =>
  z.custom<Buffer>((v) => Buffer.isBuffer(v) && v.length <= max, `${what} must be at most ${max} bytes`);

/** A relative path inside the share: no "..", no empty or dot segments, a safe alphabet. */
export const RootfsPath = z.string().check(z.refine((p) => p.length > 0 && p.length <= 512 && p.split('/').every((s) => /^[A-Za-z0-9_.-]+$/.test(s) && s !== '.' && s !== '..'),
  'rootfs must be a relative path inside the shared directory (letters, digits, "_", ".", "-" segments; no "..")'));

export const CreateContainerRequestSchema = z.object({
  containerId: ContainerId,
  execId: ExecId,
  ociSpecJson: bytesUpTo(MAX_SPEC_BYTES, 'oci_spec_json'),
  rootfs: RootfsPath,
  // proto3 leaves an unset message null/undefined.
  rootfsStorage: z.nullish(z.object({
    driver: z.literal('blk', 'rootfs_storage.driver must be "blk"'),
    source: z.string().check(z.regex(/^[0-9a-f]{2}(\/[0-9a-f]{2}){1,7}$/, 'rootfs_storage.source must be a PCI path like "02/00"')),
    fstype: z.enum(['erofs', 'ext4'], 'rootfs_storage.fstype must be erofs or ext4'),
  })),
});
export const ContainerRequestSchema = z.object({ containerId: ContainerId });
export const RemoveContainerRequestSchema = z.object({ containerId: ContainerId, force: z.boolean() });
export const ProcessRequestSchema = z.object({ containerId: ContainerId, execId: ExecIdOrInit });
export const ExecProcessRequestSchema = z.object({ containerId: ContainerId, execId: ExecId, processJson: bytesUpTo(MAX_PROCESS_BYTES, 'process_json') });
export const SignalProcessRequestSchema = z.object({ containerId: ContainerId, execId: ExecIdOrInit, signal: intIn(1, 64, 'signal'), all: z.boolean() });
export const TtyWinResizeRequestSchema = z.object({ containerId: ContainerId, execId: ExecIdOrInit, rows: intIn(1, 65535, 'rows'), columns: intIn(1, 65535, 'columns') });
export const WriteStreamRequestSchema = z.object({ containerId: ContainerId, execId: ExecIdOrInit, data: bytesUpTo(MAX_STDIN_CHUNK, 'data') });
export const ReadStreamRequestSchema = z.object({
  containerId: ContainerId,
  execId: ExecIdOrInit,
  offset: intIn(0, Number.MAX_SAFE_INTEGER, 'offset'),
  maxBytes: intIn(1, MAX_READ_BYTES, 'max_bytes'),
  waitMs: intIn(0, MAX_READ_WAIT_MS, 'wait_ms'),
});
export const UpdateContainerRequestSchema = z.object({ containerId: ContainerId, resourcesJson: bytesUpTo(MAX_RESOURCES_BYTES, 'resources_json') });

// ---- OCI ------------------------------------------------------------------

const Str = (max: number) => z.string().check(z.maxLength(max, `at most ${max} characters`));
const uint32 = (what: string) => intIn(0, 0xffffffff, what);

export const OciUser = z.looseObject({
  uid: uint32('user.uid'),
  gid: uint32('user.gid'),
  additionalGids: z.optional(z.array(uint32('user.additionalGids[]')).check(z.maxLength(256))),
  umask: z.optional(uint32('user.umask')),
});

export const OciProcess = z.looseObject({
  terminal: z.optional(z.boolean()),
  consoleSize: z.optional(z.looseObject({ height: uint32('consoleSize.height'), width: uint32('consoleSize.width') })),
  args: z.array(Str(65536)).check(z.minLength(1, 'process.args must name a program'), z.maxLength(4096)),
  env: z.optional(z.array(z.string().check(z.maxLength(65536), z.regex(/^[^=\0]+=/, 'env entries must be KEY=VALUE'))).check(z.maxLength(4096))),
  cwd: z.string().check(z.regex(/^\/[^\0]{0,4095}$/, 'process.cwd must be an absolute path')),
  user: z.optional(OciUser),
  noNewPrivileges: z.optional(z.boolean()),
});
export type OciProcess = z.infer<typeof OciProcess>;

export const OciSpec = z.looseObject({
  ociVersion: z.string().check(z.regex(/^1\.\d+\.\d+/, 'ociVersion must be 1.x.y')),
  process: OciProcess,
  root: z.optional(z.looseObject({ path: Str(4096), readonly: z.optional(z.boolean()) })),
  hostname: z.optional(Str(64)),
  mounts: z.optional(z.array(z.looseObject({ destination: Str(4096), type: z.optional(Str(64)), source: z.optional(Str(4096)), options: z.optional(z.array(Str(4096))) })).check(z.maxLength(256))),
  hooks: z.optional(z.looseObject({})),
  linux: z.optional(z.looseObject({
    cgroupsPath: z.optional(Str(4096)),
    resources: z.optional(z.looseObject({})),
    namespaces: z.optional(z.array(z.looseObject({ type: Str(32), path: z.optional(Str(4096)) })).check(z.maxLength(16))),
  })),
});
export type OciSpec = z.infer<typeof OciSpec>;

export const OciResources = z.looseObject({
  memory: z.optional(z.looseObject({})),
  cpu: z.optional(z.looseObject({})),
  pids: z.optional(z.looseObject({})),
  blockIO: z.optional(z.looseObject({})),
  hugepageLimits: z.optional(z.array(z.looseObject({}))),
  unified: z.optional(z.record(z.string(), z.string())),
});

export class InvalidRequest extends Error {}

/** Parses bounded JSON bytes with a schema; throws InvalidRequest naming the field. */
export function parseJsonBytes<T>(schema: z.ZodMiniType<T>, bytes: Buffer, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InvalidRequest(`${what} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new InvalidRequest(`${what}: ${where}${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}

/** The argv of the hook that holds a created container until StartContainer (see engine.ts). */
export const START_GATE_SCRIPT = 'cat > "$1/state.json" && : > "$1/created" && read -r go < "$1/start.fifo" && [ "$go" = start ]';

export interface GuestBundleOptions {
  containerId: string;
  /** Guest path of the container's root filesystem. */
  rootPath: string;
  /** Guest directory of the bundle (holds the start gate's files). */
  bundleDir: string;
  /** Whether crun allocates the process's terminal (the agent's console helper receives it). */
  terminal: boolean;
  /** The sandbox's resolv.conf/hosts/hostname bind mounts (network.ts), added unless the spec mounts those paths itself. */
  netMounts?: { destination: string; type: string; source: string; options: string[] }[];
}

/**
 * The spec crun gets in the guest: root.path points at the shared rootfs,
 * process.terminal as the agent runs the process (see engine.ts),
 * the cgroup is /vessel/<id>, namespace paths and hooks of the host are
 * dropped (they name host objects the guest does not have), and a
 * createRuntime hook holds the container between create and start.
 */
export function guestSpec(spec: OciSpec, o: GuestBundleOptions): OciSpec {
  const linux = { ...(spec.linux ?? {}) };
  linux.cgroupsPath = `/vessel/${o.containerId}`;
  // Containers share the sandbox's network (the guest's own namespace, where the agent set up the NICs).
  if (linux.namespaces) linux.namespaces = linux.namespaces.filter((ns) => ns.type !== 'network').map((ns) => ({ type: ns.type }));
  const taken = new Set((spec.mounts ?? []).map((m) => m.destination));
  const mounts = [...(spec.mounts ?? []), ...(o.netMounts ?? []).filter((m) => !taken.has(m.destination))];
  return {
    ...spec,
    ...(spec.mounts || mounts.length ? { mounts } : {}),
    root: { path: o.rootPath, readonly: spec.root?.readonly ?? false },
    process: { ...spec.process, terminal: o.terminal },
    linux,
    hooks: {
      createRuntime: [{
        path: '/bin/busybox',
        args: ['sh', '-c', START_GATE_SCRIPT, 'vessel-start-gate', o.bundleDir],
        env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
      }],
    },
  };
}
