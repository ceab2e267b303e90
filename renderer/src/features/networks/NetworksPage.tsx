import { useCallback, useEffect, useRef, useState } from 'react';
import type { NetworkInfo, VesselError } from '../../../../core/contract/index.js';
import { api } from '../../api/client.js';
import { useStore } from '../../store.js';
import { validateNetworkForm, type NetworkForm } from './validate.js';

const EMPTY: NetworkForm = { name: '', driver: 'bridge', subnet: '', gateway: '', parent: '', internal: false, model: 'tcfilter' };

function CreateNetworkDialog({ open, onClose, taken, onCreated }: { open: boolean; onClose: () => void; taken: string[]; onCreated: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [form, setForm] = useState<NetworkForm>(EMPTY);
  const [touched, setTouched] = useState<Partial<Record<keyof NetworkForm, boolean>>>({});
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      setForm(EMPTY);
      setTouched({});
      setFailure(null);
      d.showModal();
    } else if (!open && d.open) d.close();
  }, [open]);
  const errors = validateNetworkForm(form, taken);
  const set = <K extends keyof NetworkForm>(k: K, v: NetworkForm[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    setTouched((t) => ({ ...t, [k]: true }));
  };
  const shown = (k: keyof NetworkForm): string | undefined => (touched[k] ? errors[k] : undefined);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setTouched({ name: true, subnet: true, gateway: true, parent: true });
    if (Object.keys(errors).length || busy) return;
    setBusy(true);
    setFailure(null);
    api.call('network.create', {
      name: form.name.trim(), driver: form.driver, internal: form.internal, model: form.model,
      ...(form.subnet.trim() ? { subnet: form.subnet.trim() } : {}),
      ...(form.gateway.trim() ? { gateway: form.gateway.trim() } : {}),
      ...(form.driver === 'macvlan' ? { parent: form.parent.trim() } : {}),
    }).then(() => { setBusy(false); onCreated(); onClose(); }, (err: VesselError) => { setBusy(false); setFailure(`${err.code}: ${err.message}`); });
  };
  const field = (k: keyof NetworkForm, label: string, input: React.ReactNode, hint?: string) => (
    <div className={`field${shown(k) ? ' invalid' : ''}`}>
      <label htmlFor={`net-${k}`}>{label}</label>
      {input}
      {shown(k) ? <div id={`net-${k}-error`} className="field-error" role="alert">{shown(k)}</div> : hint ? <div className="hint">{hint}</div> : null}
    </div>
  );
  const aria = (k: keyof NetworkForm) => ({ id: `net-${k}`, 'aria-invalid': Boolean(shown(k)), 'aria-describedby': shown(k) ? `net-${k}-error` : undefined, disabled: busy });
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="net-create-title" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <h2 id="net-create-title">New network</h2>
        <div className="form-grid">
          {field('name', 'Name', <input {...aria('name')} value={form.name} onChange={(e) => set('name', e.target.value)} placeholder="lab" autoFocus />, 'lowercase letters, digits, _ -')}
          {field('driver', 'Driver', <select {...aria('driver')} value={form.driver} onChange={(e) => set('driver', e.target.value as NetworkForm['driver'])}><option value="bridge">bridge (NAT)</option><option value="macvlan">macvlan</option></select>)}
          {field('subnet', 'Subnet', <input {...aria('subnet')} value={form.subnet} onChange={(e) => set('subnet', e.target.value)} placeholder="10.90.0.0/24" />, 'empty: a free /24')}
          {field('gateway', 'Gateway', <input {...aria('gateway')} value={form.gateway} onChange={(e) => set('gateway', e.target.value)} placeholder="first address" />)}
          {form.driver === 'macvlan' ? field('parent', 'Parent interface', <input {...aria('parent')} value={form.parent} onChange={(e) => set('parent', e.target.value)} placeholder="eth0" />) : null}
          {field('model', 'Model', <select {...aria('model')} value={form.model} onChange={(e) => set('model', e.target.value as NetworkForm['model'])}><option value="tcfilter">tcfilter (tap + tc redirect)</option><option value="macvtap">macvtap</option></select>)}
          <div className="field"><label><input type="checkbox" checked={form.internal} onChange={(e) => set('internal', e.target.checked)} disabled={busy} /> Internal (no NAT)</label></div>
        </div>
        {failure ? <p className="error" role="alert">{failure}</p> : null}
        <div className="actions">
          <button type="button" onClick={onClose} disabled={busy}>Cancel</button>
          <button type="submit" className="primary" disabled={busy}>{busy ? 'Creating…' : 'Create network'}</button>
        </div>
      </form>
    </dialog>
  );
}

function DeleteNetworkDialog({ network, onClose, onDeleted }: { network: NetworkInfo | null; onClose: () => void; onDeleted: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (network && !d.open) { setFailure(null); d.showModal(); } else if (!network && d.open) d.close();
  }, [network]);
  const inUse = (network?.sandboxes.length ?? 0) > 0;
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="net-delete-title" onClose={onClose}>
      <h2 id="net-delete-title">Delete network {network?.name}?</h2>
      {inUse ? <p className="error" role="alert">{network?.sandboxes.length} sandbox(es) use it: delete or disconnect them first.</p> : <p>Its bridge and address leases are removed.</p>}
      {failure ? <p className="error" role="alert">{failure}</p> : null}
      <div className="actions">
        <button type="button" onClick={onClose}>Cancel</button>
        <button type="button" className="danger" disabled={inUse || busy} onClick={() => {
          if (!network) return;
          setBusy(true);
          api.call('network.delete', { name: network.name }).then(() => { setBusy(false); onDeleted(); onClose(); }, (e: VesselError) => { setBusy(false); setFailure(`${e.code}: ${e.message}`); });
        }}>Delete</button>
      </div>
    </dialog>
  );
}

export function NetworksPage() {
  const { sandboxes, navigate } = useStore();
  const [networks, setNetworks] = useState<NetworkInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<NetworkInfo | null>(null);
  const reload = useCallback(() => {
    api.call('network.list', {}).then((n) => { setNetworks(n); setError(null); }, (e: VesselError) => setError(`${e.code}: ${e.message}`));
  }, []);
  useEffect(() => {
    reload();
    const t = setInterval(reload, 5000);
    return () => clearInterval(t);
  }, [reload]);
  const nameOf = (id: string): string => sandboxes.find((s) => s.id === id)?.name ?? id.slice(0, 12);
  return (
    <section className="page" aria-labelledby="networks-title">
      <header className="page-head">
        <h1 id="networks-title">Networks</h1>
        <div className="spacer" />
        <button className="primary" onClick={() => setCreating(true)}>New network</button>
      </header>
      {error ? <p className="error" role="alert">{error}</p> : null}
      {networks === null ? <p className="sub">Loading…</p> : networks.length === 0 ? <p className="sub">No networks yet.</p> : (
        <table className="grid" aria-label="networks">
          <thead><tr><th>Name</th><th>Driver</th><th>Subnet</th><th>Gateway</th><th>Interface</th><th>Sandboxes</th><th>Actions</th></tr></thead>
          <tbody>
            {networks.map((n) => (
              <tr key={n.name} data-network={n.name}>
                <td>{n.name}{n.isDefault ? <span className="sub"> (default)</span> : null}</td>
                <td>{n.driver}{n.internal ? ' · internal' : ''}{n.model === 'macvtap' ? ' · macvtap' : ''}</td>
                <td className="mono">{n.subnet}</td>
                <td className="mono">{n.gateway}</td>
                <td className="mono">{n.hostInterface}</td>
                <td>{n.sandboxes.length === 0 ? <span className="sub">none</span> : n.sandboxes.map((id) => (
                  <button key={id} className="link" onClick={() => navigate({ page: 'sandbox', id })}>{nameOf(id)}</button>
                ))}</td>
                <td><button className="danger" aria-label={`delete network ${n.name}`} onClick={() => setDeleting(n)}>Delete</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <CreateNetworkDialog open={creating} onClose={() => setCreating(false)} taken={(networks ?? []).map((n) => n.name)} onCreated={reload} />
      <DeleteNetworkDialog network={deleting} onClose={() => setDeleting(null)} onDeleted={reload} />
    </section>
  );
}
