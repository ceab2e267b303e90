import { existsSync } from 'node:fs';
import type { HostCheck } from './report.js';

/** What images need on the host (umoci unpacks, skopeo imports/exports), and how a container's root reaches the guest. */
export function imageToolChecks(env: NodeJS.ProcessEnv = process.env): HostCheck[] {
  const umoci = env.VESSEL_UMOCI ?? '/usr/bin/umoci';
  const skopeo = env.VESSEL_SKOPEO ?? '/usr/bin/skopeo';
  const virtiofsd = '/usr/lib/qemu/virtiofsd';
  return [
    existsSync(umoci)
      ? { name: 'umoci', status: 'ok', detail: `${umoci}: unpacks image layers` }
      : { name: 'umoci', status: 'warn', detail: `${umoci} missing: images cannot be unpacked (Debian package umoci; npm run setup)` },
    existsSync(skopeo)
      ? { name: 'skopeo', status: 'ok', detail: `${skopeo}: image import/export` }
      : { name: 'skopeo', status: 'warn', detail: `${skopeo} missing: no image import/export (Debian package skopeo)` },
    {
      name: 'container rootfs',
      status: 'ok',
      detail: `virtio-9p (the only path built so far; virtio-fs and a block rootfs are not yet; virtiofsd ${existsSync(virtiofsd) ? `is at ${virtiofsd}` : 'is not installed'})`,
    },
  ];
}
