/** The Electron IPC channel names (preload ⇄ main). No imports: the sandboxed preload bundles this file. */
export const IPC_CHANNEL_TO_MAIN = 'vessel:to-main';
export const IPC_CHANNEL_TO_RENDERER = 'vessel:to-renderer';
