import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { SandboxState, type SandboxSummary } from '../../../core/contract/index.js';
import { api } from '../api/client.js';
import { act, useStore } from '../store.js';
import { formatDuration, formatMiB, shortId } from '../format.js';
import { Sparkline } from './Sparkline.js';
import { StateBadge } from './StateBadge.js';

/** Re-render once a second for uptimes. */
function useNow(periodMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(t);
  }, [periodMs]);
  return now;
}

const EMPTY: number[] = [];

/** Rows have a fixed height so the list can render only what is on screen (plus a margin). */
export const ROW_HEIGHT = 52;
const OVERSCAN = 12;

/** Which rows of the list are on screen, from the scroll position of the page's scroll container. */
function useWindow(table: React.RefObject<HTMLTableElement | null>, total: number): { start: number; end: number } {
  const [range, setRange] = useState({ start: 0, end: 40 });
  useLayoutEffect(() => {
    const el = table.current;
    const scroller = el?.closest('.main');
    if (!el || !scroller) return;
    const update = () => {
      const head = el.tHead?.getBoundingClientRect().height ?? 0;
      const offset = scroller.getBoundingClientRect().top - el.getBoundingClientRect().top - head;
      const start = Math.max(0, Math.floor(offset / ROW_HEIGHT) - OVERSCAN);
      const end = Math.min(total, start + Math.ceil(scroller.clientHeight / ROW_HEIGHT) + 2 * OVERSCAN);
      setRange((r) => (r.start === start && r.end === end ? r : { start, end }));
    };
    update();
    scroller.addEventListener('scroll', update, { passive: true });
    window.addEventListener('resize', update);
    return () => {
      scroller.removeEventListener('scroll', update);
      window.removeEventListener('resize', update);
    };
  }, [table, total]);
  return range;
}

const Row = memo(function Row({ s, cpu, net, selected, now, index }: { s: SandboxSummary; cpu: number[]; net: number[]; selected: boolean; now: number; index: number }) {
  const navigate = useStore((st) => st.navigate);
  const toggle = useStore((st) => st.toggleSelected);
  const uptime = s.state === 'running' || s.state === 'paused' ? (s.startedAt ? formatDuration(now - Date.parse(s.startedAt)) : '–') : '–';
  return (
    <tr aria-selected={selected} aria-rowindex={index + 2} className={`row${selected ? ' selected' : ''}`} data-sandbox={s.name}>
      <td className="check">
        <input type="checkbox" checked={selected} onChange={(e) => toggle(s.id, e.target.checked)} aria-label={`select ${s.name}`} />
      </td>
      <td>
        <button className="link" onClick={() => navigate({ page: 'sandbox', id: s.id })} aria-label={`open sandbox ${s.name}`}>
          {s.name}
        </button>
        <div className="sub mono">{shortId(s.id)}</div>
      </td>
      <td><StateBadge state={s.state} /></td>
      <td>{s.hypervisor}{s.accel ? <span className="sub"> · {s.accel}</span> : null}</td>
      <td className="num">{s.vcpus}</td>
      <td className="num">{formatMiB(s.memoryMiB)}</td>
      <td className="num">{uptime}</td>
      <td className="num">{s.containerCount}</td>
      <td className="spark"><Sparkline values={cpu} label={`CPU of ${s.name}`} /></td>
      <td className="spark">{s.network?.netns ? <Sparkline values={net} label={`network KiB/s of ${s.name}`} /> : <span className="sub">{s.network?.mode ?? '–'}</span>}</td>
    </tr>
  );
});

export function SandboxList() {
  const { sandboxes, loaded, listError, cpu, net, filterText, filterState, selected, setFilter, selectOnly, setCreateOpen } = useStore();
  const now = useNow();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const visible = useMemo(() => {
    const text = filterText.trim().toLowerCase();
    return sandboxes.filter((s) => (filterState === 'all' || s.state === filterState) && (!text || s.name.toLowerCase().includes(text) || s.id.startsWith(text)));
  }, [sandboxes, filterText, filterState]);
  const selectedIds = Object.keys(selected);
  const table = useRef<HTMLTableElement>(null);
  const { start, end } = useWindow(table, visible.length);
  const allVisibleSelected = visible.length > 0 && visible.every((s) => selected[s.id]);

  const bulk = async (verb: 'stop' | 'delete') => {
    const ids = [...selectedIds];
    setConfirmDelete(false);
    await act(`${verb === 'stop' ? 'Stopping' : 'Deleting'} ${ids.length} sandbox${ids.length === 1 ? '' : 'es'}`, async () => {
      const results = await Promise.allSettled(ids.map((id) => (verb === 'stop' ? api.call('sandbox.stop', { id }) : api.call('sandbox.delete', { id, force: true }))));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length > 0) throw failed[0]?.reason;
    });
    if (verb === 'delete') selectOnly([]);
  };

  return (
    <section className="page" aria-labelledby="sandboxes-title">
      <header className="page-head">
        <h1 id="sandboxes-title">Sandboxes</h1>
        <div className="spacer" />
        <button className="primary" onClick={() => setCreateOpen(true)}>New sandbox</button>
      </header>

      <div className="toolbar" role="toolbar" aria-label="sandbox list tools">
        <input type="search" placeholder="Filter by name or ID" value={filterText} onChange={(e) => setFilter(e.target.value, filterState)} aria-label="filter by name" />
        <select value={filterState} onChange={(e) => setFilter(filterText, e.target.value as SandboxState | 'all')} aria-label="filter by state">
          <option value="all">all states</option>
          {SandboxState.options.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
        <div className="spacer" />
        <span className="sub" aria-live="polite">{selectedIds.length > 0 ? `${selectedIds.length} selected` : `${visible.length} of ${sandboxes.length}`}</span>
        <button disabled={selectedIds.length === 0} onClick={() => void bulk('stop')}>Stop selected</button>
        {confirmDelete ? (
          <>
            <button className="danger" onClick={() => void bulk('delete')}>Confirm delete ({selectedIds.length})</button>
            <button onClick={() => setConfirmDelete(false)}>Cancel</button>
          </>
        ) : (
          <button className="danger" disabled={selectedIds.length === 0} onClick={() => setConfirmDelete(true)}>Delete selected</button>
        )}
      </div>

      {listError ? <p className="error" role="alert">Cannot list sandboxes: {listError}</p> : null}

      {loaded && sandboxes.length === 0 ? (
        <div className="empty">
          <h2>No sandboxes yet</h2>
          <p>A sandbox is a small virtual machine with its own kernel; containers run inside it.</p>
          <p>Click <strong>New sandbox</strong> to boot one (under software emulation it takes about 15 seconds), or run <code>vessel sandbox run --name demo</code> in a terminal: it shows up here.</p>
          <button className="primary" onClick={() => setCreateOpen(true)}>New sandbox</button>
        </div>
      ) : (
        <table className="grid" aria-label="sandboxes" aria-rowcount={visible.length + 1} ref={table}>
          <thead>
            <tr>
              <th className="check">
                <input type="checkbox" checked={allVisibleSelected} onChange={(e) => selectOnly(e.target.checked ? visible.map((s) => s.id) : [])} aria-label="select all sandboxes" />
              </th>
              <th>Name</th>
              <th>State</th>
              <th>Hypervisor</th>
              <th className="num">vCPUs</th>
              <th className="num">Memory</th>
              <th className="num">Uptime</th>
              <th className="num">Containers</th>
              <th>CPU (60 s)</th>
              <th>Network (60 s)</th>
            </tr>
          </thead>
          <tbody>
            {start > 0 ? <tr aria-hidden="true" style={{ height: start * ROW_HEIGHT }} /> : null}
            {visible.slice(start, end).map((s, i) => <Row key={s.id} index={start + i} s={s} cpu={cpu[s.id] ?? EMPTY} net={net[s.id] ?? EMPTY} selected={Boolean(selected[s.id])} now={now} />)}
            {end < visible.length ? <tr aria-hidden="true" style={{ height: (visible.length - end) * ROW_HEIGHT }} /> : null}
          </tbody>
        </table>
      )}
    </section>
  );
}
