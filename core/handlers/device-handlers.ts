import { Streams, VesselError, type DeviceProgress, type Methods } from '../contract/index.js';
import type { Runtime } from '../api/index.js';

/** The UI's device calls and streams (Devices page, sandbox Devices panel). */

type DeviceMethod = 'device.inventory' | 'device.plan' | 'device.restore' | 'device.sandboxDevices';
type Handlers = { [M in DeviceMethod]: (params: ReturnType<(typeof Methods)[M]['params']['parse']>) => Promise<unknown> };

export function deviceCallHandlers(rt: Runtime): Handlers {
  const m = rt.devices.manager;
  return {
    'device.inventory': () => m.inventory(),
    'device.plan': ({ address, action }) => (action === 'bind' ? m.planBind(address) : m.planRestore(address)),
    'device.restore': ({ address }) => m.restore(address),
    'device.sandboxDevices': ({ sandboxId }) => rt.devices.list(sandboxId),
  };
}

type DeviceStreamName = 'deviceAttach' | 'deviceDetach' | 'blockAttach' | 'blockDetach';

function params<S extends DeviceStreamName>(name: S, raw: unknown): ReturnType<(typeof Streams)[S]['params']['parse']> {
  const r = Streams[name].params.safeParse(raw ?? {});
  if (!r.success) throw new VesselError('E_INVALID_ARGUMENT', r.error.issues.map((i) => `${i.path.map(String).join('.') || 'params'}: ${i.message}`).join('; '));
  return r.data as ReturnType<(typeof Streams)[S]['params']['parse']>;
}

export async function deviceStream(rt: Runtime, name: DeviceStreamName, raw: unknown, send: (item: DeviceProgress) => void): Promise<void> {
  const progress = (message: string): void => send({ kind: 'progress', message, at: new Date().toISOString() });
  switch (name) {
    case 'deviceAttach': {
      const added = await rt.devices.attachPci(params('deviceAttach', raw), progress);
      send({ kind: 'done', device: added[0] ?? null });
      return;
    }
    case 'deviceDetach': {
      const p = params('deviceDetach', raw);
      await rt.devices.detachPci(p.sandboxId, p.address, { keepVfio: Boolean(p.keepVfio) }, progress);
      send({ kind: 'done', device: null });
      return;
    }
    case 'blockAttach':
      send({ kind: 'done', device: await rt.devices.attachBlock(params('blockAttach', raw), progress) });
      return;
    case 'blockDetach': {
      const p = params('blockDetach', raw);
      send({ kind: 'done', device: await rt.devices.detachBlock(p.sandboxId, p.device, progress) });
      return;
    }
  }
}
