import { create } from 'zustand';
import type { HostUsageTick, SandboxEvent, SandboxState, SandboxSummary, VesselError } from '../../core/contract/index.js';
import { api } from './api/client.js';

/** How many CPU samples each list sparkline keeps (1 Hz). */
export const SPARK_POINTS = 60;
const MAX_EVENTS = 1000;

export type Route = { page: 'sandboxes' } | { page: 'sandbox'; id: string; tab?: 'overview' | 'consoles' } | { page: 'networks' } | { page: 'images' } | { page: 'devices' } | { page: 'factory' };

export interface Notice {
  id: number;
  kind: 'info' | 'ok' | 'error';
  text: string;
}

interface State {
  connected: boolean;
  route: Route;
  sandboxes: SandboxSummary[];
  loaded: boolean;
  listError: string | null;
  /** When the last list reply arrived (performance.now()), for the render benchmark. */
  listArrivedAt: number;
  /** CPU % of each sandbox's hypervisor process, newest last. */
  cpu: Record<string, number[]>;
  /** Network KiB/s (rx+tx of the sandbox's taps), newest last. */
  net: Record<string, number[]>;
  events: SandboxEvent[];
  filterText: string;
  filterState: SandboxState | 'all';
  selected: Record<string, true>;
  notices: Notice[];
  createOpen: boolean;
  navigate(route: Route): void;
  refresh(): Promise<void>;
  notify(kind: Notice['kind'], text: string): void;
  dismiss(id: number): void;
  setFilter(text: string, state: SandboxState | 'all'): void;
  toggleSelected(id: string, on: boolean): void;
  selectOnly(ids: string[]): void;
  setCreateOpen(open: boolean): void;
}

let noticeId = 1;

export const useStore = create<State>((set, get) => ({
  connected: false,
  route: { page: 'sandboxes' },
  sandboxes: [],
  loaded: false,
  listError: null,
  listArrivedAt: 0,
  cpu: {},
  net: {},
  events: [],
  filterText: '',
  filterState: 'all',
  selected: {},
  notices: [],
  createOpen: false,
  navigate: (route) => set({ route }),
  refresh: async () => {
    try {
      const sandboxes = await api.call('sandbox.list', {});
      const ids = new Set(sandboxes.map((s) => s.id));
      const selected = Object.fromEntries(Object.keys(get().selected).filter((id) => ids.has(id)).map((id) => [id, true as const]));
      set({ sandboxes, loaded: true, listError: null, listArrivedAt: performance.now(), selected });
    } catch (err) {
      set({ listError: (err as VesselError).message, loaded: true });
    }
  },
  notify: (kind, text) => {
    const id = noticeId++;
    set({ notices: [...get().notices.slice(-4), { id, kind, text }] });
    if (kind !== 'error') setTimeout(() => get().dismiss(id), 6000);
  },
  dismiss: (id) => set({ notices: get().notices.filter((n) => n.id !== id) }),
  setFilter: (filterText, filterState) => set({ filterText, filterState }),
  toggleSelected: (id, on) => {
    const selected = { ...get().selected };
    if (on) selected[id] = true;
    else delete selected[id];
    set({ selected });
  },
  selectOnly: (ids) => set({ selected: Object.fromEntries(ids.map((id) => [id, true as const])) }),
  setCreateOpen: (createOpen) => set({ createOpen }),
}));

/** Run an action, show its outcome; returns whether it worked. */
export async function act(label: string, fn: () => Promise<unknown>): Promise<boolean> {
  const { notify } = useStore.getState();
  notify('info', `${label}…`);
  try {
    await fn();
    notify('ok', `${label}: done`);
    return true;
  } catch (err) {
    const e = err as VesselError;
    notify('error', `${label} failed: ${e.code ? `${e.code}: ` : ''}${e.message}`);
    return false;
  } finally {
    void useStore.getState().refresh();
  }
}

// ---- live feeds -------------------------------------------------------------

let lastUsage: HostUsageTick | null = null;

function onUsage(tick: HostUsageTick): void {
  const prev = lastUsage;
  lastUsage = tick;
  if (!prev) return;
  const seconds = (Date.parse(tick.at) - Date.parse(prev.at)) / 1000;
  if (seconds <= 0) return;
  const before = new Map(prev.sandboxes.map((s) => [s.id, s.cpuNs]));
  const cpu = { ...useStore.getState().cpu };
  const net = { ...useStore.getState().net };
  const netBefore = new Map(prev.sandboxes.map((s) => [s.id, s.netBytes]));
  for (const s of tick.sandboxes) {
    const b = before.get(s.id);
    if (b === undefined) continue;
    const nb = netBefore.get(s.id);
    if (nb !== undefined && s.netBytes !== undefined) {
      const kib = Math.max(0, (s.netBytes - nb) / 1024 / seconds);
      const ns = net[s.id] ?? [];
      net[s.id] = ns.length >= SPARK_POINTS ? [...ns.slice(1 - SPARK_POINTS), kib] : [...ns, kib];
    }
    const pct = Math.max(0, ((s.cpuNs - b) / 1e9 / seconds) * 100);
    const series = cpu[s.id] ?? [];
    cpu[s.id] = series.length >= SPARK_POINTS ? [...series.slice(1 - SPARK_POINTS), pct] : [...series, pct];
  }
  useStore.setState({ cpu, net });
}

let refreshTimer: ReturnType<typeof setTimeout> | null = null;
function refreshSoon(): void {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    void useStore.getState().refresh();
  }, 150);
}

/** Subscribe to events and host usage; reopen them when the connection comes back. */
export function startFeeds(): void {
  const open = (): void => {
    api.open('events', {}, {
      onItem: (e) => {
        const events = useStore.getState().events;
        useStore.setState({ events: events.length >= MAX_EVENTS ? [...events.slice(1), e] : [...events, e] });
        if (e.type !== 'progress') refreshSoon();
      },
    });
    api.open('usage', { periodMs: 1000 }, { onItem: onUsage });
    void useStore.getState().refresh();
  };
  api.onStatus((connected) => {
    useStore.setState({ connected });
    if (connected) open();
  });
  // No periodic refresh: changes made by other processes (the CLI, another window,
  // a VM that died) arrive as events through the store's event feed.
}
