import type { HostCheck } from './report.js';
import { readFactoryConfig } from '../factory/config.js';
import { chooseDefault, factoryKeepsVms, transportUnavailable } from '../image/rootfs-transport.js';

/** `host check`: which rootfs transports work here and which one new sandboxes get, and why. */
export function rootfsTransportChecks(root: string | undefined, env: NodeJS.ProcessEnv): HostCheck[] {
  const works = (['9p', 'virtio-fs', 'block'] as const).map((t) => {
    const why = transportUnavailable(t, env);
    return why ? `${t}: no (${why})` : `${t}: yes`;
  });
  let choice: { transport: string; reason: string };
  try {
    choice = root ? chooseDefault(root, env, () => factoryKeepsVms(readFactoryConfig(root))) : { transport: '9p', reason: 'no store root given' };
  } catch (err) {
    return [{ name: 'rootfs transport', status: 'fail', detail: err instanceof Error ? err.message : String(err) }];
  }
  const unavailable = transportUnavailable(choice.transport as '9p', env);
  return [{ name: 'rootfs transport', status: unavailable ? 'fail' : 'ok', detail: `default ${choice.transport}: ${choice.reason}; available: ${works.join(', ')}` }];
}
