// The UI's network calls: thin, params already validated by the session.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import type { NetworkMethods } from '../contract/network-api.js';
import type { Runtime } from '../api/index.js';

type NetworkCallHandlers = { [M in keyof typeof NetworkMethods]: (params: z.output<(typeof NetworkMethods)[M]['params']>) => Promise<unknown> };

export function networkCallHandlers(rt: Runtime): NetworkCallHandlers {
  const { sandboxes, network } = rt;
  return {
    'network.list': () => network.networks.list(),
    'network.create': (req) => network.networks.create(req),
    'network.delete': async ({ name }) => {
      await network.networks.remove(name);
      return { deleted: true as const };
    },
    'network.connect': ({ sandboxId, network: net }) => sandboxes.connectNetwork(sandboxId, net),
    'network.disconnect': ({ sandboxId, network: net }) => sandboxes.disconnectNetwork(sandboxId, net),
    'port.add': ({ sandboxId, port }) => sandboxes.updatePorts(sandboxId, 'add', port),
    'port.remove': ({ sandboxId, port }) => sandboxes.updatePorts(sandboxId, 'remove', port),
  };
}

/**
 * rx+tx bytes of the sandbox's taps, from /proc/<qemu>/net/dev: QEMU runs in
 * the sandbox's namespace, so this is its view (cheap: no ip, no agent).
 */
export function tapBytes(pid: number): number | undefined {
  try {
    let total = 0;
    for (const line of readFileSync(`/proc/${pid}/net/dev`, 'utf8').split('\n').slice(2)) {
      const m = /^\s*(tap\d+_vsl):\s*(.*)$/.exec(line);
      if (!m?.[2]) continue;
      const n = m[2].trim().split(/\s+/).map(Number);
      total += (n[0] ?? 0) + (n[8] ?? 0);
    }
    return total;
  } catch {
    return undefined;
  }
}
