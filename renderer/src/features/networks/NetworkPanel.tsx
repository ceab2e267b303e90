// The sandbox page's Network panel: its NICs (with host and guest counters),
// forwarded ports (add/remove live), and connect/disconnect a network live.
import { useEffect, useState } from 'react';
import type { NetworkInfo, NicStats, SandboxStatus, VesselError } from '../../../../core/contract/index.js';
import { api } from '../../api/client.js';
import { formatBytes } from '../../format.js';
import { useStatsVersion } from '../../stats.js';
import { useStore } from '../../store.js';
import { parsePortForm, type PortForm } from './validate.js';

function counters(n: NicStats | undefined, side: 'host' | 'guest'): string {
  const c = n?.[side];
  return c ? `↓ ${formatBytes(c.rxBytes)} · ↑ ${formatBytes(c.txBytes)}${c.rxErrors + c.txErrors + c.rxDropped + c.txDropped ? ` · ${c.rxErrors + c.txErrors} err ${c.rxDropped + c.txDropped} drop` : ''}` : '–';
}

export function NetworkPanel({ sandbox, reload }: { sandbox: SandboxStatus; reload: () => void }) {
  const net = sandbox.network;
  const notify = useStore((s) => s.notify);
  const stats = useStatsVersion((s) => s.latest[sandbox.id]?.networks);
  const [networks, setNetworks] = useState<NetworkInfo[]>([]);
  const [target, setTarget] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [port, setPort] = useState<PortForm>({ hostPort: '', containerPort: '', protocol: 'tcp' });
  const [portTouched, setPortTouched] = useState(false);
  useEffect(() => {
    api.call('network.list', {}).then(setNetworks, () => setNetworks([]));
  }, [sandbox.id, net?.nics.length]);
  if (!net) return (
    <section aria-labelledby="network-title"><h2 id="network-title">Network</h2><p className="sub">Loopback only.</p></section>
  );
  const live = sandbox.state === 'running' || sandbox.state === 'ready';
  const attached = new Set(net.nics.map((n) => n.network));
  const candidates = networks.filter((n) => !attached.has(n.name));
  const run = (label: string, fn: () => Promise<unknown>) => {
    setBusy(label);
    setFailure(null);
    fn().then(() => { setBusy(null); notify('ok', `${label}: done`); reload(); }, (e: VesselError) => { setBusy(null); setFailure(`${e.code}: ${e.message}`); });
  };
  const parsed = parsePortForm(port);
  const portErr = portTouched ? parsed.errors : {};
  // slirp changes forwards live; passt only while the VM is down (they apply at the next start); bridge networks through CNI portmap.
  const passt = net.datapath.includes('passt');
  const slirp = net.datapath.includes('slirp');
  const canEditPorts = passt ? sandbox.state === 'stopped' : slirp || (net.nics.some((n) => n.model === 'tcfilter' || n.model === 'macvtap') && Boolean(net.netns));
  const portsHint = passt && sandbox.state !== 'stopped'
    ? "passt fixes its forwards when it starts: stop the sandbox to change them (they are kept for the next start), or create it with --network user:slirp for live changes"
    : !canEditPorts ? 'Port forwards need a bridge network or user-mode networking.' : null;
  return (
    <section aria-labelledby="network-title">
      <h2 id="network-title">Network <span className="sub">{net.mode} · {net.datapath}</span></h2>
      <p className="sub">{net.reason}{net.dns.length ? ` · DNS: ${net.dns.join('; ')}` : ''}</p>
      {net.nics.length === 0 ? <p className="sub">No NICs (--network none).</p> : (
        <table className="grid" aria-label="network interfaces">
          <thead><tr><th>NIC</th><th>MAC</th><th>IP addresses</th><th>Endpoint</th><th>Network</th><th>Host (tap)</th><th>Guest</th><th>Actions</th></tr></thead>
          <tbody>
            {net.nics.map((n) => {
              const s = stats?.find((x) => x.id === n.id);
              return (
                <tr key={n.id} data-nic={n.id}>
                  <td>{n.guestName}<div className="sub mono">{n.id}{n.hotplugged ? ' · hot-plugged' : ''}</div></td>
                  <td className="mono">{n.mac}</td>
                  <td className="mono" data-testid={`nic-ips-${n.id}`}>{n.ips.join(', ') || '–'}{n.gateway ? <div className="sub">via {n.gateway}</div> : null}</td>
                  <td>{n.endpointType} / {n.model}{n.hostInterface ? <div className="sub mono">{n.hostInterface}</div> : null}</td>
                  <td>{n.network}</td>
                  <td className="sub">{counters(s, 'host')}</td>
                  <td className="sub">{counters(s, 'guest')}</td>
                  <td className="actions-cell">
                    {n.id !== 'net0' ? <button disabled={!live || busy !== null} aria-label={`disconnect ${n.network}`} onClick={() => run(`Disconnecting ${n.network}`, () => api.call('network.disconnect', { sandboxId: sandbox.id, network: n.network }))}>Disconnect</button> : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {net.netns ? (
        <form className="inline-form" onSubmit={(e) => { e.preventDefault(); if (target) run(`Connecting ${target}`, () => api.call('network.connect', { sandboxId: sandbox.id, network: target })); }}>
          <label htmlFor="connect-network">Connect a network</label>
          <select id="connect-network" value={target} onChange={(e) => setTarget(e.target.value)} disabled={!live || busy !== null}>
            <option value="">choose…</option>
            {candidates.map((n) => <option key={n.name} value={n.name}>{n.name} ({n.subnet})</option>)}
          </select>
          <button type="submit" disabled={!live || !target || busy !== null}>Connect</button>
        </form>
      ) : null}
      {busy ? <div className="progress" role="status" aria-live="polite" aria-label="network progress"><div className="bar" aria-hidden="true"><div /></div>{busy}…</div> : null}
      {failure ? <p className="error" role="alert">{failure}</p> : null}
      <h3>Forwarded ports</h3>
      {portsHint ? <p className="sub" data-testid="ports-hint">{portsHint}</p> : null}
      {net.ports.length === 0 ? <p className="sub">None.</p> : (
        <ul className="ports" aria-label="forwarded ports">
          {net.ports.map((p) => (
            <li key={`${p.protocol}:${p.hostPort}`}>
              <span className="mono">{p.hostIp}:{p.hostPort} → {p.containerPort}/{p.protocol}</span>{' '}
              <button disabled={!canEditPorts || busy !== null} aria-label={`remove port ${p.hostPort}`} onClick={() => run(`Removing port ${p.hostPort}`, () => api.call('port.remove', { sandboxId: sandbox.id, port: p }))}>Remove</button>
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" noValidate onSubmit={(e) => {
        e.preventDefault();
        setPortTouched(true);
        const p = parsed.port;
        if (p) run(`Forwarding port ${p.hostPort}`, () => api.call('port.add', { sandboxId: sandbox.id, port: p }).then((r) => { setPort({ hostPort: '', containerPort: '', protocol: 'tcp' }); setPortTouched(false); return r; }));
      }}>
        <label htmlFor="port-host">127.0.0.1 port</label>
        <input id="port-host" inputMode="numeric" style={{ width: 90 }} value={port.hostPort} aria-invalid={Boolean(portErr.hostPort)} onChange={(e) => setPort({ ...port, hostPort: e.target.value })} disabled={!canEditPorts} />
        <label htmlFor="port-container">→ container port</label>
        <input id="port-container" inputMode="numeric" style={{ width: 90 }} value={port.containerPort} aria-invalid={Boolean(portErr.containerPort)} onChange={(e) => setPort({ ...port, containerPort: e.target.value })} disabled={!canEditPorts} />
        <select aria-label="protocol" value={port.protocol} onChange={(e) => setPort({ ...port, protocol: e.target.value as 'tcp' | 'udp' })} disabled={!canEditPorts}><option>tcp</option><option>udp</option></select>
        <button type="submit" disabled={!canEditPorts || busy !== null}>Add port</button>
        {portErr.hostPort || portErr.containerPort ? <span className="field-error" role="alert">{portErr.hostPort ?? portErr.containerPort}</span> : null}
      </form>
    </section>
  );
}
