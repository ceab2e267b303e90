import { useEffect, useRef, useState } from 'react';
import type { DeviceInventory, HostPciDevice, IommuGroupView, SysfsWrite, VesselError } from '../../../../core/contract/index.js';
import { api } from '../../api/client.js';
import { useStore } from '../../store.js';
import { runDeviceStream } from './device-api.js';

/**
 * "Assign to sandbox…": pick a sandbox (running → hot plug; ready/stopped →
 * cold plug at its next start); the whole IOMMU group comes along, bridges
 * excluded with the reason; the exact sysfs writes are shown before
 * confirming; progress while it happens.
 */
export function AssignDialog({ device, inventory, onClose }: { device: HostPciDevice; inventory: DeviceInventory; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const sandboxes = useStore((s) => s.sandboxes);
  const { notify, navigate } = useStore();
  const candidates = sandboxes.filter((s) => s.state !== 'paused' && s.hypervisor === 'qemu' && s.machineType === 'q35');
  const [target, setTarget] = useState(candidates.find((s) => s.state === 'running')?.id ?? candidates[0]?.id ?? '');
  const [plan, setPlan] = useState<{ group: IommuGroupView; writes: SysfsWrite[] } | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<string[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [mode, setMode] = useState<'auto' | 'vfio' | 'guest-kernel'>('auto');

  useEffect(() => {
    ref.current?.showModal();
    api.call('device.plan', { address: device.address, action: 'bind' }).then(setPlan, (e: VesselError) => setPlanError(`${e.code}: ${e.message}`));
  }, [device.address]);

  const chosen = candidates.find((s) => s.id === target);
  const confirm = () => {
    if (!chosen || busy) return;
    setBusy(true);
    setFailure(null);
    setProgress([`assigning IOMMU group ${device.iommuGroup ?? ''} to ${chosen.name}`]);
    runDeviceStream('deviceAttach', { sandboxId: chosen.id, address: device.address, ...(mode !== 'auto' ? { mode } : {}) }, (line) => setProgress((p) => [...p, line])).then(
      (d) => {
        setBusy(false);
        notify('ok', d?.guestPciPath ? `${device.address} is in ${chosen.name} at guest PCI path ${d.guestPciPath}` : `${device.address} will be cold plugged when ${chosen.name} starts`);
        ref.current?.close();
        onClose();
        navigate({ page: 'sandbox', id: chosen.id });
      },
      (e: VesselError) => {
        setBusy(false);
        setFailure(`${e.code}: ${e.message}`);
      },
    );
  };
  const name = (a: string): string => {
    const d = inventory.devices.find((x) => x.address === a);
    return d ? `${d.deviceName ?? d.deviceId} (${d.driver ?? 'no driver'})` : a;
  };

  return (
    <dialog ref={ref} className="dialog" aria-labelledby="assign-title" onClose={onClose} onCancel={(e) => busy && e.preventDefault()}>
      <h2 id="assign-title">Assign {device.address} to a sandbox</h2>
      <p className="sub">{device.vendorName} {device.deviceName}</p>
      <div className="field">
        <label htmlFor="assign-sandbox">Sandbox</label>
        <select id="assign-sandbox" value={target} onChange={(e) => setTarget(e.target.value)} disabled={busy}>
          {candidates.length === 0 ? <option value="">no q35 QEMU sandbox to assign to</option> : null}
          {candidates.map((s) => <option key={s.id} value={s.id}>{s.name} — {s.state === 'running' ? 'running: hot plug now' : `${s.state}: cold plug at next start`}</option>)}
        </select>
      </div>
      <div className="field">
        <label htmlFor="assign-mode">In the guest</label>
        <select id="assign-mode" value={mode} onChange={(e) => setMode(e.target.value as typeof mode)} disabled={busy}>
          <option value="auto">Automatic: vfio when the VM has a vIOMMU, else the guest's driver</option>
          <option value="vfio">vfio: containers created afterwards get /dev/vfio/N (needs a vIOMMU)</option>
          <option value="guest-kernel">Guest kernel: the guest's own driver binds it</option>
        </select>
      </div>
      {plan ? (
        <>
          <h3>IOMMU group {plan.group.id} moves together</h3>
          <ul aria-label="devices that will be assigned">
            {plan.group.assignable.map((a) => <li key={a}><span className="mono">{a}</span> {name(a)}</li>)}
          </ul>
          {plan.group.excluded.length ? (
            <ul aria-label="devices left alone">
              {plan.group.excluded.map((e) => <li key={e.address} className="sub"><span className="mono">{e.address}</span> left alone: {e.reason}</li>)}
            </ul>
          ) : null}
          <h3>Host sysfs writes</h3>
          {plan.writes.length === 0 ? <p className="sub">None: the group is already on vfio-pci.</p> : (
            <pre className="writes" aria-label="sysfs writes" tabIndex={0}>{plan.writes.map((w) => `echo ${JSON.stringify(w.value)} > ${w.path}`).join('\n')}</pre>
          )}
        </>
      ) : <p className={planError ? 'error' : 'sub'} role={planError ? 'alert' : undefined}>{planError ?? 'Working out the sysfs writes…'}</p>}
      {progress.length ? <ol className="progress" aria-label="progress" aria-live="polite">{progress.map((p, i) => <li key={i}>{p}</li>)}</ol> : null}
      {failure ? <p className="error" role="alert">{failure}</p> : null}
      <div className="dialog-actions">
        <button type="button" onClick={() => { ref.current?.close(); onClose(); }} disabled={busy}>Cancel</button>
        <button type="button" className="primary" onClick={confirm} disabled={busy || !chosen || !plan}>{busy ? 'Assigning…' : chosen?.state === 'running' ? 'Hot plug' : 'Assign (cold plug)'}</button>
      </div>
    </dialog>
  );
}
