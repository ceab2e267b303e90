import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VesselError, type ContainerStatus } from '../contract/index.js';
import { MockHypervisor } from '../hypervisor/index.js';
import { SandboxStore } from '../store/index.js';
import { formatContainerStatus, formatContainerTable, formatSandboxStats, containerStateText } from '../cli/format.js';
import { mountsUnder, placeRootfs } from './container-rootfs.js';
import { defaultSpec, mergeEnv, resolveSource } from './container-spec.js';
import { ContainerService, findContainer } from './container-service.js';
import { assertContainerTransition, canTransition } from './container-state.js';
import type { ContainerRecord } from './records.js';
import { SandboxService } from './sandbox-service.js';
import { parseSignal, signalName } from './signals.js';

/** Pure parts of the container API; the mock hypervisor has no guest, so no container runs here (see core/cli/containers.int.test.ts). */

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'oci', 'fixtures');

function code(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof VesselError ? `${err.code}: ${err.message}` : String(err);
  }
}

describe('signal names', () => {
  it('accepts SIGTERM, TERM, term, 15, SIGRTMIN+1', () => {
    expect(parseSignal('SIGTERM')).toBe(15);
    expect(parseSignal('TERM')).toBe(15);
    expect(parseSignal('term')).toBe(15);
    expect(parseSignal('15')).toBe(15);
    expect(parseSignal(9)).toBe(9);
    expect(parseSignal('KILL')).toBe(9);
    expect(parseSignal('SIGRTMIN+1')).toBe(35);
    expect(parseSignal('RTMAX')).toBe(64);
    expect(signalName(15)).toBe('SIGTERM');
  });

  it('refuses anything else with E_INVALID_ARGUMENT naming the input', () => {
    for (const bad of ['SIGFOO', 'FOO', '0', '65', '-1', '', 'SIG', '1.5', 'RTMIN+40']) {
      expect(code(() => parseSignal(bad)), bad).toMatch(/^E_INVALID_ARGUMENT: invalid signal/);
    }
  });
});

describe('container state transitions (as CRI-O)', () => {
  it('allows created→running→paused→running→stopped and created→stopped only', () => {
    expect(canTransition('created', 'running')).toBe(true);
    expect(canTransition('running', 'paused')).toBe(true);
    expect(canTransition('paused', 'running')).toBe(true);
    expect(canTransition('running', 'stopped')).toBe(true);
    expect(canTransition('created', 'stopped')).toBe(true);
    expect(canTransition('stopped', 'running')).toBe(false);
    expect(canTransition('created', 'paused')).toBe(false);
    expect(canTransition('running', 'running')).toBe(false);
    expect(code(() => assertContainerTransition({ name: 'web', state: 'stopped' }, 'running'))).toBe('E_INVALID_STATE: cannot start container web: it is stopped');
  });
});

function record(over: Partial<ContainerRecord>): ContainerRecord {
  return {
    id: 'a'.repeat(32), name: 'web', state: 'running', args: ['sh', '-c', 'echo hi'], tty: false,
    source: { kind: 'busybox', path: '/x' }, rootfsMode: 'copy', sharedRootfs: '/s/a/rootfs',
    createdAt: '2026-01-01T00:00:00.000Z', startedAt: null, finishedAt: null, exitCode: null, signal: null, oomKilled: false, error: null,
    ...over,
  };
}

describe('finding a container', () => {
  const list = [record({ id: 'abc123', name: 'web' }), record({ id: 'abd456', name: 'db' })];
  it('by ID, name or unique prefix', () => {
    expect(findContainer('sb', list, 'abc123').name).toBe('web');
    expect(findContainer('sb', list, 'db').id).toBe('abd456');
    expect(findContainer('sb', list, 'abd').name).toBe('db');
  });
  it('ambiguous, unknown and invalid references are clear errors', () => {
    expect(code(() => findContainer('sb', list, 'ab'))).toMatch(/^E_INVALID_ARGUMENT: "ab" matches 2 containers/);
    expect(code(() => findContainer('sb', list, 'nope'))).toMatch(/^E_NOT_FOUND: no container with ID or name "nope" in sandbox sb/);
    expect(code(() => findContainer('sb', list, '../etc'))).toMatch(/^E_INVALID_ID: /);
  });
});

describe('container specs and sources', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vessel-ctr-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the default spec is crun spec\'s, with our process', () => {
    const spec = defaultSpec({ args: ['uname', '-r'], tty: true, hostname: 'h', readonlyRootfs: false, env: ['A=1'] });
    const crun = JSON.parse(readFileSync(path.join(fixtures, 'crun-spec.json'), 'utf8')) as { mounts: unknown; linux: { namespaces: unknown } };
    expect(spec.mounts).toEqual(crun.mounts);
    expect((spec.linux as { namespaces: unknown }).namespaces).toEqual(crun.linux.namespaces);
    expect(spec.process).toMatchObject({ args: ['uname', '-r'], terminal: true, cwd: '/' });
    expect((spec.process as { env: string[] }).env).toContain('A=1');
  });

  it('merges env (later wins) and refuses malformed entries', () => {
    expect(mergeEnv(['A=1', 'B=2'], ['A=3'])).toEqual(['A=3', 'B=2']);
    expect(code(() => mergeEnv([], ['NOEQUALS']))).toMatch(/^E_INVALID_ARGUMENT: invalid environment variable "NOEQUALS"/);
  });

  function bundle(config: string): string {
    const b = path.join(dir, 'bundle');
    mkdirSync(path.join(b, 'rootfs'), { recursive: true });
    writeFileSync(path.join(b, 'config.json'), config);
    return b;
  }

  it('a crun spec bundle is used as it is (args, terminal, readonly root)', () => {
    const b = bundle(readFileSync(path.join(fixtures, 'crun-spec.json'), 'utf8'));
    const s = resolveSource({ containerId: 'c1', hostname: 'c1', bundle: b });
    expect(s).toMatchObject({ kind: 'bundle', args: ['sh'], tty: true, readonly: true, rootfsDir: path.join(b, 'rootfs') });
  });

  it('a malformed config.json and a device of type x are clear errors', () => {
    const bad = bundle('{ "ociVersion": "1.0.0", ');
    expect(code(() => resolveSource({ containerId: 'c1', hostname: 'c1', bundle: bad }))).toMatch(/^E_INVALID_ARGUMENT: invalid OCI config .*config\.json: not valid JSON/);
    rmSync(bad, { recursive: true });
    const dev = bundle(readFileSync(path.join(fixtures, 'bad-device.json'), 'utf8'));
    expect(code(() => resolveSource({ containerId: 'c1', hostname: 'c1', bundle: dev }))).toMatch(/^E_INVALID_ARGUMENT: .*linux\.devices\[\d\]/);
  });

  it('rootfs and bundle together, a missing rootfs, an empty command', () => {
    expect(code(() => resolveSource({ containerId: 'c', hostname: 'c', rootfs: dir, bundle: dir }))).toMatch(/^E_INVALID_ARGUMENT: give either --rootfs or --bundle/);
    expect(code(() => resolveSource({ containerId: 'c', hostname: 'c', rootfs: path.join(dir, 'nope') }))).toMatch(/^E_NOT_FOUND: root filesystem .* does not exist/);
    expect(code(() => resolveSource({ containerId: 'c', hostname: 'c', rootfs: dir, args: [''] }))).toMatch(/^E_INVALID_ARGUMENT: the command to run is empty/);
  });

  it('copies a rootfs when asked (symlinks kept)', async () => {
    const src = path.join(dir, 'src');
    mkdirSync(path.join(src, 'bin'), { recursive: true });
    copyFileSync(process.execPath, path.join(src, 'bin', 'prog'));
    const mode = await placeRootfs(src, path.join(dir, 'dest'), { readonly: false, prefer: 'copy' });
    expect(mode).toBe('copy');
    expect(existsSync(path.join(dir, 'dest', 'bin', 'prog'))).toBe(true);
  });

  it('finds mount points below a directory from mountinfo, deepest first, octal escapes decoded', () => {
    const info = [
      '22 1 0:21 / / rw - ext4 /dev/root rw',
      '30 22 0:21 /x /srv/sb/shared/c1/rootfs rw - ext4 /dev/root rw',
      '31 30 0:5 / /srv/sb/shared/c1/rootfs/proc rw - proc proc rw',
      '32 22 0:21 /y /srv/sb/shared/with\\040space rw - ext4 /dev/root rw',
      '33 22 0:21 /z /srv/sb/sharedother rw - ext4 /dev/root rw',
    ].join('\n');
    expect(mountsUnder('/srv/sb/shared', info)).toEqual(['/srv/sb/shared/c1/rootfs/proc', '/srv/sb/shared/with space', '/srv/sb/shared/c1/rootfs']);
  });
});

describe('formatting containers', () => {
  const base: ContainerStatus = {
    id: 'f'.repeat(32), name: 'web', sandboxId: 's', state: 'stopped', args: ['sh', '-c', 'exit 7'], tty: false,
    source: { kind: 'rootfs', path: '/r' }, rootfsMode: 'bind-ro', createdAt: 'T0', startedAt: 'T1', finishedAt: 'T2',
    exitCode: 7, signal: 0, oomKilled: false, error: null,
  };
  it('states, tables and status lines', () => {
    expect(containerStateText(base)).toBe('stopped: exit code 7');
    expect(containerStateText({ ...base, exitCode: 137, signal: 9 })).toBe('stopped: signal 9 (exit code 137)');
    expect(containerStateText({ ...base, state: 'running' })).toBe('running');
    const t = formatContainerTable([base]).split('\n');
    expect(t[0]).toMatch(/^ID\s+NAME\s+STATE\s+COMMAND\s+CREATED$/);
    expect(t[1]).toContain('sh -c "exit 7"');
    expect(formatContainerStatus(base)).toMatch(/rootfs:\s+rootfs \/r \(bind-mounted read-only\)/);
  });
  it('stats', () => {
    const text = formatSandboxStats({
      sandboxId: 's', at: 'T', guest: { cpus: 2, memoryKiB: 512 * 1024 }, host: { pid: 42, cpuNs: 1.5e9, rssBytes: 100 * 1024 * 1024 },
      containers: [{ id: 'x', name: 'spin', cpu: { usageNs: 2e9, userNs: 1.5e9, systemNs: 0.5e9, throttledPeriods: 0, throttledNs: 0 }, memory: { usage: 1024 * 1024, limit: 0, cache: 0, rss: 0, oomKills: 0 }, pids: { current: 2, limit: 50 }, blkio: [] }],
    });
    expect(text).toContain('guest: 2 CPU(s), 512MiB memory');
    expect(text).toContain('host:  VM process 42: CPU 1.50s, RSS 100MiB');
    expect(text).toMatch(/spin\s+2\.00s\s+1\.50s\s+0\.50s\s+1\.0MiB\s+unlimited\s+2\/50/);
  });
});

describe('containers and the sandbox lifecycle (MOCK hypervisor: no guest, so no container can run)', () => {
  let root: string;
  let sandboxes: SandboxService;
  let containers: ContainerService;

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'vessel-api-'));
    sandboxes = new SandboxService({
      store: new SandboxStore(root),
      resolveAccel: async () => ({ accel: 'tcg', reason: 'test' }),
      hypervisorFor: () => new MockHypervisor({ watchIntervalMs: 100 }),
      allowMockHypervisor: true,
    });
    containers = new ContainerService(sandboxes);
  });
  afterEach(async () => {
    for (const s of await sandboxes.listSandbox().catch(() => [])) await sandboxes.deleteSandbox(s.id, { force: true }).catch(() => undefined);
    sandboxes.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a sandbox gets a private shared directory; a stopped or paused sandbox refuses container work; delete removes it all', async () => {
    const s = await sandboxes.runSandbox({ hypervisor: 'mock', name: 'ctr' });
    const shared = sandboxes.sharedDir(s.id);
    expect(existsSync(shared)).toBe(true);
    expect((await import('node:fs')).statSync(shared).mode & 0o777).toBe(0o700);
    expect(await containers.listContainers(s.id)).toEqual([]);
    await sandboxes.pauseSandbox(s.id);
    await expect(containers.createContainer(s.id, { args: ['true'], rootfs: root })).rejects.toMatchObject({ code: 'E_INVALID_STATE', message: expect.stringMatching(/paused: resume it first/) });
    await sandboxes.resumeSandbox(s.id).catch(() => undefined);
    await sandboxes.stopSandbox(s.id, { force: true });
    await expect(containers.statsSandbox(s.id)).rejects.toMatchObject({ code: 'E_INVALID_STATE' });
    await expect(containers.statusContainer(s.id, 'nope')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(containers.killContainer(s.id, 'x', 'SIGFOO')).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await sandboxes.deleteSandbox(s.id);
    expect(existsSync(shared)).toBe(false);
  });
});
