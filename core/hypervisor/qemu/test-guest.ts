import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/*
 * Test helpers: a tiny guest for integration tests of the QEMU driver,
 * independent of the real guest image. The initrd holds a static busybox and
 * an /init script that prints a marker on the serial console and idles (an
 * idle guest halts its vCPU, which keeps TCG cheap on a 2-core host).
 */

export const TEST_INIT_MARKER = 'VESSEL-TEST-INIT-UP';

/** The host's Debian kernel (/boot/vmlinuz-*), or null. */
export function findHostKernel(): string | null {
  try {
    const kernels = readdirSync('/boot').filter((f) => f.startsWith('vmlinuz-')).sort();
    const last = kernels.at(-1);
    return last === undefined ? null : `/boot/${last}`;
  } catch {
    return null;
  }
}

interface CpioEntry {
  name: string;
  mode: number;
  data?: Buffer;
  rdevMajor?: number;
  rdevMinor?: number;
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

/** Serialize entries as a "newc" cpio archive (what the kernel unpacks as an initramfs). */
export function newcArchive(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const all: CpioEntry[] = [...entries, { name: 'TRAILER!!!', mode: 0 }];
  for (const entry of all) {
    const data = entry.data ?? Buffer.alloc(0);
    const name = Buffer.from(`${entry.name}\0`);
    const fields = [
      ino++, entry.mode, 0, 0, entry.mode & 0o040000 ? 2 : 1, 0, data.length, 0, 0,
      entry.rdevMajor ?? 0, entry.rdevMinor ?? 0, name.length, 0,
    ];
    const header = Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`, 'ascii');
    parts.push(header, name, pad4(header.length + name.length), data, pad4(data.length));
  }
  return Buffer.concat(parts);
}

/** Write the test initrd to `path` (needs /bin/busybox, statically linked: Debian busybox-static). */
export function writeTestInitrd(path: string, busybox = '/bin/busybox'): void {
  const init = [
    '#!/bin/busybox sh',
    `echo ${TEST_INIT_MARKER}`,
    'while true; do /bin/busybox sleep 3600; done',
    '',
  ].join('\n');
  writeFileSync(path, newcArchive([
    { name: 'dev', mode: 0o040755 },
    { name: 'dev/console', mode: 0o020600, rdevMajor: 5, rdevMinor: 1 },
    { name: 'bin', mode: 0o040755 },
    { name: 'bin/busybox', mode: 0o100755, data: readFileSync(busybox) },
    { name: 'init', mode: 0o100755, data: Buffer.from(init) },
  ]));
}
