import { describe, expect, it } from 'vitest';
import {
  CreateContainerRequestSchema, guestSpec, InvalidRequest, OciProcess, OciSpec, parseJsonBytes, ReadStreamRequestSchema,
  SignalProcessRequestSchema, START_GATE_SCRIPT, TtyWinResizeRequestSchema,
} from './container-schemas.js';

const spec = { ociVersion: '1.0.2', process: { args: ['sh'], cwd: '/', terminal: true, env: ['PATH=/bin'] }, root: { path: 'rootfs', readonly: true } };
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

describe('container request validation', () => {
  const ok = { containerId: 'c1', execId: 'c1', ociSpecJson: json(spec), rootfs: 'c1/rootfs' };

  it('accepts a well-formed CreateContainer', () => {
    expect(CreateContainerRequestSchema.safeParse(ok).success).toBe(true);
  });

  it.each([
    ['an ID with a slash', { containerId: 'a/b' }],
    ['an empty ID', { containerId: '' }],
    ['an ID starting with a dot', { containerId: '.x' }],
    ['a rootfs escaping the share', { rootfs: '../etc' }],
    ['an absolute rootfs', { rootfs: '/etc' }],
    ['a rootfs with an empty segment', { rootfs: 'a//b' }],
    ['a spec that is not bytes', { ociSpecJson: 'text' }],
    ['a spec over 1 MiB', { ociSpecJson: Buffer.alloc(1024 * 1024 + 1) }],
  ])('rejects %s', (_what, patch) => {
    expect(CreateContainerRequestSchema.safeParse({ ...ok, ...patch }).success).toBe(false);
  });

  it('bounds signals, window sizes and reads', () => {
    const base = { containerId: 'c', execId: '' };
    expect(SignalProcessRequestSchema.safeParse({ ...base, signal: 15, all: false }).success).toBe(true);
    expect(SignalProcessRequestSchema.safeParse({ ...base, signal: 0, all: false }).success).toBe(false);
    expect(SignalProcessRequestSchema.safeParse({ ...base, signal: 65, all: false }).success).toBe(false);
    expect(TtyWinResizeRequestSchema.safeParse({ ...base, rows: 33, columns: 77 }).success).toBe(true);
    expect(TtyWinResizeRequestSchema.safeParse({ ...base, rows: 0, columns: 77 }).success).toBe(false);
    expect(ReadStreamRequestSchema.safeParse({ ...base, offset: 0, maxBytes: 4096, waitMs: 1000 }).success).toBe(true);
    expect(ReadStreamRequestSchema.safeParse({ ...base, offset: 0, maxBytes: 4 * 1024 * 1024, waitMs: 1000 }).success).toBe(false);
    expect(ReadStreamRequestSchema.safeParse({ ...base, offset: 0, maxBytes: 1, waitMs: 3_600_000 }).success).toBe(false);
  });

  it('parses the OCI spec and names the bad field', () => {
    expect(parseJsonBytes(OciSpec, json(spec), 'oci_spec_json').process.args).toEqual(['sh']);
    expect(() => parseJsonBytes(OciSpec, Buffer.from('{'), 'oci_spec_json')).toThrow(InvalidRequest);
    expect(() => parseJsonBytes(OciSpec, json({ ...spec, process: { ...spec.process, args: [] } }), 'oci_spec_json')).toThrow(/process\.args/);
    expect(() => parseJsonBytes(OciSpec, json({ ...spec, process: { ...spec.process, cwd: 'relative' } }), 'oci_spec_json')).toThrow(/cwd/);
    expect(() => parseJsonBytes(OciProcess, json({ args: ['x'], cwd: '/', env: ['NOEQUALS'] }), 'process_json')).toThrow(/KEY=VALUE/);
    expect(() => parseJsonBytes(OciSpec, json({ ...spec, ociVersion: '2.0.0' }), 'oci_spec_json')).toThrow(/ociVersion/);
  });
});

describe('guestSpec (the bundle crun gets in the guest)', () => {
  it('points root at the share, owns the cgroup, drops host hooks and namespace paths, adds the start gate', () => {
    const hostSpec = OciSpec.parse({
      ...spec,
      hooks: { prestart: [{ path: '/usr/libexec/host-hook' }] },
      linux: { cgroupsPath: '/kubepods/x', namespaces: [{ type: 'pid' }, { type: 'network', path: '/var/run/netns/cni-1' }] },
    });
    const g = guestSpec(hostSpec, { containerId: 'c1', rootPath: '/run/vessel/shared/c1/rootfs', bundleDir: '/run/vessel/containers/c1', terminal: true });
    expect(g.root).toEqual({ path: '/run/vessel/shared/c1/rootfs', readonly: true });
    expect(g.linux?.cgroupsPath).toBe('/vessel/c1');
    // The network namespace goes: containers share the sandbox's network (the guest's, where the agent set up the NICs).
    expect(g.linux?.namespaces).toEqual([{ type: 'pid' }]);
    expect(g.hooks).toEqual({ createRuntime: [{ path: '/bin/busybox', args: ['sh', '-c', START_GATE_SCRIPT, 'vessel-start-gate', '/run/vessel/containers/c1'], env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] }] });
    expect(g.process.terminal).toBe(true);
    expect(guestSpec(hostSpec, { containerId: 'c1', rootPath: '/r', bundleDir: '/b', terminal: false }).process.terminal).toBe(false);
    // The caller's spec is not modified.
    expect(hostSpec.linux?.cgroupsPath).toBe('/kubepods/x');
  });
});
