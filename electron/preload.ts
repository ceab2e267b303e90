import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CHANNEL_TO_MAIN, IPC_CHANNEL_TO_RENDERER } from '../core/contract/channels.js';
import type { ClientMessage, ServerMessage, VesselBridge } from '../core/contract/api.js';

/**
 * The only thing the renderer gets: send a contract message, receive
 * contract messages. No ipcRenderer, no Node. The main process validates
 * every message (zod) and checks who sent it.
 */
const bridge: VesselBridge = {
  send(message: ClientMessage) {
    ipcRenderer.send(IPC_CHANNEL_TO_MAIN, message);
  },
  onMessage(listener: (message: ServerMessage) => void) {
    const handler = (_event: IpcRendererEvent, message: ServerMessage) => listener(message);
    ipcRenderer.on(IPC_CHANNEL_TO_RENDERER, handler);
    return () => void ipcRenderer.off(IPC_CHANNEL_TO_RENDERER, handler);
  },
};

contextBridge.exposeInMainWorld('vessel', bridge);
