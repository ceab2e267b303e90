import { IPC_CHANNEL_TO_MAIN, IPC_CHANNEL_TO_RENDERER, type ServerMessage } from '../core/contract/index.js';
import type { Runtime } from '../core/api/index.js';
import { ApiSession } from '../core/handlers/index.js';

/**
 * ipcMain wiring, kept free of the electron module so it is testable without
 * the Electron binary: one ApiSession per window (webContents), messages only
 * from frames of our own vessel:// app origin; everything else is dropped.
 */

export const APP_ORIGIN = 'vessel://app';

export interface IpcSender {
  readonly id: number;
  send(channel: string, message: ServerMessage): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): void;
}

export interface IpcEventLike {
  sender: IpcSender;
  senderFrame: { url: string } | null;
}

export interface IpcMainLike {
  on(channel: string, listener: (event: IpcEventLike, message: unknown) => void): void;
}

export function isTrustedFrame(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}

export function wireIpc(ipcMain: IpcMainLike, rt: Runtime, log: (line: string) => void = () => undefined): { sessions: () => number; closeAll(): void } {
  const sessions = new Map<number, ApiSession>();
  ipcMain.on(IPC_CHANNEL_TO_MAIN, (event, message) => {
    if (!isTrustedFrame(event.senderFrame?.url)) {
      log(`dropped an IPC message from an untrusted frame: ${event.senderFrame?.url ?? '(none)'}`);
      return;
    }
    const sender = event.sender;
    let session = sessions.get(sender.id);
    if (!session) {
      session = new ApiSession(rt, {
        send: (m) => {
          if (!sender.isDestroyed()) sender.send(IPC_CHANNEL_TO_RENDERER, m);
        },
        onProtocolError: (p) => log(`IPC: ${p}`),
      });
      sessions.set(sender.id, session);
      const s = session;
      sender.once('destroyed', () => {
        s.close();
        sessions.delete(sender.id);
      });
    }
    session.handle(message);
  });
  return {
    sessions: () => sessions.size,
    closeAll: () => {
      for (const s of sessions.values()) s.close();
      sessions.clear();
    },
  };
}
