import { z } from 'zod';
import { invalidArgument, isAbsolutePath, quote } from './internal.js';

/**
 * A host directory shared into the guest under a mount tag (virtio-fs / 9p),
 * as virtcontainers' types.Volume. Written `tag:hostpath`, e.g.
 * `shared:/home/me/project`. The tag cannot contain ':', so the first ':'
 * separates the two; the host path may contain ':'.
 */
export const VOLUME_TAG_PATTERN = /^[A-Za-z0-9_.-]+$/;

export const Volume = z.object({
  mountTag: z.string().regex(VOLUME_TAG_PATTERN, 'a mount tag is one or more letters, digits, "_", "." or "-"'),
  hostPath: z.string().refine(isAbsolutePath, 'the host path must be absolute (start with "/") and contain no NUL'),
});
export type Volume = z.infer<typeof Volume>;

const EXPECTED = 'expected "tag:hostpath", e.g. "shared:/home/me/project"';

export function parseVolume(input: string): Volume {
  const colon = input.indexOf(':');
  if (colon < 0) throw invalidArgument(`invalid volume ${quote(input)}: ${EXPECTED}`, { input });
  const mountTag = input.slice(0, colon);
  const hostPath = input.slice(colon + 1);
  if (!VOLUME_TAG_PATTERN.test(mountTag)) {
    throw invalidArgument(
      `invalid volume ${quote(input)}: mount tag ${quote(mountTag)} must be one or more letters, digits, "_", "." or "-" (${EXPECTED})`,
      { input },
    );
  }
  if (!isAbsolutePath(hostPath)) {
    throw invalidArgument(`invalid volume ${quote(input)}: host path ${quote(hostPath)} must be absolute (${EXPECTED})`, { input });
  }
  return { mountTag, hostPath };
}

export function formatVolume(volume: Volume): string {
  return `${volume.mountTag}:${volume.hostPath}`;
}

/**
 * A whitespace-separated list of volumes, as virtcontainers' Volumes.Set
 * (which splits on single spaces; runs of whitespace are tolerated here).
 * Host paths therefore cannot contain whitespace in this form. Mount tags must
 * be unique: two volumes with one tag would shadow each other in the guest.
 */
export function parseVolumeList(input: string): Volume[] {
  const trimmed = input.trim();
  if (trimmed === '') return [];
  const volumes = trimmed.split(/\s+/).map(parseVolume);
  const seen = new Set<string>();
  for (const v of volumes) {
    if (seen.has(v.mountTag)) {
      throw invalidArgument(`invalid volume list ${quote(input)}: mount tag ${quote(v.mountTag)} is used twice; tags must be unique`, { input });
    }
    seen.add(v.mountTag);
  }
  return volumes;
}

export function formatVolumeList(volumes: readonly Volume[]): string {
  return volumes.map(formatVolume).join(' ');
}
