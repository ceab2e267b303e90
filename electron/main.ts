import { app, BrowserWindow, ipcMain, protocol, session, shell } from 'electron';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime } from '../core/api/index.js';
import { contentSecurityPolicy } from '../core/serve/server.js';
import { APP_ORIGIN, isTrustedFrame, wireIpc } from './ipc.js';

/**
 * The Electron main process: hosts the core, serves the built renderer on
 * vessel://app (not file://), and wires the one API over IPC. Thin on
 * purpose: everything else lives in core and is tested without Electron.
 * Sandboxes are VMs that outlive the app: quitting closes windows and agent
 * connections, never the VMs; the next start lists them again.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.resolve(here, '..', 'renderer');
const preload = path.join(here, 'preload.cjs');

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png' };

protocol.registerSchemesAsPrivileged([{ scheme: 'vessel', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

// Packaged: the guest image and the busybox root filesystem are extra resources.
if (app.isPackaged) {
  process.env.VESSEL_GUEST_DIR ??= path.join(process.resourcesPath, 'guest');
  process.env.VESSEL_ROOTFS_DIR ??= path.join(process.resourcesPath, 'rootfs', 'busybox');
}
const runtime = createRuntime();
const ipc = wireIpc(ipcMain, runtime, (line) => process.stderr.write(`vessel: ${line}\n`));

async function serveApp(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (`${url.protocol}//${url.host}` !== APP_ORIGIN) return new Response(null, { status: 404 });
  const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
  const file = path.resolve(rendererDir, rel);
  if (!file.startsWith(rendererDir + path.sep)) return new Response(null, { status: 404 });
  try {
    const body = await readFile(file);
    return new Response(body, {
      headers: {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Security-Policy': contentSecurityPolicy(''),
        'X-Content-Type-Options': 'nosniff',
      },
    });
  } catch {
    return new Response(null, { status: 404 });
  }
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'Vessel',
    backgroundColor: '#0f1318',
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

app.on('web-contents-created', (_event, contents) => {
  // No navigation away from the app, no new windows; http(s) links open in the browser.
  contents.on('will-navigate', (event, url) => {
    if (!isTrustedFrame(url)) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

app.whenReady().then(async () => {
  protocol.handle('vessel', serveApp);
  // Nothing asks for permissions (camera, notifications…): deny them all.
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, callback) => callback(false));
  await runtime.sandboxes.startMonitoring();
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}).catch((err: unknown) => {
  process.stderr.write(`vessel: cannot start: ${String(err)}\n`);
  app.exit(1);
});

app.on('window-all-closed', () => {
  app.quit();
});

app.on('will-quit', () => {
  // Consoles' exec'd shells are ended; the sandboxes (VMs) keep running.
  ipc.closeAll();
  runtime.close();
});
