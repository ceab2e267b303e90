import { useCallback, useEffect, useState } from 'react';
import './devices.css';
import type { DeviceInventory, HostPciDevice, IommuGroupView, VesselError } from '../../../../core/contract/index.js';
import { api } from '../../api/client.js';
import { act, useStore } from '../../store.js';
import { AssignDialog } from './AssignDialog.js';
import { describeBytes, runDeviceStream } from './device-api.js';

/**
 * The Devices page: host PCI devices grouped by IOMMU group (the unit the
 * kernel assigns), each with its names, class, driver, vfio state, the
 * sandbox that has it and what the host would lose; the group's viability
 * at a glance; assign / detach / give back from here.
 */

type ClassFilter = 'all' | 'display' | 'network' | 'storage' | 'usb' | 'other';
type UseFilter = 'all' | 'free' | 'in-use';

function classOf(d: HostPciDevice): ClassFilter {
  const c = d.classCode.slice(0, 2);
  if (c === '03') return 'display';
  if (c === '02') return 'network';
  if (c === '01') return 'storage';
  if (d.classCode.startsWith('0c03')) return 'usb';
  return 'other';
}

export function hostLossText(d: HostPciDevice): string {
  const parts = [
    ...(d.hostLoss.rootFilesystem ? ['the root filesystem'] : []),
    ...d.hostLoss.netInterfaces.map((n) => `network ${n}`),
    ...d.hostLoss.blockDevices.map((b) => `disk ${b.name}${b.mounts.length ? ` (mounted at ${b.mounts.join(', ')})` : ''}`),
    ...d.hostLoss.displays.map((x) => `display ${x}`),
  ];
  return parts.length ? parts.join('; ') : 'nothing visible';
}

function viability(g: IommuGroupView): { text: string; cls: string } {
  if (g.refusal) return { text: 'never assignable', cls: 'badge-stopped' };
  if (g.viable) return { text: 'viable', cls: 'badge-running' };
  return { text: 'bound to host drivers', cls: 'badge-paused' };
}

export function DevicesPage() {
  const [inv, setInv] = useState<DeviceInventory | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [klass, setKlass] = useState<ClassFilter>('all');
  const [use, setUse] = useState<UseFilter>('all');
  const [assign, setAssign] = useState<HostPciDevice | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const navigate = useStore((s) => s.navigate);

  const reload = useCallback(() => {
    api.call('device.inventory', {}).then((i) => { setInv(i); setError(null); }, (e: VesselError) => setError(`${e.code}: ${e.message}`));
  }, []);
  useEffect(() => {
    reload();
    const t = setInterval(reload, 5000);
    return () => clearInterval(t);
  }, [reload]);

  if (!inv) return <section className="page"><h1>Devices</h1><p className={error ? 'error' : 'sub'} role={error ? 'alert' : undefined}>{error ?? 'Reading the host PCI devices…'}</p></section>;

  const byAddress = new Map(inv.devices.map((d) => [d.address, d]));
  const shown = (d: HostPciDevice): boolean => (klass === 'all' || classOf(d) === klass) && (use === 'all' || (use === 'free' ? d.inUseBy === null : d.inUseBy !== null));
  const groups = inv.groups.filter((g) => g.members.some((a) => { const d = byAddress.get(a); return d ? shown(d) : false; }));
  const loose = inv.devices.filter((d) => d.iommuGroup === null && shown(d));

  const giveBack = (d: HostPciDevice) => {
    setBusy(d.address);
    void act(`Giving IOMMU group ${d.iommuGroup ?? ''} back to the host drivers`, () => api.call('device.restore', { address: d.address })).finally(() => { setBusy(null); reload(); });
  };
  const detach = (d: HostPciDevice) => {
    if (!d.inUseBy) return;
    const owner = d.inUseBy;
    setBusy(d.address);
    void act(`Detaching ${d.address} from ${owner.sandboxName}`, () => runDeviceStream('deviceDetach', { sandboxId: owner.sandboxId, address: d.address }, () => undefined)).finally(() => { setBusy(null); reload(); });
  };

  const row = (d: HostPciDevice, g: IommuGroupView | null) => {
    const excluded = g?.excluded.find((e) => e.address === d.address);
    const onVfio = d.driver === 'vfio-pci';
    const name = `${d.vendorName ?? d.vendorId} ${d.deviceName ?? d.deviceId}`;
    return (
      <tr key={d.address} aria-label={`${d.address} ${name}`} data-address={d.address}>
        <td className="mono">{d.address}</td>
        <td><div>{d.deviceName ?? `device ${d.deviceId}`}</div><div className="sub">{d.vendorName ?? `vendor ${d.vendorId}`} · {d.vendorId}:{d.deviceId}</div></td>
        <td>{d.className ?? d.classCode}{d.pcie ? <span className="sub"> · PCIe</span> : null}{d.bars.length ? <div className="sub">BARs {d.bars.map((b) => describeBytes(b.sizeBytes)).join(', ')}</div> : null}</td>
        <td className="mono" data-testid="driver">{d.driver ?? '—'}</td>
        <td>{onVfio ? <span className="badge badge-ready">vfio-pci</span> : <span className="sub">host</span>}</td>
        <td>{d.inUseBy ? <button className="link" onClick={() => navigate({ page: 'sandbox', id: d.inUseBy?.sandboxId ?? '' })}>{d.inUseBy.sandboxName}</button> : <span className="sub">free</span>}</td>
        <td className={d.hostLoss.rootFilesystem ? 'error' : undefined}>{hostLossText(d)}</td>
        <td><div className="dev-actions">
          {excluded ? <span className="sub" title={excluded.reason}>bridge: left alone{excluded.reason.includes(':') ? ` (${excluded.reason.slice(excluded.reason.indexOf(':') + 1).split(',')[0]?.trim() ?? ''})` : ''}</span>
            : g === null ? <span className="sub">no IOMMU group</span>
              : d.inUseBy ? <button disabled={busy !== null} onClick={() => detach(d)} aria-label={`detach ${d.address} from ${d.inUseBy.sandboxName}`}>Detach</button>
                : (
                  <>
                    <button disabled={Boolean(g.refusal) || !inv.iommuEnabled || busy !== null} title={g.refusal ?? undefined} onClick={() => setAssign(d)} aria-label={`assign ${d.address} to a sandbox`}>Assign to sandbox…</button>
                    {onVfio ? <button disabled={busy !== null} onClick={() => giveBack(d)} aria-label={`give ${d.address} back to the host driver`}>Give back to host driver</button> : null}
                  </>
                )}
        </div></td>
      </tr>
    );
  };

  const head = (
    <thead><tr><th scope="col">Address</th><th scope="col">Device</th><th scope="col">Class</th><th scope="col">Driver</th><th scope="col">Bound</th><th scope="col">Sandbox</th><th scope="col">Host would lose</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
  );

  return (
    <section className="page" aria-labelledby="devices-title">
      <header className="page-head">
        <h1 id="devices-title">Devices</h1>
        {inv.simulated ? <span className="badge badge-paused" role="status">simulated host devices</span> : null}
        <div className="spacer" />
        <label className="inline">Class{' '}
          <select value={klass} onChange={(e) => setKlass(e.target.value as ClassFilter)} aria-label="filter by class">
            {(['all', 'display', 'network', 'storage', 'usb', 'other'] as const).map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        </label>
        <label className="inline">Use{' '}
          <select value={use} onChange={(e) => setUse(e.target.value as UseFilter)} aria-label="filter by use">
            <option value="all">all</option><option value="free">free</option><option value="in-use">in use</option>
          </select>
        </label>
        <button onClick={reload}>Refresh</button>
      </header>
      {inv.simulated ? <p className="sub">The simulation switch is on (VESSEL_DEVICE_SIMULATION=1): devices come from a fixture sysfs tree at <span className="mono">{inv.sysfsRoot}</span>, and an assigned device appears in the guest as QEMU's emulated edu or pci-testdev on the same root port.</p> : null}
      {!inv.iommuEnabled ? <p className="error" role="alert">The IOMMU is off: no device can be assigned. Add <span className="mono">intel_iommu=on iommu=pt</span> (Intel) or <span className="mono">amd_iommu=on iommu=pt</span> (AMD) to the kernel command line and reboot.</p> : null}
      {error ? <p className="error" role="alert">{error}</p> : null}
      {groups.map((g) => {
        const v = viability(g);
        return (
          <section key={g.id} className="card group" aria-labelledby={`group-${g.id}`} data-group={g.id}>
            <h2 id={`group-${g.id}`}>IOMMU group {g.id} <span className={`badge ${v.cls}`}>{v.text}</span></h2>
            {g.refusal ? <p className="error">{g.refusal}</p> : !g.viable ? <p className="sub">Still on host drivers: {g.blockers.map((b) => `${b.address} (${b.driver})`).join(', ')}. Assigning binds the whole group to vfio-pci.</p> : null}
            <table className="dev-table" aria-label={`devices of IOMMU group ${g.id}`}>
              {head}
              <tbody>{g.members.map((a) => byAddress.get(a)).filter((d): d is HostPciDevice => d !== undefined).map((d) => row(d, g))}</tbody>
            </table>
          </section>
        );
      })}
      {loose.length ? (
        <section className="card group" aria-labelledby="group-none">
          <h2 id="group-none">No IOMMU group <span className="badge badge-stopped">cannot be assigned</span></h2>
          <table className="dev-table" aria-label="devices without an IOMMU group">{head}<tbody>{loose.map((d) => row(d, null))}</tbody></table>
        </section>
      ) : null}
      {assign ? <AssignDialog device={assign} inventory={inv} onClose={() => { setAssign(null); reload(); }} /> : null}
    </section>
  );
}
