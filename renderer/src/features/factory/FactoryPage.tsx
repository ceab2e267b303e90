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
            <div><dt>VM cache</dt><dd>{status.cache.running
              ? `server pid ${status.cache.pid ?? '?'}: ${status.cache.vms.filter((v) => v.state === 'ready').length} of ${status.vmCacheNumber} VM(s) ready${status.cache.vms.some((v) => v.state === 'booting') ? ', one booting' : ''}`
              : `${status.vmCacheNumber} configured — no cache server running (vessel factory init --cache N)`}</dd></div>
            {status.cache.failures.slice(0, 3).map((f) => <div key={f}><dt>Cache boot failed</dt><dd className="sub">{f}</dd></div>)}
          </dl>
        </section>
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
