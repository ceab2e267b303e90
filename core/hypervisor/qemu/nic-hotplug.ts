// NIC hot plug over QMP, as Kata's qemu.go does it: the tap fd by getfd
// (SCM_RIGHTS, via the tap helper), netdev_add, device_add virtio-net-pci on
// a free PCIe root port; every step undone when a later one fails. Unplug:
// device_del, wait for DEVICE_DELETED (the guest must let go), netdev_del.
import { VesselError } from '../../contract/index.js';
import type { HypervisorState, NicHotplugRequest, ProgressFn } from '../hypervisor.js';
import { assertPasstSocketPath, userForwardSpec } from './net-args.js';
import type { QmpClient, QmpEvent } from './qmp.js';
import { QmpEmpty } from './qmp.js';
import { freeRootPorts } from './hotplug.js';
import { sendTapFd, tapHelperPath } from './tapfd.js';

interface QmpSessions {
  withQmp<T>(state: HypervisorState, fn: (qmp: QmpClient) => Promise<T>): Promise<T>;
}

const NIC_ID = /^net\d{1,2}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export async function hotplugNic(q: QmpSessions, state: HypervisorState, nic: NicHotplugRequest, onProgress?: ProgressFn): Promise<void> {
  if (!NIC_ID.test(nic.id)) throw new VesselError('E_INVALID_ARGUMENT', `invalid NIC id "${nic.id}"`);
  if (!MAC.test(nic.mac)) throw new VesselError('E_INVALID_ARGUMENT', `invalid MAC "${nic.mac}"`);
  const fdname = `fd-${nic.id}`;
  if (nic.kind === 'tap') {
    onProgress?.('hypervisor', `passing tap ${nic.tap} to QEMU`);
    // Before our own session: QEMU serves one QMP client at a time.
    sendTapFd(tapHelperPath(), nic.netnsPath, nic.tap, state.paths.qmpSocket, fdname, nic.device);
  }
  await q.withQmp(state, async (qmp) => {
    const undo: (() => Promise<unknown>)[] = nic.kind === 'tap' ? [() => qmp.execute('closefd', { fdname })] : [];
    try {
      // A root port takes one device: the first one with nothing on its secondary bus.
      const port = (await freeRootPorts(qmp))[0];
      if (!port) throw new VesselError('E_BUSY', 'no free PCIe root port left for a hot-plugged NIC (all rp* slots hold a device)');
      onProgress?.('hypervisor', `netdev_add ${nic.id} (${nic.kind})`);
      await qmp.execute('netdev_add', netdevArgs(nic, fdname), QmpEmpty).catch((err: unknown) => {
        throw nic.kind === 'user' && /forward/i.test(String(err))
          ? new VesselError('E_BUSY', `QEMU could not bind a forwarded host port of ${nic.id} (already in use on this host?): ${String(err)}`)
          : err;
      });
      undo.unshift(() => qmp.execute('netdev_del', { id: nic.id }));
      if (nic.kind === 'tap') {
        // netdev_add took its own reference; the named fd is no longer needed.
        undo.pop();
        await qmp.execute('closefd', { fdname }).catch(() => undefined);
      }
      onProgress?.('hypervisor', `device_add virtio-net-pci on ${port}`);
      await qmp.execute('device_add', { driver: 'virtio-net-pci', id: `${nic.id}-dev`, netdev: nic.id, mac: nic.mac, bus: port, romfile: '' }, QmpEmpty);
    } catch (err) {
      for (const u of undo) await u().catch(() => undefined);
      throw err;
    }
  });
}

/** netdev_add's arguments: the same backends as the boot-time -netdev of net-args.ts. */
export function netdevArgs(nic: NicHotplugRequest, fdname: string): Record<string, unknown> {
  switch (nic.kind) {
    case 'tap':
      return { type: 'tap', id: nic.id, fd: fdname };
    case 'stream':
      assertPasstSocketPath(nic.id, nic.socketPath);
      return { type: 'stream', id: nic.id, server: false, addr: { type: 'unix', path: nic.socketPath } };
    case 'user':
      return {
        type: 'user', id: nic.id, net: '10.0.2.0/24', host: '10.0.2.2', dns: '10.0.2.3',
        ...(nic.hostForwards.length ? { hostfwd: nic.hostForwards.map((f) => ({ str: userForwardSpec(f) })) } : {}),
      };
  }
}

export async function unplugNic(q: QmpSessions, state: HypervisorState, id: string, timeoutMs: number): Promise<void> {
  if (!NIC_ID.test(id)) throw new VesselError('E_INVALID_ARGUMENT', `invalid NIC id "${id}"`);
  await q.withQmp(state, async (qmp) => {
    const deleted = waitDeviceDeleted(qmp, `${id}-dev`, timeoutMs);
    deleted.catch(() => undefined);
    await qmp.execute('device_del', { id: `${id}-dev` }, QmpEmpty);
    try {
      await deleted;
    } catch (err) {
      if (err instanceof VesselError && err.code === 'E_TIMEOUT') {
        throw new VesselError('E_TIMEOUT', `the guest did not release NIC ${id} within ${Math.round(timeoutMs / 1000)} s (no DEVICE_DELETED): is the guest kernel up and does it handle PCIe hot unplug? The NIC stays attached`, { id });
      }
      throw err;
    }
    await qmp.execute('netdev_del', { id }, QmpEmpty);
  });
}

/** The DEVICE_DELETED of this device (QEMU also sends one for its virtio backend, with no device id). */
function waitDeviceDeleted(qmp: QmpClient, device: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onEvent = (e: QmpEvent): void => {
      if (e.event !== 'DEVICE_DELETED' || e.data?.device !== device) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new VesselError('E_TIMEOUT', `no DEVICE_DELETED for ${device} within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      qmp.off('event', onEvent);
    };
    qmp.on('event', onEvent);
  });
}
