import type { DeviceProgress, SandboxDevice, StreamName, StreamParams, VesselError } from '../../../../core/contract/index.js';
import { api } from '../../api/client.js';

type DeviceStream = Extract<StreamName, 'deviceAttach' | 'deviceDetach' | 'blockAttach' | 'blockDetach'>;

/** Run a device operation stream; progress lines go to onProgress; resolves with the device (or null). */
export function runDeviceStream<S extends DeviceStream>(name: S, params: StreamParams<S>, onProgress: (line: string) => void): Promise<SandboxDevice | null> {
  return new Promise((resolve, reject) => {
    api.open(name, params as never, {
      onItem: (item: DeviceProgress) => {
        if (item.kind === 'progress') onProgress(item.message);
        else resolve(item.device);
      },
      onError: (err: VesselError) => reject(err),
    });
  });
}

export function describeBytes(n: number): string {
  if (n >= 1 << 30) return `${n / (1 << 30)} GiB`;
  if (n >= 1 << 20) return `${n / (1 << 20)} MiB`;
  if (n >= 1 << 10) return `${n / (1 << 10)} KiB`;
  return `${n} B`;
}
