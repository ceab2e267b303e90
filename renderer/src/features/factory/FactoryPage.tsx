import { useCallback, useEffect, useState } from 'react';
import type { FactoryStatus, VesselError } from '../../../../core/contract/index.js';
import { api } from '../../api/client.js';
import { useStore } from '../../store.js';

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0)} MiB`;
}

function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/** The VM factory: templates on/off, the templates with their hits, builds under way, why requests fell back. */
export function FactoryPage() {
  const { notify } = useStore();
  const [status, setStatus] = useState<FactoryStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const load = useCallback(async () => {
    try {
      setStatus(await api.call('factory.status', {}));
    } catch (err) {
      notify('error', `factory status: ${(err as VesselError).message}`);
    }
  }, [notify]);
  useEffect(() => {
    void load();
    // A template build runs in its own process: follow it while one is under way.
    const timer = setInterval(() => void load(), 2_000);
    return () => clearInterval(timer);
  }, [load]);
  const toggle = async (enabled: boolean) => {
    setBusy(true);
    try {
      setStatus(await api.call('factory.setTemplates', { enabled, build: enabled }));
      notify('ok', enabled ? 'templates on: building the default sandbox\'s template in the background' : 'templates off');
    } catch (err) {
      notify('error', (err as VesselError).message);
    } finally {
      setBusy(false);
    }
  };
  const applyPool = async (size: number) => {
    setBusy(true);
    try {
      setStatus(await api.call('factory.setCache', { size }));
      notify('ok', size === 0 ? 'warm pool off: its VMs were stopped' : `warm pool of ${size} VM(s): filling in the background`);
    } catch (err) {
      notify('error', (err as VesselError).message);
    } finally {
      setBusy(false);
    }
  };
  if (!status) return <section className="page"><h1>VM factory</h1><p className="sub">loading…</p></section>;
  return (
    <section className="page" aria-labelledby="factory-title">
      <header className="page-head">
        <h1 id="factory-title">VM factory</h1>
        <label className="switch">
          <input type="checkbox" checked={status.enableTemplate} disabled={busy} onChange={(e) => void toggle(e.target.checked)} aria-describedby="factory-what" />
          {' '}Create sandboxes from templates
        </label>
      </header>
      <p id="factory-what" className="sub">
        A template is a booted, paused VM saved to files; a new sandbox maps its memory copy-on-write and is made unique (new RNG seed, clock, machine-id) instead of booting.
        Clones share memory pages with their template: a side channel between sandboxes of the same user — keep templates off for workloads that must not trust each other.
      </p>
      <div className="cols">
        <section className="card" aria-labelledby="factory-stats">
          <h2 id="factory-stats">Requests</h2>
          <dl className="kv">
            <div><dt>Sandboxes created</dt><dd>{status.requests}</dd></div>
            <div><dt>From a template</dt><dd>{status.hits.template ?? 0}</dd></div>
            <div><dt>Cold boots</dt><dd>{status.hits.direct ?? 0}</dd></div>
            <div><dt>Hit rate</dt><dd>{status.hitRate === null ? '–' : `${Math.round(status.hitRate * 100)} %`}</dd></div>
            <div><dt>Template path</dt><dd className="mono">{status.templatePath}</dd></div>
            <div><dt>From the VM cache</dt><dd>{status.hits.cache ?? 0}</dd></div>
          </dl>
        </section>
        <WarmPool status={status} busy={busy} onApply={(n) => void applyPool(n)} />
        <section className="card" aria-labelledby="factory-fallbacks">
          <h2 id="factory-fallbacks">Last fallbacks</h2>
          {status.lastFallbacks.length === 0 ? <p className="sub">none</p> : (
            <ul className="plain">{status.lastFallbacks.map((f) => <li key={f.at}><span className="sub">{new Date(f.at).toLocaleTimeString()}</span> {f.reason}</li>)}</ul>
          )}
        </section>
      </div>
      <section className="card" aria-labelledby="factory-templates">
        <h2 id="factory-templates">Templates</h2>
        {status.building.map((b) => (
          <div key={b} className="progress" role="status" aria-label={`building template ${b.slice(0, 12)}`}>
            <div className="bar" aria-hidden="true"><div /></div>
            building template {b.slice(0, 12)}… (boots a VM once; sandboxes boot cold meanwhile)
          </div>
        ))}
        {status.templates.length === 0 ? <p className="sub">no templates yet</p> : (
          <table className="grid">
            <thead><tr><th>Hash</th><th>VM</th><th>Age</th><th>Size</th><th>Hits</th><th>Built in</th></tr></thead>
            <tbody>
              {status.templates.map((t) => (
                <tr key={t.hash}>
                  <td className="mono" title={t.hash}>{t.hash.slice(0, 12)}</td>
                  <td>{t.vcpus} vCPU, {t.memoryMiB} MiB</td>
                  <td>{age(t.ageSeconds)}</td>
                  <td>{mib(t.sizeBytes)} RAM + {(t.stateBytes / 1024).toFixed(0)} KiB state</td>
                  <td>{t.hits}</td>
                  <td>{(t.buildMs / 1000).toFixed(1)} s</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {status.foreignEntries.length > 0 ? <p className="sub">not templates, left alone: {status.foreignEntries.join(', ')}</p> : null}
      </section>
    </section>
  );
}

/** The warm pool (the VM cache server): its size, what it holds now, and why it holds less under memory pressure. */
function WarmPool({ status, busy, onApply }: { status: FactoryStatus; busy: boolean; onApply: (size: number) => void }) {
  const [size, setSize] = useState(String(status.vmCacheNumber));
  const [edited, setEdited] = useState(false);
  useEffect(() => {
    if (!edited) setSize(String(status.vmCacheNumber));
  }, [status.vmCacheNumber, edited]);
  const n = Number(size);
  const valid = /^\d+$/.test(size) && n <= 64;
  const ready = status.cache.vms.filter((v) => v.state === 'ready').length;
  const booting = status.cache.vms.some((v) => v.state === 'booting');
  return (
    <section className="card" aria-labelledby="factory-pool">
      <h2 id="factory-pool">Warm pool</h2>
      <p className="sub">Paused VMs kept ready for new sandboxes{status.enableTemplate ? ' (template clones, warmed)' : ''}; each one holds its memory until it is taken. The pool gives VMs back while the host is short of memory and keeps running when Vessel closes (0 stops it).</p>
      <form className="inline-form" onSubmit={(e) => { e.preventDefault(); if (valid) { setEdited(false); onApply(n); } }}>
        <label htmlFor="pool-size">VMs to keep</label>
        <input id="pool-size" type="number" min={0} max={64} value={size} aria-invalid={!valid} aria-describedby="pool-state"
          onChange={(e) => { setSize(e.target.value); setEdited(true); }} className="narrow" />
        <button type="submit" disabled={busy || !valid || (n === status.vmCacheNumber && !edited)}>Apply</button>
        {!valid ? <span className="error" role="alert">0 to 64</span> : null}
      </form>
      <dl className="kv" id="pool-state">
        <div><dt>Server</dt><dd>{status.cache.running ? `running (pid ${status.cache.pid ?? '?'})` : 'not running'}</dd></div>
        {status.cache.running ? (
          <div><dt>Ready</dt><dd>{ready} of {status.cache.target ?? status.vmCacheNumber}{booting ? ', one booting' : ''}</dd></div>
        ) : null}
        {status.cache.pressure ? <div><dt>Memory</dt><dd className="warn" role="status">{status.cache.pressure}</dd></div> : null}
        {status.cache.failures.slice(0, 3).map((f) => <div key={f}><dt>Boot failed</dt><dd className="sub">{f}</dd></div>)}
      </dl>
    </section>
  );
}
