import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VesselError, type SandboxEvent } from '../contract/index.js';
import { MockHypervisor } from '../hypervisor/index.js';
import { SandboxStore } from '../store/index.js';
import { SandboxService } from './sandbox-service.js';
import { readProcStartTime } from '../util/proc.js';

/**
 * The sandbox API over the MOCK hypervisor (a `sleep` process stands in for
 * the VM; no guest, no agent). Real VMs are covered by the integration tests.
 */

function pidAlive(pid: number): boolean {
  return readProcStartTime(pid) !== null; // a zombie is not alive
}

async function expectCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<VesselError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(VesselError);
  const ve = err as VesselError;
  expect(ve.code).toBe(code);
  if (message) expect(ve.message).toMatch(message);
  return ve;
}

describe('SandboxService with the mock hypervisor', () => {
  let root: string;
  let service: SandboxService;
  let events: SandboxEvent[];
  const mock = { hypervisor: 'mock' as const };

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'vessel-api-'));
    service = new SandboxService({
      store: new SandboxStore(root),
      resolveAccel: async () => ({ accel: 'tcg', reason: 'test' }),
      hypervisorFor: () => new MockHypervisor({ watchIntervalMs: 100 }),
      allowMockHypervisor: true,
    });
    events = [];
    service.subscribe((e) => events.push(e));
  });

  afterEach(async () => {
    for (const s of await service.listSandbox().catch(() => [])) {
      await service.deleteSandbox(s.id, { force: true }).catch(() => undefined);
    }
    service.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('goes through every state with exactly the valid transitions', async () => {
    const created = await service.createSandbox({ ...mock, name: 'walk', vcpus: 2, memoryMiB: 256 });
    expect(created).toMatchObject({ name: 'walk', state: 'ready', vcpus: 2, memoryMiB: 256, hypervisor: 'mock' });
    expect(created.pid && pidAlive(created.pid)).toBe(true);
    const id = created.id;

    await expectCode(service.resumeSandbox(id), 'E_INVALID_STATE', /ready/);
    await expectCode(service.pauseSandbox(id), 'E_INVALID_STATE', /"ready".*"paused"/);
    expect((await service.startSandbox(id)).state).toBe('running');
    await expectCode(service.startSandbox(id), 'E_INVALID_STATE', /"running".*"running"/);
    expect((await service.pauseSandbox(id)).state).toBe('paused');
    expect((await service.resumeSandbox(id)).state).toBe('running');
    const firstPid = (await service.statusSandbox(id)).pid ?? 0;
    const stopped = await service.stopSandbox(id);
    expect(stopped).toMatchObject({ state: 'stopped', pid: null, stopReason: 'stopped by user' });
    expect(pidAlive(firstPid)).toBe(false);
    await expectCode(service.pauseSandbox(id), 'E_INVALID_STATE', /"stopped".*"paused"/);
    await expectCode(service.stopSandbox(id), 'E_INVALID_STATE');
    const again = await service.startSandbox(id);
    expect(again.state).toBe('running');
    expect(again.pid).not.toBe(firstPid);

    const transitions = events.filter((e) => e.type === 'state').map((e) => (e.type === 'state' ? `${e.from ?? '-'}>${e.to}` : ''));
    expect(transitions).toEqual(['->ready', 'ready>running', 'running>paused', 'paused>running', 'running>stopped', 'stopped>running']);
  });

  it('refuses to delete a running or paused sandbox unless forced, and leaves nothing behind', async () => {
    const s = await service.runSandbox({ ...mock, name: 'busy' });
    expect(s.state).toBe('running');
    await expectCode(service.deleteSandbox(s.id), 'E_INVALID_STATE', /running.*--force/);
    await service.pauseSandbox(s.id);
    await expectCode(service.deleteSandbox(s.id), 'E_INVALID_STATE', /paused.*--force/);
    await service.deleteSandbox(s.id, { force: true });
    expect(pidAlive(s.pid ?? 0)).toBe(false);
    await expectCode(service.statusSandbox(s.id), 'E_NOT_FOUND');
    expect(await service.listSandbox()).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'deleted', id: s.id });
  });

  it('a ready or stopped sandbox deletes without force', async () => {
    const a = await service.createSandbox({ ...mock, name: 'a' });
    await service.deleteSandbox(a.id);
    expect(pidAlive(a.pid ?? 0)).toBe(false);
    const b = await service.runSandbox({ ...mock, name: 'b' });
    await service.stopSandbox(b.id, { force: true });
    await service.deleteSandbox(b.id);
    expect(await service.listSandbox()).toEqual([]);
  });

  it('sees a VM that dies: within 2 s while monitoring, and on the next status read otherwise', async () => {
    const watched = await service.runSandbox({ ...mock, name: 'watched' });
    const start = Date.now();
    process.kill(watched.pid ?? 0, 'SIGKILL');
    await new Promise<void>((resolve) => {
      const off = service.subscribe((e) => {
        if (e.type === 'state' && e.id === watched.id && e.to === 'stopped') {
          off();
          resolve();
        }
      });
    });
    expect(Date.now() - start).toBeLessThanOrEqual(2000);
    expect((await service.statusSandbox(watched.id)).stopReason).toMatch(/killed|exited|gone/);

    // A second service (another process's view) that does not monitor.
    const other = new SandboxService({
      store: new SandboxStore(root),
      resolveAccel: async () => ({ accel: 'tcg', reason: 'test' }),
      hypervisorFor: () => new MockHypervisor(),
      allowMockHypervisor: true,
    });
    service.close(); // stop our watchers so only the status read can notice
    const unwatched = await other.runSandbox({ ...mock, name: 'unwatched' });
    other.close();
    process.kill(unwatched.pid ?? 0, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    const seen = await other.statusSandbox(unwatched.id);
    expect(seen).toMatchObject({ state: 'stopped', pid: null });
  });

  it('rejects bad requests before creating anything', async () => {
    await expectCode(service.createSandbox({ ...mock, vcpus: 0 }), 'E_INVALID_ARGUMENT', /vCPUs must be at least 1/);
    await expectCode(service.createSandbox({ ...mock, memoryMiB: -1 }), 'E_INVALID_ARGUMENT', /memory must be at least/);
    await expectCode(service.createSandbox({ ...mock, vcpus: 1.5 }), 'E_INVALID_ARGUMENT', /vcpus/);
    await expectCode(service.createSandbox({ hypervisor: 'xen' as 'qemu' }), 'E_INVALID_ARGUMENT', /hypervisor/);
    await expectCode(service.createSandbox({ hypervisor: 'firecracker' }), 'E_UNSUPPORTED', /firecracker/);
    await expectCode(service.createSandbox({ ...mock, name: '../escape' }), 'E_INVALID_ARGUMENT', /name/);
    expect(await service.listSandbox()).toEqual([]);

    const strict = new SandboxService({ store: new SandboxStore(root), resolveAccel: async () => ({ accel: 'tcg', reason: 'test' }) });
    await expectCode(strict.createSandbox({ ...mock }), 'E_INVALID_ARGUMENT', /tests only/);
  });

  it('rejects invalid and traversing IDs, and unknown ones', async () => {
    for (const bad of ['../x', 'a/b', '..', '', 'x'.repeat(65)]) {
      await expectCode(service.statusSandbox(bad), 'E_INVALID_ID');
      await expectCode(service.deleteSandbox(bad, { force: true }), 'E_INVALID_ID');
    }
    await expectCode(service.startSandbox('deadbeef'), 'E_NOT_FOUND');
  });

  it('names are unique; fetch finds by ID, unique prefix and name', async () => {
    const s = await service.createSandbox({ ...mock, name: 'uniq' });
    await expectCode(service.createSandbox({ ...mock, name: 'uniq' }), 'E_ALREADY_EXISTS', /uniq/);
    expect((await service.fetchSandbox('uniq')).id).toBe(s.id);
    expect((await service.fetchSandbox(s.id.slice(0, 6))).id).toBe(s.id);
    expect((await service.fetchSandbox(s.id)).id).toBe(s.id);
    await expectCode(service.fetchSandbox('nope'), 'E_NOT_FOUND');
  });

  it('a corrupt state file is a clear error for that sandbox only', async () => {
    const good = await service.createSandbox({ ...mock, name: 'good' });
    const bad = await service.createSandbox({ ...mock, name: 'bad' });
    writeFileSync(new SandboxStore(root).statePath(bad.id), '{"schemaVersion":1,"torn');
    await expectCode(service.statusSandbox(bad.id), 'E_CORRUPT_STATE', /delete --force/);
    const list = await service.listSandbox();
    expect(list.map((s) => s.id)).toEqual([good.id]);
    // Still deletable when forced.
    await service.deleteSandbox(bad.id, { force: true });
    await expectCode(service.statusSandbox(bad.id), 'E_NOT_FOUND');
  });

  it('reports progress while creating', async () => {
    const phases: string[] = [];
    await service.createSandbox({ ...mock, name: 'progress' }, (phase) => phases.push(phase));
    expect(phases[0]).toBe('prepare');
    expect(phases).toContain('hypervisor');
    expect(phases.at(-1)).toBe('done');
  });
});
