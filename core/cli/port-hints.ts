import { suggestPortForwards, type PortMapping } from '../contract/index.js';
import type { Runtime } from '../api/index.js';

/**
 * The hint `vessel run` and `container run` print on stderr when the image
 * declares ExposedPorts that no forward covers yet: the -p to add (run) or
 * the `vessel port add` to type (a container in a running sandbox).
 */
export async function exposedPortsHint(rt: Runtime, image: string, forwarded: PortMapping[], how: { kind: 'run' } | { kind: 'sandbox'; sandbox: string }): Promise<string | null> {
  let exposed: string[];
  try {
    exposed = (await rt.images.inspect(image)).config.exposedPorts;
  } catch {
    return null; // the run itself reports a missing image
  }
  const s = suggestPortForwards(exposed, forwarded);
  if (s.length === 0) return null;
  const declared = s.map((x) => x.exposed).join(', ');
  const fix = how.kind === 'run'
    ? s.map((x) => `-p ${x.flag}`).join(' ')
    : s.map((x) => `vessel port add ${how.sandbox} ${x.flag}`).join('; ');
  return `hint: image ${image} exposes ${declared}; to reach ${s.length === 1 ? 'it' : 'them'} from the host: ${fix}\n`;
}
