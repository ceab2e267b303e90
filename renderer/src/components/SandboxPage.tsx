import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ContainerStatus, SandboxStats, SandboxStatus, VesselError } from '../../../core/contract/index.js';
import { api } from '../api/client.js';
import { ImagePicker } from '../features/images/ImagePicker.js';
import { act, useStore } from '../store.js';
import { formatBytes, formatDuration, formatMiB, formatTime } from '../format.js';
import { historyOf, useStatsVersion, watchStats } from '../stats.js';
import { closeConsole, copySelection, mountConsole, openConsole, paste, reconnect, setActive, titleFor, useConsoles } from '../consoles.js';
import { Chart } from './Chart.js';
import { NetworkPanel } from '../features/networks/NetworkPanel.js';
import { CheckpointButtons } from '../features/checkpoint/CheckpointButtons.js';
import { StateBadge } from './StateBadge.js';
import { DevicesPanel } from '../features/devices/DevicesPanel.js';

function Dl({ items }: { items: Array<[string, React.ReactNode]> }) {
  return (
    <dl className="kv">
      {items.map(([k, v]) => (
        <div key={k}><dt>{k}</dt><dd>{v}</dd></div>
      ))}
    </dl>
  );
}

/** The sandbox's host memory, honestly: PSS (shared pages split), and what of it is shared. */
function HostMemory({ stats }: { stats: SandboxStats | undefined }) {
  const host = stats?.host;
  if (!host) return null;
  const m = host.memory;
  if (!m) return <p className="sub" data-testid="host-memory">Host memory: {formatBytes(host.rssBytes)} RSS (PSS unavailable)</p>;
  return (
    <p className="sub" data-testid="host-memory" title="PSS: a page shared by N processes counts 1/N to each. RSS counts shared pages in full for every VM.">
      Host memory: <strong>{formatBytes(m.pssBytes)} PSS</strong> ({m.processes} process{m.processes === 1 ? '' : 'es'}) —
      private {formatBytes(m.pssAnonBytes)} (guest RAM in use, QEMU, TCG cache),
      share of shared files {formatBytes(m.pssFileBytes + m.pssShmemBytes)} (guest root image in the host page cache, QEMU binary);
      {' '}{formatBytes(m.sharedBytes)} resident pages shared with other processes; RSS {formatBytes(host.rssBytes)}
    </p>
  );
}

function Charts({ sandboxId }: { sandboxId: string }) {
  useEffect(() => watchStats(sandboxId), [sandboxId]);
  const version = useStatsVersion((s) => s.version[sandboxId] ?? 0);
  const h = historyOf(sandboxId);
  const cpu = useMemo(() => [{ label: 'CPU', color: '#7aa2f7', values: h.cpu }], [h]);
  const mem = useMemo(() => [{ label: 'VM PSS', color: '#9ece6a', values: h.pssMiB }, { label: 'containers', color: '#e0af68', values: h.containerMemMiB }], [h]);
  const latest = useStatsVersion((s) => s.latest[sandboxId]);
  const pids = useMemo(() => [{ label: 'PIDs', color: '#bb9af7', values: h.pids }], [h]);
  const io = useMemo(() => [{ label: 'read', color: '#7dcfff', values: h.readKiBs }, { label: 'write', color: '#f7768e', values: h.writeKiBs }], [h]);
  const netIo = useMemo(() => [{ label: 'rx', color: '#73daca', values: h.netRxKiBs }, { label: 'tx', color: '#ff9e64', values: h.netTxKiBs }], [h]);
  return (
    <section aria-labelledby="charts-title">
      <h2 id="charts-title">Live stats <span className="sub">1 Hz · last 5 minutes</span></h2>
      <div className="charts">
        <Chart title="CPU" unit="%" t={h.t} series={cpu} version={version} />
        <Chart title="Memory" unit=" MiB" t={h.t} series={mem} version={version} />
        <Chart title="Processes" unit="" t={h.t} series={pids} version={version} />
        <Chart title="Block I/O" unit=" KiB/s" t={h.t} series={io} version={version} />
        <Chart title="Network I/O" unit=" KiB/s" t={h.t} series={netIo} version={version} />
      </div>
      <HostMemory stats={latest} />
    </section>
  );
}

function Containers({ sandbox, containers, reload }: { sandbox: SandboxStatus; containers: ContainerStatus[]; reload: () => void }) {
  const live = sandbox.state === 'running';
  const [command, setCommand] = useState('sleep 3600');
  const [image, setImage] = useState('');
  const run = async (e: React.FormEvent) => {
    e.preventDefault();
    const args = command.trim().split(/\s+/).filter(Boolean);
    if (args.length === 0 && !image) return;
    await act(`Running ${args.length ? args.join(' ') : image}`, () => api.call('container.run', { sandboxId: sandbox.id, request: { ...(args.length ? { args } : {}), tty: true, ...(image ? { image } : {}) } }));
    reload();
  };
  const containerAct = async (label: string, fn: () => Promise<unknown>) => {
    await act(label, fn);
    reload();
  };
  const consoleFor = (kind: 'exec' | 'attach', c: ContainerStatus) => {
    const target = { kind, sandboxId: sandbox.id, container: c.id } as const;
    openConsole(target, titleFor(target, c.name));
    useStore.getState().navigate({ page: 'sandbox', id: sandbox.id, tab: 'consoles' });
  };
  return (
    <section aria-labelledby="containers-title">
      <h2 id="containers-title">Containers</h2>
      {containers.length === 0 ? <p className="sub">No containers. Run one below.</p> : (
        <table className="grid" aria-label="containers">
          <thead>
            <tr><th>Name</th><th>State</th><th>Command</th><th className="num">Exit code</th><th>Started</th><th>Actions</th></tr>
          </thead>
          <tbody>
            {containers.map((c) => (
              <tr key={c.id} data-container={c.name}>
                <td>{c.name}<div className="sub mono">{c.id.slice(0, 12)}{c.tty ? ' · tty' : ''}</div></td>
                <td><StateBadge state={c.state} />{c.error ? <div className="sub error-text">{c.error}</div> : null}</td>
                <td className="mono">{c.args.join(' ')}</td>
                <td className="num">{c.exitCode ?? '–'}</td>
                <td>{c.startedAt ? formatTime(c.startedAt) : '–'}</td>
                <td className="actions-cell">
                  <button disabled={!live || c.state !== 'running'} onClick={() => consoleFor('exec', c)} aria-label={`open a shell in ${c.name}`}>Shell</button>
                  <button disabled={!live || c.state === 'stopped'} onClick={() => consoleFor('attach', c)} aria-label={`attach to ${c.name}`}>Attach</button>
                  {c.state === 'created' ? <button onClick={() => void containerAct(`Starting ${c.name}`, () => api.call('container.start', { sandboxId: sandbox.id, container: c.id }))} aria-label={`start ${c.name}`}>Start</button> : null}
                  <button disabled={!live || c.state !== 'running'} onClick={() => void containerAct(`Stopping ${c.name}`, () => api.call('container.stop', { sandboxId: sandbox.id, container: c.id, timeoutMs: 5000 }))} aria-label={`stop ${c.name}`}>Stop</button>
                  <button disabled={!live || c.state !== 'running'} onClick={() => void containerAct(`Killing ${c.name}`, () => api.call('container.kill', { sandboxId: sandbox.id, container: c.id, signal: 'SIGKILL' }))} aria-label={`kill ${c.name}`}>Kill</button>
                  <button className="danger" disabled={!live} onClick={() => void containerAct(`Deleting ${c.name}`, () => api.call('container.delete', { sandboxId: sandbox.id, container: c.id, force: true }))} aria-label={`delete ${c.name}`}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="inline-form" onSubmit={(e) => void run(e)}>
        <label htmlFor="run-image">Run another container from</label>
        <ImagePicker id="run-image" value={image} onChange={(v) => { setImage(v); if (v && command === 'sleep 3600') setCommand(''); }} disabled={!live} />
        <label htmlFor="run-command">command</label>
        <input id="run-command" value={command} onChange={(e) => setCommand(e.target.value)} disabled={!live} placeholder={image ? "the image's own" : 'sh'} />
        <button type="submit" disabled={!live}>Run</button>
      </form>
    </section>
  );
}

function ConsolePane({ consoleKey }: { consoleKey: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => (host.current ? mountConsole(consoleKey, host.current) : undefined), [consoleKey]);
  return <div className="term-pane" ref={host} data-console={consoleKey} />;
}

function Consoles({ sandbox, containers }: { sandbox: SandboxStatus; containers: ContainerStatus[] }) {
  const all = useConsoles((s) => s.consoles);
  const activeKey = useConsoles((s) => s.active[sandbox.id]);
  const mine = all.filter((c) => c.sandboxId === sandbox.id);
  const active = mine.find((c) => c.key === activeKey) ?? mine[mine.length - 1];
  const running = containers.filter((c) => c.state === 'running');
  const live = sandbox.state === 'running';
  return (
    <section aria-labelledby="consoles-title" className="consoles">
      <div className="console-bar">
        <h2 id="consoles-title">Consoles</h2>
        <div role="tablist" aria-label="console sessions" className="tabs">
          {mine.map((c) => (
            <span key={c.key} className={`tab${c === active ? ' active' : ''}`}>
              <button role="tab" aria-selected={c === active} onClick={() => setActive(sandbox.id, c.key)}>
                <span className={`dot dot-${c.status}`} aria-hidden="true" />{c.title}
              </button>
              <button className="icon" onClick={() => closeConsole(c.key)} aria-label={`close ${c.title}`}>×</button>
            </span>
          ))}
        </div>
        <div className="spacer" />
        <button disabled={!live || running.length === 0} onClick={() => { const c = running[0]; if (c) openConsole({ kind: 'exec', sandboxId: sandbox.id, container: c.id }, titleFor({ kind: 'exec', sandboxId: sandbox.id, container: c.id }, c.name)); }}>New shell</button>
        <button disabled={!live || sandbox.hypervisor !== 'qemu'} onClick={() => openConsole({ kind: 'serial', sandboxId: sandbox.id }, 'serial console')}>Serial console</button>
      </div>
      {active ? (
        <div className="console" role="tabpanel" aria-label={active.title}>
          <div className="console-status">
            <span className={`dot dot-${active.status}`} aria-hidden="true" />
            <span role="status" aria-live="polite">{active.status === 'open' ? 'connected' : active.status === 'connecting' ? 'connecting…' : active.note}</span>
            <div className="spacer" />
            <span className="sub">Ctrl+Shift+C / Ctrl+Shift+V</span>
            <button onClick={() => void copySelection(active.key)} aria-label="copy selection">Copy</button>
            <button onClick={() => void paste(active.key)} aria-label="paste">Paste</button>
            {active.status === 'ended' || active.status === 'failed' ? <button className="primary" onClick={() => reconnect(active.key)}>Reconnect</button> : null}
          </div>
          <ConsolePane key={active.key} consoleKey={active.key} />
        </div>
      ) : (
        <p className="sub">No console open. Open a shell in a running container, attach to its main process, or open the VM's serial console.</p>
      )}
    </section>
  );
}

export function SandboxPage({ id, tab }: { id: string; tab: 'overview' | 'consoles' }) {
  const navigate = useStore((s) => s.navigate);
  const summary = useStore((s) => s.sandboxes.find((x) => x.id === id));
  const events = useStore((s) => s.events);
  const [status, setStatus] = useState<SandboxStatus | null>(null);
  const [containers, setContainers] = useState<ContainerStatus[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());

  const reload = useCallback(() => {
    api.call('sandbox.get', { id }).then((s) => { setStatus(s); setError(null); }, (e: VesselError) => setError(`${e.code}: ${e.message}`));
    api.call('container.list', { sandboxId: id }).then(setContainers, () => setContainers([]));
  }, [id]);
  // Reload when this sandbox changes, whichever process changed it (events cross processes); no periodic reload.
  const lastChange = events.findLast((e) => e.id === id && e.type !== 'progress');
  const changeKey = lastChange ? `${lastChange.at} ${lastChange.type} ${lastChange.type === 'container' ? lastChange.container + lastChange.state : ''}` : '';
  useEffect(reload, [reload, summary?.state, summary?.containerCount, changeKey]);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  const s = status ?? summary ?? null;
  const mine = events.filter((e) => e.id === id);
  if (!s) {
    return (
      <section className="page">
        <button className="link" onClick={() => navigate({ page: 'sandboxes' })}>← Sandboxes</button>
        <p className={error ? 'error' : 'sub'} role={error ? 'alert' : undefined}>{error ?? 'Loading…'}</p>
      </section>
    );
  }
  const lifecycle = (label: string, fn: () => Promise<unknown>) => void act(`${label} ${s.name}`, fn).then(reload);
  return (
    <section className="page" aria-labelledby="sandbox-title">
      <nav aria-label="breadcrumb" className="crumbs"><button className="link" onClick={() => navigate({ page: 'sandboxes' })}>Sandboxes</button> / <span>{s.name}</span></nav>
      <header className="page-head">
        <h1 id="sandbox-title">{s.name}</h1>
        <StateBadge state={s.state} />
        <div className="spacer" />
        {s.state === 'ready' || s.state === 'stopped' ? <button onClick={() => lifecycle('Starting', () => api.call('sandbox.start', { id }))}>Start</button> : null}
        {s.state === 'running' ? <button onClick={() => lifecycle('Pausing', () => api.call('sandbox.pause', { id }))}>Pause</button> : null}
        {s.state === 'paused' ? <button onClick={() => lifecycle('Resuming', () => api.call('sandbox.resume', { id }))}>Resume</button> : null}
        {s.state === 'running' || s.state === 'paused' ? <button onClick={() => lifecycle('Stopping', () => api.call('sandbox.stop', { id }))}>Stop</button> : null}
        {status ? <CheckpointButtons sandbox={status} reload={reload} /> : null}
        <button className="danger" onClick={() => void act(`Deleting ${s.name}`, () => api.call('sandbox.delete', { id, force: true })).then((ok) => ok && navigate({ page: 'sandboxes' }))}>Delete</button>
      </header>
      {error ? <p className="error" role="alert">{error}</p> : null}
      <div role="tablist" aria-label="sandbox sections" className="tabs section-tabs">
        <button role="tab" aria-selected={tab === 'overview'} onClick={() => navigate({ page: 'sandbox', id, tab: 'overview' })}>Overview</button>
        <button role="tab" aria-selected={tab === 'consoles'} onClick={() => navigate({ page: 'sandbox', id, tab: 'consoles' })}>Consoles</button>
      </div>
      {tab === 'overview' ? (
        <>
          <div className="cols">
            <section aria-labelledby="config-title" className="card">
              <h2 id="config-title">Configuration</h2>
              <Dl items={[
                ['ID', <span className="mono">{s.id}</span>],
                ['Hypervisor', `${s.hypervisor} (${s.machineType}${s.accel ? `, ${s.accel}` : ''})`],
                ['vCPUs', s.vcpus],
                ['Memory', formatMiB(s.memoryMiB)],
                ['PID', s.pid ?? '–'],
                ['Created', new Date(s.createdAt).toLocaleString()],
                ['Uptime', s.startedAt && (s.state === 'running' || s.state === 'paused') ? formatDuration(now - Date.parse(s.startedAt)) : '–'],
                ...(s.stopReason ? [['Stop reason', s.stopReason] as [string, React.ReactNode]] : []),
                ...(s.vmOrigin ? [['VM from', `${s.vmOrigin.source === 'template' ? `template ${s.vmOrigin.templateHash?.slice(0, 12) ?? ''}` : s.vmOrigin.source === 'direct' ? 'cold boot' : s.vmOrigin.source} in ${(s.vmOrigin.bootMs / 1000).toFixed(1)} s${s.vmOrigin.fallbackReason ? ` (${s.vmOrigin.fallbackReason})` : ''}`] as [string, React.ReactNode]] : []),
              ]} />
            </section>
            <section aria-labelledby="guest-title" className="card">
              <h2 id="guest-title">Guest</h2>
              {s.guest ? (
                <Dl items={[
                  ['Kernel', s.guest.kernelRelease],
                  ['Memory', formatBytes(s.guest.memoryKiB * 1024)],
                  ['CPUs', s.guest.cpus],
                  ['Agent', s.guest.agentVersion],
                ]} />
              ) : <p className="sub">{s.state === 'running' ? 'asking the guest agent…' : 'the guest is not running'}</p>}
            </section>
          </div>
          <Containers sandbox={s} containers={containers} reload={reload} />
          {status ? <NetworkPanel sandbox={status} reload={reload} /> : null}
          <DevicesPanel sandbox={s} containers={containers} />
          {s.state === 'running' || s.state === 'paused' ? <Charts sandboxId={id} /> : null}
          <section aria-labelledby="events-title">
            <h2 id="events-title">Events</h2>
            {mine.length === 0 ? <p className="sub">No events since this window opened.</p> : (
              <ol className="events" aria-label="event log">
                {mine.slice(-200).reverse().map((e, i) => (
                  <li key={i}>
                    <time>{formatTime(e.at)}</time>
                    <span className="mono">{e.type}</span>
                    <span>{e.type === 'state' ? `${e.from ?? '–'} → ${e.to}${e.reason ? ` (${e.reason})` : ''}` : e.type === 'progress' ? `[${e.phase}] ${e.message}` : e.type === 'container' ? `${e.container.slice(0, 12)} ${e.state}` : ''}</span>
                    <span className="origin">{e.origin ? `by ${e.origin.command} (pid ${e.origin.pid})` : ''}</span>
                  </li>
                ))}
              </ol>
            )}
          </section>
        </>
      ) : (
        <Consoles sandbox={s} containers={containers} />
      )}
    </section>
  );
}
