import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { create } from 'zustand';
import { z } from 'zod';
import { ConsoleTarget } from '../../core/contract/index.js';
import { api, base64ToBytes, type StreamHandle } from './api/client.js';

/**
 * Console sessions live here, outside React: a terminal and its stream
 * survive tab and page switches (the pane only lends them a DOM node), so
 * scrollback and the running process stay.
 */

export type ConsoleStatus = 'connecting' | 'open' | 'ended' | 'failed';

export interface ConsoleInfo {
  key: string;
  sandboxId: string;
  title: string;
  target: ConsoleTarget;
  status: ConsoleStatus;
  /** Why it ended or failed, as the user should read it. */
  note: string;
}

interface Session {
  term: Terminal;
  fit: FitAddon;
  element: HTMLDivElement;
  stream: StreamHandle | null;
  opened: boolean;
}

const sessions = new Map<string, Session>();

interface ConsoleState {
  consoles: ConsoleInfo[];
  active: Record<string, string>; // sandboxId → active console key
}

export const useConsoles = create<ConsoleState>(() => ({ consoles: [], active: {} }));

function update(key: string, patch: Partial<ConsoleInfo>): void {
  useConsoles.setState((s) => ({ consoles: s.consoles.map((c) => (c.key === key ? { ...c, ...patch } : c)) }));
}

let counter = 0;

export function titleFor(target: ConsoleTarget, containerName?: string): string {
  switch (target.kind) {
    case 'exec':
      return `shell · ${containerName ?? target.container}`;
    case 'attach':
      return `attach · ${containerName ?? target.container}`;
    case 'serial':
      return 'serial console';
  }
}

export function openConsole(target: ConsoleTarget, title: string): string {
  // One attach/serial session per target: focus the existing one.
  if (target.kind !== 'exec') {
    const existing = useConsoles.getState().consoles.find((c) => JSON.stringify(c.target) === JSON.stringify(target));
    if (existing) {
      if (existing.status === 'ended' || existing.status === 'failed') reconnect(existing.key);
      setActive(existing.sandboxId, existing.key);
      return existing.key;
    }
  }
  const key = `console-${++counter}`;
  const term = new Terminal({
    cursorBlink: true,
    convertEol: false,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace',
    fontSize: 13,
    scrollback: 5000,
    theme: { background: '#0d1117', foreground: '#d6dde6', cursor: '#7aa2f7', selectionBackground: '#33467c' },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  const element = document.createElement('div');
  element.className = 'term-host';
  const session: Session = { term, fit, element, stream: null, opened: false };
  sessions.set(key, session);
  term.onData((data) => session.stream?.input(data));
  term.onBinary((data) => session.stream?.input(Uint8Array.from(data, (c) => c.charCodeAt(0))));
  term.onResize(({ rows, cols }) => session.stream?.resize(rows, cols));
  // Copy and paste with Ctrl+Shift+C / Ctrl+Shift+V (Ctrl+C stays an interrupt).
  term.attachCustomKeyEventHandler((e) => {
    if (e.type === 'keydown' && e.ctrlKey && e.shiftKey && (e.key === 'C' || e.key === 'c')) {
      void copySelection(key);
      return false;
    }
    if (e.type === 'keydown' && e.ctrlKey && e.shiftKey && (e.key === 'V' || e.key === 'v')) {
      void paste(key);
      return false;
    }
    return true;
  });
  useConsoles.setState((s) => ({ consoles: [...s.consoles, { key, sandboxId: target.sandboxId, title, target, status: 'connecting', note: '' }] }));
  setActive(target.sandboxId, key);
  connect(key);
  return key;
}

function connect(key: string): void {
  const session = sessions.get(key);
  const info = useConsoles.getState().consoles.find((c) => c.key === key);
  if (!session || !info) return;
  update(key, { status: 'connecting', note: '' });
  const { term } = session;
  const size = { rows: term.rows, cols: term.cols };
  const stream = api.open('console', { target: info.target, size }, {
    onOpened: () => {
      update(key, { status: 'open' });
      // The pane may have been resized while connecting.
      stream.resize(term.rows, term.cols);
    },
    onItem: (b64) => {
      const bytes = base64ToBytes(b64);
      // Ack once xterm has drawn it: that is the back-pressure.
      term.write(bytes, () => stream.ack(bytes.length));
    },
    onEnd: (end) => {
      session.stream = null;
      const note = end.exit
        ? `process exited with code ${end.exit.exitCode}${end.exit.signal ? ` (signal ${end.exit.signal})` : ''}`
        : end.reason ?? 'the session ended';
      term.write(`\r\n\x1b[2m[${note}]\x1b[0m\r\n`);
      update(key, { status: 'ended', note });
    },
    onError: (err) => {
      session.stream = null;
      const note = `${err.code}: ${err.message}`;
      term.write(`\r\n\x1b[31m[${note}]\x1b[0m\r\n`);
      update(key, { status: 'failed', note });
    },
  }, { autoAck: false });
  session.stream = stream;
}

export function reconnect(key: string): void {
  const session = sessions.get(key);
  if (!session) return;
  session.stream?.close();
  session.term.write('\r\n\x1b[2m[reconnecting…]\x1b[0m\r\n');
  connect(key);
}

export function closeConsole(key: string): void {
  const session = sessions.get(key);
  session?.stream?.close();
  session?.term.dispose();
  sessions.delete(key);
  useConsoles.setState((s) => {
    const consoles = s.consoles.filter((c) => c.key !== key);
    const active = { ...s.active };
    for (const [sid, k] of Object.entries(active)) if (k === key) {
      const next = consoles.filter((c) => c.sandboxId === sid).at(-1);
      if (next) active[sid] = next.key;
      else delete active[sid];
    }
    return { consoles, active };
  });
}

export function setActive(sandboxId: string, key: string): void {
  useConsoles.setState((s) => ({ active: { ...s.active, [sandboxId]: key } }));
}

/** Lend the session's terminal to a pane; returns the function that takes it back. */
export function mountConsole(key: string, host: HTMLElement): () => void {
  const session = sessions.get(key);
  if (!session) return () => undefined;
  host.appendChild(session.element);
  if (!session.opened) {
    session.term.open(session.element);
    session.opened = true;
  }
  const refit = () => {
    if (host.clientWidth > 0 && host.clientHeight > 0) {
      try {
        session.fit.fit();
      } catch {
        // not laid out yet
      }
    }
    // The size the process was told, for tests and the curious.
    host.dataset.rows = String(session.term.rows);
    host.dataset.cols = String(session.term.cols);
  };
  const observer = new ResizeObserver(refit);
  observer.observe(host);
  requestAnimationFrame(refit);
  session.term.focus();
  return () => {
    observer.disconnect();
    if (session.element.parentElement === host) host.removeChild(session.element);
  };
}

export function terminalOf(key: string): Terminal | undefined {
  return sessions.get(key)?.term;
}

export async function copySelection(key: string): Promise<void> {
  const text = sessions.get(key)?.term.getSelection() ?? '';
  if (text) await navigator.clipboard.writeText(text).catch(() => undefined);
}

export async function paste(key: string): Promise<void> {
  const session = sessions.get(key);
  if (!session) return;
  const text = await navigator.clipboard.readText().catch(() => '');
  if (text) session.term.paste(text);
}

/** Console sessions of sandboxes that no longer exist are closed. */
export function pruneConsoles(liveSandboxIds: Set<string>): void {
  for (const c of useConsoles.getState().consoles) if (!liveSandboxIds.has(c.sandboxId)) closeConsole(c.key);
}

// ---- surviving a restart ------------------------------------------------------

const STORAGE_KEY = 'vessel.consoles';
const Saved = z.array(z.object({ target: ConsoleTarget, title: z.string().max(200) })).max(50);

/** Remember which consoles are open, so the next start re-attaches them. */
useConsoles.subscribe((s) => {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(s.consoles.map((c) => ({ target: c.target, title: c.title }))));
  } catch {
    // storage unavailable: consoles just do not come back
  }
});

/**
 * Re-open the consoles of the last session whose sandbox still runs: attach
 * and serial consoles re-attach; a shell comes back as a new shell (the old
 * one ended with its connection).
 */
export function restoreConsoles(running: Set<string>): void {
  let saved: z.infer<typeof Saved> = [];
  try {
    const parsed = Saved.safeParse(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]'));
    if (parsed.success) saved = parsed.data;
  } catch {
    return;
  }
  for (const c of saved) if (running.has(c.target.sandboxId)) openConsole(c.target, c.title);
}
