import { create } from 'zustand';
import type { ImageSummary, PullProgress, VesselError } from '../../../../core/contract/index.js';
import { api, type StreamHandle } from '../../api/client.js';

/** The Images feature's slice: local images, and pulls in flight (one per reference). */

export interface Pull {
  reference: string;
  progress: PullProgress | null;
  error: string | null;
  done: boolean;
  handle: StreamHandle | null;
}

interface ImagesState {
  images: ImageSummary[];
  loaded: boolean;
  error: string | null;
  pulls: Pull[];
  refresh(): Promise<void>;
  pull(reference: string, options: { platform?: string; insecure?: boolean }): void;
  cancel(reference: string): void;
  dismissPull(reference: string): void;
}

export const useImages = create<ImagesState>((set, get) => ({
  images: [],
  loaded: false,
  error: null,
  pulls: [],
  refresh: async () => {
    try {
      set({ images: await api.call('image.list', {}), loaded: true, error: null });
    } catch (err) {
      set({ error: (err as VesselError).message, loaded: true });
    }
  },
  pull: (reference, options) => {
    const update = (patch: Partial<Pull>): void => set({ pulls: get().pulls.map((p) => (p.reference === reference ? { ...p, ...patch } : p)) });
    const existing = get().pulls.find((p) => p.reference === reference);
    if (existing && !existing.done && !existing.error) return;
    set({ pulls: [...get().pulls.filter((p) => p.reference !== reference), { reference, progress: null, error: null, done: false, handle: null }] });
    const handle = api.open('pull', { reference, ...options }, {
      onItem: (item) => {
        if (item.kind === 'progress') update({ progress: item.progress });
        else {
          update({ done: true, handle: null });
          void get().refresh();
        }
      },
      onError: (err) => {
        update({ error: `${err.code}: ${err.message}`, handle: null });
        void get().refresh();
      },
    });
    update({ handle });
  },
  cancel: (reference) => {
    const p = get().pulls.find((x) => x.reference === reference);
    p?.handle?.close();
    set({ pulls: get().pulls.map((x) => (x.reference === reference ? { ...x, handle: null, error: 'cancelled; pull again to resume from what was fetched' } : x)) });
  },
  dismissPull: (reference) => set({ pulls: get().pulls.filter((p) => p.reference !== reference) }),
}));
