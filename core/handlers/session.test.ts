import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STREAM_WINDOW_ITEMS, type ServerMessage } from '../contract/index.js';
import { createRuntime, type Runtime } from '../api/index.js';
import { ApiSession } from './session.js';

/** The UI's API session, over the MOCK hypervisor (a sleep process: no guest, no containers). */
describe('ApiSession (MOCK hypervisor)', () => {
  let root: string;
  let rt: Runtime;
  let session: ApiSession;
  let sent: ServerMessage[];

  const next = async (pred: (m: ServerMessage) => boolean, timeoutMs = 10_000): Promise<ServerMessage> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = sent.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such message; got ${JSON.stringify(sent.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'vessel-session-'));
    rt = createRuntime({ ...process.env, VESSEL_ROOT: root }, { allowMockHypervisor: true });
    sent = [];
    session = new ApiSession(rt, { send: (m) => sent.push(m) });
  });
  afterEach(async () => {
    session.close();
    for (const s of await rt.sandboxes.listSandbox().catch(() => [])) await rt.sandboxes.deleteSandbox(s.id, { force: true }).catch(() => undefined);
    rt.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers a malformed message with E_INVALID_ARGUMENT, and a core error with its code and message', async () => {
    session.handle({ t: 'call', id: 1, method: 'sandbox.nuke', params: {} });
    expect(await next((m) => m.id === 1)).toMatchObject({ t: 'error', error: { code: 'E_INVALID_ARGUMENT' } });
    session.handle({ t: 'call', id: 2, method: 'sandbox.get', params: { id: '../etc' } });
    expect(await next((m) => m.id === 2)).toMatchObject({ t: 'error', error: { code: 'E_INVALID_ARGUMENT', message: expect.stringContaining('sandbox ID') } });
    session.handle({ t: 'call', id: 3, method: 'sandbox.get', params: { id: 'nosuch' } });
    expect(await next((m) => m.id === 3)).toMatchObject({ t: 'error', error: { code: 'E_NOT_FOUND' } });
    session.handle('not even an object');
    expect(sent).toHaveLength(3);
  });

  it('refuses an invalid memory size and creates nothing', async () => {
    session.handle({ t: 'open', id: 1, stream: 'create', params: { sandbox: { hypervisor: 'mock', memoryMiB: 16 } } });
    expect(await next((m) => m.id === 1 && m.t === 'error')).toMatchObject({ error: { code: 'E_INVALID_ARGUMENT', message: expect.stringContaining('at least 64 MiB') } });
    session.handle({ t: 'call', id: 2, method: 'sandbox.list', params: {} });
    expect(await next((m) => m.id === 2)).toEqual({ t: 'result', id: 2, value: [] });
  });

  it('creates a sandbox with progress, lists it with its container count, and deletes it', async () => {
    session.handle({ t: 'open', id: 1, stream: 'create', params: { sandbox: { hypervisor: 'mock', name: 'ui' } } });
    const done = await next((m) => m.id === 1 && m.t === 'item' && (m.item as { kind: string }).kind === 'done');
    expect(sent.filter((m) => m.id === 1 && m.t === 'item' && (m.item as { kind: string }).kind === 'progress').length).toBeGreaterThan(1);
    const id = (done as { item: { sandbox: { id: string; state: string } } }).item.sandbox.id;
    expect((done as { item: { sandbox: { state: string } } }).item.sandbox.state).toBe('running');
    await next((m) => m.id === 1 && m.t === 'end');
    session.handle({ t: 'call', id: 2, method: 'sandbox.list', params: {} });
    expect(await next((m) => m.id === 2)).toMatchObject({ t: 'result', value: [{ id, name: 'ui', state: 'running', containerCount: 0 }] });
    session.handle({ t: 'call', id: 3, method: 'sandbox.delete', params: { id, force: true } });
    expect(await next((m) => m.id === 3)).toEqual({ t: 'result', id: 3, value: { id, deleted: true } });
  });

  it('holds a stream at its credit window until the client acks, and ends it on close', async () => {
    session.handle({ t: 'open', id: 5, stream: 'usage', params: { periodMs: 200 } });
    await next((m) => m.id === 5 && m.t === 'opened');
    const items = () => sent.filter((m) => m.id === 5 && m.t === 'item').length;
    await next(() => items() >= STREAM_WINDOW_ITEMS, 15_000);
    await new Promise((r) => setTimeout(r, 700));
    expect(items()).toBe(STREAM_WINDOW_ITEMS); // no acks: no more items
    session.handle({ t: 'ack', id: 5, n: 4 });
    await next(() => items() >= STREAM_WINDOW_ITEMS + 4);
    await new Promise((r) => setTimeout(r, 700));
    expect(items()).toBe(STREAM_WINDOW_ITEMS + 4);
    session.handle({ t: 'close', id: 5 });
    expect(await next((m) => m.id === 5 && m.t === 'end')).toEqual({ t: 'end', id: 5, end: {} });
    expect(session.openStreams).toBe(0);
  });

  it('a console on a mock sandbox fails with a typed error (no serial console, no containers)', async () => {
    const s = await rt.sandboxes.runSandbox({ hypervisor: 'mock', name: 'c' });
    session.handle({ t: 'open', id: 1, stream: 'console', params: { target: { kind: 'serial', sandboxId: s.id }, size: { rows: 24, cols: 80 } } });
    expect(await next((m) => m.id === 1)).toMatchObject({ t: 'error', error: { code: 'E_UNSUPPORTED' } });
    session.handle({ t: 'open', id: 2, stream: 'console', params: { target: { kind: 'exec', sandboxId: s.id, container: 'nope' }, size: { rows: 24, cols: 80 } } });
    expect(await next((m) => m.id === 2)).toMatchObject({ t: 'error', error: { code: 'E_NOT_FOUND' } });
    session.handle({ t: 'open', id: 3, stream: 'console', params: { target: { kind: 'exec', sandboxId: s.id, container: 'x' }, size: { rows: 0, cols: 80 } } });
    expect(await next((m) => m.id === 3)).toMatchObject({ t: 'error', error: { code: 'E_INVALID_ARGUMENT' } });
  });
});
