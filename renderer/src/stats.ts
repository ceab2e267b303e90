import { create } from 'zustand';
import type { SandboxStats } from '../../core/contract/index.js';
import { api, type StreamHandle } from './api/client.js';

/**
 * Per-sandbox stats history, sampled at 1 Hz from the core's stats stream.
 * Kept for 15 minutes (the charts show at least 5) and kept across page
 * switches; the stream runs while someone watches (refcounted).
 */

export const HISTORY_SECONDS = 15 * 60;

export interface Series {
  t: number[]; // unix seconds
  cpu: number[]; // % of one host CPU used by the hypervisor process
  rssMiB: number[];
  /** Host memory as PSS (shared pages split between the VMs sharing them); RSS where PSS is unknown. */
  pssMiB: number[];
  containerMemMiB: number[];
  pids: number[];
  readKiBs: number[];
  writeKiBs: number[];
  /** All NICs, guest side when the agent answers, else the host's tap. */
  netRxKiBs: number[];
  netTxKiBs: number[];
}

interface Tracker {
  watchers: number;
  stream: StreamHandle | null;
  last: SandboxStats | null;
}

const trackers = new Map<string, Tracker>();
const histories = new Map<string, Series>();

/** Bumped on every sample so charts redraw. */
export const useStatsVersion = create<{ version: Record<string, number>; latest: Record<string, SandboxStats> }>(() => ({ version: {}, latest: {} }));

function empty(): Series {
  return { t: [], cpu: [], rssMiB: [], pssMiB: [], containerMemMiB: [], pids: [], readKiBs: [], writeKiBs: [], netRxKiBs: [], netTxKiBs: [] };
}

export function historyOf(sandboxId: string): Series {
  let h = histories.get(sandboxId);
  if (!h) {
    h = empty();
    histories.set(sandboxId, h);
  }
  return h;
}

function sumBlk(s: SandboxStats, key: 'readBytes' | 'writeBytes'): number {
  let n = 0;
  for (const c of s.containers) for (const b of c.blkio) n += b[key];
  return n;
}

function sumNet(s: SandboxStats, key: 'rxBytes' | 'txBytes'): number {
  let n = 0;
  for (const nic of s.networks ?? []) n += (nic.guest ?? nic.host)?.[key] ?? 0;
  return n;
}

function record(sandboxId: string, tracker: Tracker, s: SandboxStats): void {
  const prev = tracker.last;
  tracker.last = s;
  const h = historyOf(sandboxId);
  const t = Date.parse(s.at) / 1000;
  const dt = prev ? t - Date.parse(prev.at) / 1000 : 0;
  const cpu = prev && s.host && prev.host && dt > 0 ? Math.max(0, ((s.host.cpuNs - prev.host.cpuNs) / 1e9 / dt) * 100) : 0;
  const rate = (key: 'readBytes' | 'writeBytes') => (prev && dt > 0 ? Math.max(0, (sumBlk(s, key) - sumBlk(prev, key)) / 1024 / dt) : 0);
  h.t.push(t);
  h.cpu.push(cpu);
  h.rssMiB.push(s.host ? s.host.rssBytes / 1048576 : 0);
  h.pssMiB.push(s.host ? (s.host.memory?.pssBytes ?? s.host.rssBytes) / 1048576 : 0);
  h.containerMemMiB.push(s.containers.reduce((n, c) => n + c.memory.usage, 0) / 1048576);
  h.pids.push(s.containers.reduce((n, c) => n + c.pids.current, 0));
  h.readKiBs.push(rate('readBytes'));
  h.writeKiBs.push(rate('writeBytes'));
  const netRate = (key: 'rxBytes' | 'txBytes') => (prev && dt > 0 ? Math.max(0, (sumNet(s, key) - sumNet(prev, key)) / 1024 / dt) : 0);
  h.netRxKiBs.push(netRate('rxBytes'));
  h.netTxKiBs.push(netRate('txBytes'));
  if (h.t.length > HISTORY_SECONDS) for (const k of Object.keys(h) as Array<keyof Series>) h[k].splice(0, h[k].length - HISTORY_SECONDS);
  useStatsVersion.setState((st) => ({ version: { ...st.version, [sandboxId]: (st.version[sandboxId] ?? 0) + 1 }, latest: { ...st.latest, [sandboxId]: s } }));
}

function start(sandboxId: string, tracker: Tracker): void {
  tracker.stream = api.open('stats', { sandboxId, periodMs: 1000 }, {
    onItem: (s) => record(sandboxId, tracker, s),
    onEnd: () => {
      tracker.stream = null;
    },
    onError: () => {
      tracker.stream = null;
    },
  });
}

/** Watch a sandbox's stats; returns the unwatch function. */
export function watchStats(sandboxId: string): () => void {
  let tracker = trackers.get(sandboxId);
  if (!tracker) {
    tracker = { watchers: 0, stream: null, last: null };
    trackers.set(sandboxId, tracker);
  }
  const t = tracker;
  t.watchers++;
  if (!t.stream) start(sandboxId, t);
  // A stream that ended (sandbox stopped) is retried while watched.
  const retry = setInterval(() => {
    if (!t.stream && t.watchers > 0) start(sandboxId, t);
  }, 5000);
  return () => {
    clearInterval(retry);
    t.watchers--;
    if (t.watchers === 0) {
      t.stream?.close();
      t.stream = null;
    }
  };
}
