import { z } from 'zod';
import { SANDBOX_ID_PATTERN, VesselError } from '../contract/index.js';
import type { OciSpec } from './spec.js';

/**
 * Container type and sandbox ID from the annotations CRI implementations put
 * on each container's spec, as virtcontainers' oci.ContainerType/SandboxID.
 * A spec with none of them is a single container with its own sandbox.
 */

export const ContainerType = z.enum(['pod_sandbox', 'pod_container', 'single_container']);
export type ContainerType = z.infer<typeof ContainerType>;

interface CriFlavour {
  name: string;
  typeKey: string;
  sandboxValue: string;
  containerValue: string;
  sandboxIdKey: string;
}

/** Checked in this order, as virtcontainers does: containerd, CRI-O, dockershim. */
export const CRI_FLAVOURS: readonly CriFlavour[] = [
  { name: 'containerd', typeKey: 'io.kubernetes.cri.container-type', sandboxValue: 'sandbox', containerValue: 'container', sandboxIdKey: 'io.kubernetes.cri.sandbox-id' },
  { name: 'CRI-O', typeKey: 'io.kubernetes.cri-o.ContainerType', sandboxValue: 'sandbox', containerValue: 'container', sandboxIdKey: 'io.kubernetes.cri-o.SandboxID' },
  { name: 'dockershim', typeKey: 'io.kubernetes.docker.type', sandboxValue: 'podsandbox', containerValue: 'container', sandboxIdKey: 'io.kubernetes.sandbox.id' },
];

type Annotated = Pick<OciSpec, 'annotations'>;

/**
 * 'pod_sandbox' | 'pod_container' from the first CRI type annotation present;
 * 'single_container' when there is none. An unknown value is an error naming
 * the annotation (guessing would put a container in the wrong VM).
 */
export function containerType(spec: Annotated): ContainerType {
  const annotations = spec.annotations ?? {};
  for (const flavour of CRI_FLAVOURS) {
    const value = annotations[flavour.typeKey];
    if (value === undefined) continue;
    if (value === flavour.sandboxValue) return 'pod_sandbox';
    if (value === flavour.containerValue) return 'pod_container';
    throw new VesselError(
      'E_INVALID_ARGUMENT',
      `unknown container type ${JSON.stringify(value)} in annotation ${flavour.typeKey} (${flavour.name}): expected "${flavour.sandboxValue}" or "${flavour.containerValue}"`,
      { annotation: flavour.typeKey, value },
    );
  }
  return 'single_container';
}

/**
 * The sandbox ID from the first CRI sandbox-ID annotation present, or null.
 * It becomes a store path, so it must be a valid sandbox ID.
 */
export function sandboxIdOf(spec: Annotated): string | null {
  const annotations = spec.annotations ?? {};
  for (const flavour of CRI_FLAVOURS) {
    const value = annotations[flavour.sandboxIdKey];
    if (value === undefined) continue;
    if (!SANDBOX_ID_PATTERN.test(value)) {
      throw new VesselError(
        'E_INVALID_ID',
        `invalid sandbox ID ${JSON.stringify(value)} in annotation ${flavour.sandboxIdKey} (${flavour.name}): a sandbox ID is 1-64 letters, digits, "_" or "-", starting with a letter or digit`,
        { annotation: flavour.sandboxIdKey, value },
      );
    }
    return value;
  }
  return null;
}
