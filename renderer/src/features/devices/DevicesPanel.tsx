import { useCallback, useEffect, useState } from 'react';
import type { ContainerStatus, SandboxDevice, SandboxStatus, VesselError } from '../../../../core/contract/index.js';
import { api } from '../../api/client.js';
import { useStore } from '../../store.js';
import { runDeviceStream } from './device-api.js';

/** The sandbox page's Devices panel: what the sandbox holds, where the guest sees it; detach; attach a disk image. */
export function DevicesPanel({ sandbox, containers }: { sandbox: SandboxStatus; containers: ContainerStatus[] }) {
  const [devices, setDevices] = useState<SandboxDevice[]>([]);
  const [progress, setProgress] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [image, setImage] = useState('');
  const [container, setContainer] = useState('');
  const [mountPath, setMountPath] = useState('/mnt/data');
  const [readOnly, setReadOnly] = useState(true);
  const { notify, navigate } = useStore();

  const reload = useCallback(() => {
    api.call('device.sandboxDevices', { sandboxId: sandbox.id }).then(setDevices, () => setDevices([]));
  }, [sandbox.id]);
  useEffect(() => {
    reload();
    const t = setInterval(reload, 5000);
    return () => clearInterval(t);
  }, [reload, sandbox.state]);

  const running = containers.filter((c) => c.state === 'running');
  const run = (label: string, op: (p: (line: string) => void) => Promise<unknown>) => {
    setBusy(true);
    setFailure(null);
    setProgress([label]);
    op((line) => setProgress((p) => [...p, line])).then(
      () => { setBusy(false); notify('ok', `${label}: done`); reload(); },
      (e: VesselError) => { setBusy(false); setFailure(`${e.code}: ${e.message}`); reload(); },
    );
  };
  const detach = (d: SandboxDevice, keepVfio: boolean) => run(
    d.kind === 'vfio' ? `Detaching ${d.source}${keepVfio ? '' : ' and giving it back to the host driver'}` : `Detaching ${d.source}`,
    (p) => (d.kind === 'vfio' ? runDeviceStream('deviceDetach', { sandboxId: sandbox.id, address: d.source, keepVfio }, p) : runDeviceStream('blockDetach', { sandboxId: sandbox.id, device: d.id }, p)),
  );
  const attachBlock = (e: React.FormEvent) => {
    e.preventDefault();
    const c = container || running[0]?.id || '';
    if (!image.startsWith('/') || !c || !mountPath.startsWith('/')) {
      setFailure('give an absolute image path, a running container and an absolute path inside it');
      return;
    }
    run(`Attaching ${image}`, (p) => runDeviceStream('blockAttach', { sandboxId: sandbox.id, source: image, container: c, path: mountPath, readOnly }, p));
  };

  return (
    <section aria-labelledby="devices-panel-title" className="card devices-panel">
      <h2 id="devices-panel-title">Devices</h2>
      {devices.length === 0 ? <p className="sub">No devices. Assign a host PCI device from the <button className="link" onClick={() => navigate({ page: 'devices' })}>Devices page</button>, or attach a disk image below.</p> : (
        <table className="dev-table" aria-label="devices of this sandbox">
          <thead><tr><th scope="col">Device</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Guest PCI path</th><th scope="col">Root port</th><th scope="col">Mount</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {devices.map((d) => (
              <tr key={d.id} data-device={d.source} aria-label={`${d.kind} ${d.source}`}>
                <td className="mono">{d.source}{d.simulatedAs ? <div className="sub">simulated as QEMU {d.simulatedAs}</div> : null}</td>
                <td>{d.kind}{d.mode ? <span className="sub"> ({d.mode})</span> : null}</td>
                <td>{d.state === 'attached' ? 'attached' : 'cold plug at next start'}</td>
                <td className="mono"><span data-testid="guest-pci-path">{d.guestPciPath ?? '—'}</span>{d.guest ? <div className="sub" data-testid="guest-binding">{d.guest.vfioGroup !== null ? `guest vfio-pci · /dev/vfio/${d.guest.vfioGroup}` : `guest driver: ${d.guest.driver || 'none'}`}</div> : null}</td>
                <td className="mono">{d.rootPort ?? '—'}</td>
                <td>{d.containerPath ? `${d.containerPath}${d.readOnly ? ' (ro)' : ''}` : '—'}</td>
                <td><div className="dev-actions">
                  <button disabled={busy} onClick={() => detach(d, false)} aria-label={`detach ${d.source}`}>{d.kind === 'vfio' ? 'Detach & give back to host' : 'Detach'}</button>
                  {d.kind === 'vfio' ? <button disabled={busy} onClick={() => detach(d, true)} aria-label={`detach ${d.source}, keep it on vfio-pci`}>Detach, keep vfio-pci</button> : null}
                </div></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {sandbox.state === 'running' ? (
        <form className="inline-form" onSubmit={attachBlock} aria-label="attach a disk image">
          <label>Image <input value={image} onChange={(e) => setImage(e.target.value)} placeholder="/path/to/disk.img" disabled={busy} /></label>
          <label>Container <select value={container} onChange={(e) => setContainer(e.target.value)} disabled={busy}>
            {running.length === 0 ? <option value="">no running container</option> : null}
            {running.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select></label>
          <label>Path <input value={mountPath} onChange={(e) => setMountPath(e.target.value)} disabled={busy} /></label>
          <label className="check"><input type="checkbox" checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)} disabled={busy} /> read-only</label>
          <button type="submit" disabled={busy}>Attach disk</button>
        </form>
      ) : null}
      {progress.length ? <ol className="progress" aria-label="device progress" aria-live="polite">{progress.slice(-8).map((p, i) => <li key={i}>{p}</li>)}</ol> : null}
      {failure ? <p className="error" role="alert">{failure}</p> : null}
    </section>
  );
}
