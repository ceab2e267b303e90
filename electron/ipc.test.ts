import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IPC_CHANNEL_TO_MAIN, IPC_CHANNEL_TO_RENDERER, type ServerMessage } from '../core/contract/index.js';
import { createRuntime, type Runtime } from '../core/api/index.js';
import { isTrustedFrame, wireIpc, type IpcEventLike, type IpcMainLike } from './ipc.js';

/**
 * ipcMain wiring with a MOCK ipcMain and MOCK webContents: the Electron
 * binary cannot be installed on these machines. The session behind it is
 * the real one (tested in core/handlers).
 */
describe('IPC wiring (MOCK ipcMain: no Electron binary here)', () => {
  let root: string;
  let rt: Runtime;
  let listener: ((e: IpcEventLike, m: unknown) => void) | null;
  const ipcMain: IpcMainLike = { on: (channel, l) => { expect(channel).toBe(IPC_CHANNEL_TO_MAIN); listener = l; } };

  function fakeSender(id: number) {
    const got: Array<[string, ServerMessage]> = [];
    let onDestroyed: (() => void) | null = null;
    return {
      got,
      destroy: () => onDestroyed?.(),
      sender: { id, send: (c: string, m: ServerMessage) => void got.push([c, m]), isDestroyed: () => false, once: (_e: 'destroyed', l: () => void) => void (onDestroyed = l) },
    };
  }

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'vessel-ipc-'));
    rt = createRuntime({ ...process.env, VESSEL_ROOT: root });
    listener = null;
  });
  afterEach(() => {
    rt.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('trusts only frames of the vessel://app origin', () => {
    expect(isTrustedFrame('vessel://app/index.html')).toBe(true);
    expect(isTrustedFrame('file:///etc/passwd')).toBe(false);
    expect(isTrustedFrame('https://app/')).toBe(false);
    expect(isTrustedFrame('vessel://other/')).toBe(false);
    expect(isTrustedFrame(undefined)).toBe(false);
  });

  it('drops messages from untrusted senders, answers ours, and closes the session when the window goes', async () => {
    const wired = wireIpc(ipcMain, rt);
    const evil = fakeSender(1);
    listener?.({ sender: evil.sender, senderFrame: { url: 'https://evil.example/' } }, { t: 'call', id: 1, method: 'sandbox.list', params: {} });
    const ours = fakeSender(2);
    listener?.({ sender: ours.sender, senderFrame: { url: 'vessel://app/index.html' } }, { t: 'call', id: 1, method: 'sandbox.list', params: {} });
    listener?.({ sender: ours.sender, senderFrame: { url: 'vessel://app/index.html' } }, { t: 'call', id: 2, method: 'sandbox.get', params: { id: 'nosuch' } });
    await expect.poll(() => ours.got.length).toBe(2);
    expect(ours.got).toContainEqual([IPC_CHANNEL_TO_RENDERER, { t: 'result', id: 1, value: [] }]);
    expect(ours.got).toContainEqual([IPC_CHANNEL_TO_RENDERER, expect.objectContaining({ t: 'error', id: 2, error: expect.objectContaining({ code: 'E_NOT_FOUND' }) })]);
    expect(evil.got).toEqual([]);
    expect(wired.sessions()).toBe(1);
    ours.destroy();
    expect(wired.sessions()).toBe(0);
  });
});
