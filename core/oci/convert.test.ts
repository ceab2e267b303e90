import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VesselError } from '../contract/index.js';
import type { ErrorCode } from '../contract/index.js';
import {
  ContainerConfig,
  OciState,
  SandboxConfig,
  containerCmdToCmd,
  containerType,
  ociToContainerConfig,
  ociToSandboxConfig,
  parseOciConfig,
  sandboxIdOf,
  toOciState,
} from './index.js';
import type { OciSpec } from './index.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const load = (name: string): OciSpec => parseOciConfig(readFileSync(path.join(FIXTURES, name), 'utf8'), name);

function caught(fn: () => unknown, code: ErrorCode = 'E_INVALID_ARGUMENT'): VesselError {
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  expect(error, 'expected a VesselError').toBeInstanceOf(VesselError);
  const e = error as VesselError;
  expect(e.code).toBe(code);
  return e;
}

describe('ociToContainerConfig', () => {
  it('converts the `crun spec` config unchanged in meaning', () => {
    const c = ociToContainerConfig(load('crun-spec.json'), { bundlePath: '/bundles/demo', containerId: 'demo' });
    expect(ContainerConfig.safeParse(c).success).toBe(true);
    expect(c.id).toBe('demo');
    expect(c.containerType).toBe('single_container');
    expect(c.sandboxId).toBeNull();
    expect(c.rootfs).toEqual({ path: '/bundles/demo/rootfs', readonly: true });
    expect(c.readonlyRootfs).toBe(true);
    expect(c.cmd.args).toEqual(['sh']);
    expect(c.cmd.env).toEqual([
      { key: 'PATH', value: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
      { key: 'TERM', value: 'xterm' },
    ]);
    expect(c.cmd.cwd).toBe('/');
    expect(c.cmd.user).toEqual({ uid: 0, gid: 0, additionalGids: [], umask: null });
    expect(c.cmd.terminal).toBe(true);
    expect(c.cmd.noNewPrivileges).toBe(true);
    expect(c.cmd.capabilities?.ambient).toEqual(['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
    expect(c.cmd.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
    expect(c.hostname).toBe('crun');
    expect(c.mounts.map((m) => m.destination)).toContain('/dev/pts');
    expect(c.devices).toEqual([]);
    expect(c.networkNamespacePath).toBeNull(); // a new network namespace, no path to join
    expect(c.shmSizeBytes).toBe(65536 * 1024);
    expect(c.resources).toEqual({ vcpus: null, cpuShares: null, cpuQuota: null, cpuPeriod: null, cpusetCpus: null, memoryLimitBytes: null, pidsLimit: null });
    expect(c.spec.process?.args).toEqual(['sh']);
  });

  it('converts an rc4 spec: list capabilities, user groups, env values with "=" and empty ones', () => {
    const c = ociToContainerConfig(load('rc4-capabilities.json'), { bundlePath: '/b', containerId: 'rc4' });
    expect(c.cmd.capabilities?.permitted).toEqual(['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
    expect(c.cmd.capabilities?.bounding).toEqual(c.cmd.capabilities?.effective);
    expect(c.cmd.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [10, 20], umask: null });
    expect(c.cmd.env).toContainEqual({ key: 'GREETING', value: 'a=b=c' });
    expect(c.cmd.env).toContainEqual({ key: 'EMPTY', value: '' });
    expect(c.cmd.cwd).toBe('/home');
    expect(c.cmd.terminal).toBe(false);
    expect(c.readonlyRootfs).toBe(false);
    expect(c.cmd.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 4096, soft: 1024 }]);
  });

  it('reads the network namespace path, /dev/shm size, devices and resources', () => {
    const c = ociToContainerConfig(load('shm-netns.json'), { bundlePath: '/b', containerId: 'pod-a' });
    expect(c.networkNamespacePath).toBe('/var/run/netns/cni-1234');
    expect(c.shmSizeBytes).toBe(67_108_864);
    expect(c.rootfs.path).toBe('/var/lib/containers/abc/rootfs'); // absolute root.path stays as it is
    expect(c.devices).toEqual([
      { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
      { path: '/dev/loop0', type: 'b', major: 7, minor: 0, fileMode: null, uid: null, gid: null },
      { path: '/dev/fifo0', type: 'p', major: 0, minor: 0, fileMode: null, uid: null, gid: null },
    ]);
    expect(c.resources).toEqual({
      vcpus: 2, // ceil(150000 / 100000)
      cpuShares: 512,
      cpuQuota: 150_000,
      cpuPeriod: 100_000,
      cpusetCpus: '0-3',
      memoryLimitBytes: 268_435_456,
      pidsLimit: 100,
    });
    expect(c.cmd.consoleSize).toEqual({ height: 40, width: 120 });
    expect(c.cmd.user.umask).toBe(18);
    expect(c.mounts).toContainEqual({ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro'] });
  });

  it('sizes vCPUs from the cpuset when there is no quota', () => {
    const spec = load('shm-netns.json');
    const cpu = spec.linux?.resources?.cpu;
    if (cpu) {
      delete cpu.quota;
      cpu.cpus = '0-1,4,6-7';
    }
    expect(ociToContainerConfig(spec, { bundlePath: '/b', containerId: 'x' }).resources.vcpus).toBe(5);
    if (cpu) cpu.cpus = '3-1';
    expect(caught(() => ociToContainerConfig(spec, { bundlePath: '/b', containerId: 'x' })).message).toContain('linux.resources.cpu.cpus');
  });

  it('rejects a malformed env entry in a spec built in code, naming the entry', () => {
    const spec = load('crun-spec.json');
    spec.process?.env?.push('NO_EQUALS_HERE');
    const e = caught(() => ociToContainerConfig(spec, { bundlePath: '/b', containerId: 'x' }));
    expect(e.message).toContain('process.env[2]: invalid environment variable "NO_EQUALS_HERE"');
    expect(e.message).toContain('/b');
  });

  it('rejects a bad /dev/shm size, a missing process, empty args and a bad container ID', () => {
    const spec = load('crun-spec.json');
    const shm = spec.mounts?.find((m) => m.destination === '/dev/shm');
    if (shm) shm.options = ['size=lots'];
    expect(caught(() => ociToContainerConfig(spec, { bundlePath: '/b', containerId: 'x' })).message).toContain('"size=lots"');
    if (shm) shm.options = ['size=50%'];
    expect(ociToContainerConfig(spec, { bundlePath: '/b', containerId: 'x' }).shmSizeBytes).toBeNull();
    if (shm) shm.options = ['size=1g'];
    expect(ociToContainerConfig(spec, { bundlePath: '/b', containerId: 'x' }).shmSizeBytes).toBe(1024 ** 3);

    caught(() => ociToContainerConfig(spec, { bundlePath: '/b', containerId: '../etc' }), 'E_INVALID_ID');
    if (spec.process) spec.process.args = [];
    expect(caught(() => ociToContainerConfig(spec, { bundlePath: '/b', containerId: 'x' })).message).toContain('process.args');
    delete spec.process;
    expect(caught(() => ociToContainerConfig(spec, { bundlePath: '/b', containerId: 'x' })).message).toContain('process');
  });

  it('gives core/types a Cmd with numeric user and groups', () => {
    const c = ociToContainerConfig(load('rc4-capabilities.json'), { bundlePath: '/b', containerId: 'rc4' });
    const cmd = containerCmdToCmd(c.cmd);
    expect(cmd).toMatchObject({ args: ['sh', '-c', 'id'], workdir: '/home', user: '1000', primaryGroup: '1000', supplementaryGroups: ['10', '20'], interactive: false });
  });
});

describe('CRI annotations', () => {
  const cases: Array<[string, string, string]> = [
    ['containerd-sandbox.json', 'pod_sandbox', '5f0c8a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3'],
    ['containerd-container.json', 'pod_container', '5f0c8a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3'],
    ['crio-sandbox.json', 'pod_sandbox', 'b7e2c4f0a9d811eebf0d0242ac120002'],
    ['crio-container.json', 'pod_container', 'b7e2c4f0a9d811eebf0d0242ac120002'],
    ['dockershim-sandbox.json', 'pod_sandbox', '0d3f9c2e7a1b'],
    ['dockershim-container.json', 'pod_container', '0d3f9c2e7a1b'],
  ];
  it.each(cases)('%s is a %s of sandbox %s', (file, type, sandboxId) => {
    const spec = load(file);
    expect(containerType(spec)).toBe(type);
    expect(sandboxIdOf(spec)).toBe(sandboxId);
    const c = ociToContainerConfig(spec, { bundlePath: '/b', containerId: 'c1' });
    expect(c.containerType).toBe(type);
    expect(c.sandboxId).toBe(sandboxId);
  });

  it('a spec without CRI annotations is a single container', () => {
    expect(containerType(load('crun-spec.json'))).toBe('single_container');
    expect(sandboxIdOf(load('crun-spec.json'))).toBeNull();
  });

  it('rejects an unknown container type, naming the annotation', () => {
    const e = caught(() => containerType({ annotations: { 'io.kubernetes.cri-o.ContainerType': 'infra' } }));
    expect(e.message).toContain('io.kubernetes.cri-o.ContainerType');
    expect(e.message).toContain('"infra"');
  });

  it('rejects a sandbox ID that could escape the store, and a pod container without one', () => {
    caught(() => sandboxIdOf({ annotations: { 'io.kubernetes.cri.sandbox-id': '../../etc' } }), 'E_INVALID_ID');
    const spec = load('containerd-container.json');
    delete spec.annotations?.['io.kubernetes.cri.sandbox-id'];
    expect(caught(() => ociToContainerConfig(spec, { bundlePath: '/b', containerId: 'c1' })).message).toContain('sandbox ID');
  });
});

describe('ociToSandboxConfig', () => {
  it('takes the sandbox ID, netns, shm size and sizing hints from the spec', () => {
    const s = ociToSandboxConfig(load('shm-netns.json'), { bundlePath: '/bundles/pod-a' });
    expect(SandboxConfig.safeParse(s).success).toBe(true);
    expect(s).toMatchObject({
      id: 'pod-a',
      containerType: 'pod_sandbox',
      bundlePath: '/bundles/pod-a',
      hostname: 'pod-a',
      networkNamespacePath: '/var/run/netns/cni-1234',
      shmSizeBytes: 67_108_864,
      resources: { vcpus: 2, memoryMiB: 256 },
    });
  });

  it('leaves the ID to the caller for a single container, and validates an explicit one', () => {
    expect(ociToSandboxConfig(load('crun-spec.json'), { bundlePath: '/b' }).id).toBeNull();
    expect(ociToSandboxConfig(load('crun-spec.json'), { bundlePath: '/b', sandboxId: 'mine' }).id).toBe('mine');
    caught(() => ociToSandboxConfig(load('crun-spec.json'), { bundlePath: '/b', sandboxId: 'a/b' }), 'E_INVALID_ID');
  });
});

describe('toOciState', () => {
  it('reports each status in the OCI runtime state shape', () => {
    for (const status of ['created', 'running', 'paused'] as const) {
      const state = toOciState({ id: 'c1', status, pid: 42, bundle: '/b', annotations: { a: 'b' } });
      expect(state).toEqual({ ociVersion: '1.0.2', id: 'c1', status, pid: 42, bundle: '/b', annotations: { a: 'b' } });
      expect(OciState.safeParse(JSON.parse(JSON.stringify(state))).success).toBe(true);
    }
    expect(toOciState({ id: 'c1', status: 'stopped', pid: 42, bundle: '/b' })).toEqual({
      ociVersion: '1.0.2',
      id: 'c1',
      status: 'stopped',
      pid: 0,
      bundle: '/b',
      annotations: {},
    });
  });

  it('refuses a live container without a pid, and unknown statuses', () => {
    caught(() => toOciState({ id: 'c1', status: 'running', pid: null, bundle: '/b' }));
    caught(() => toOciState({ id: 'c1', status: 'exploded' as 'running', pid: 1, bundle: '/b' }));
  });
});
