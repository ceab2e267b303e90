import { readFactoryConfig } from './config.js';

/** The side-channel warning `vessel host check` prints about VM templates. */
export const TEMPLATE_SHARING_NOTE =
  'clones of a template share the template\'s RAM pages copy-on-write (one user\'s sandboxes only; the files are 0700 under the run directory): ' +
  'a guest can time page faults and cache effects on pages its siblings also map, a known cross-VM side channel (as with KSM), ' +
  'and clones start with the same kernel address layout (KASLR) as their template. Keep enable_template off for workloads that must not trust each other.';

export function templateSharingCheck(storeRoot: string | undefined): { name: string; status: 'ok' | 'warn'; detail: string } {
  let enabled = false;
  try {
    enabled = storeRoot !== undefined && readFactoryConfig(storeRoot).enable_template;
  } catch {
    enabled = false;
  }
  return enabled
    ? { name: 'VM templates', status: 'warn', detail: `enabled: ${TEMPLATE_SHARING_NOTE}` }
    : { name: 'VM templates', status: 'ok', detail: 'off (enable_template = false); when on, sandboxes share template memory pages copy-on-write: see `vessel factory` in the README' };
}
