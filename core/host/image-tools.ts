import { existsSync } from 'node:fs';
import type { HostCheck } from './report.js';

/** What images need on the host (umoci unpacks, skopeo imports/exports), (how a container's root reaches the guest: rootfs-check.ts). */
export function imageToolChecks(env: NodeJS.ProcessEnv = process.env): HostCheck[] {
  const umoci = env.VESSEL_UMOCI ?? '/usr/bin/umoci';
  const skopeo = env.VESSEL_SKOPEO ?? '/usr/bin/skopeo';
  return [
    existsSync(umoci)
      ? { name: 'umoci', status: 'ok', detail: `${umoci}: unpacks image layers` }
      : { name: 'umoci', status: 'warn', detail: `${umoci} missing: images cannot be unpacked (Debian package umoci; npm run setup)` },
    existsSync(skopeo)
      ? { name: 'skopeo', status: 'ok', detail: `${skopeo}: image import/export` }
      : { name: 'skopeo', status: 'warn', detail: `${skopeo} missing: no image import/export (Debian package skopeo)` },
  ];
}
