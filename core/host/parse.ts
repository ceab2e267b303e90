import type { ProbeCacheKey } from './report.js';

/** CPU feature flags of the first processor in /proc/cpuinfo (they are the same on every CPU). */
export function parseCpuFlags(cpuinfo: string): Set<string> {
  const line = cpuinfo.split('\n').find((l) => /^flags\s*:/.test(l));
  if (!line) return new Set();
  return new Set(line.slice(line.indexOf(':') + 1).trim().split(/\s+/).filter(Boolean));
}

/** `qemu-system-x86_64 --version` → { version: '7.2.22', package: 'Debian 1:7.2+dfsg-7' }, or null. */
export function parseQemuVersion(output: string): { version: string; package: string | null } | null {
  const match = /QEMU emulator version (\d+\.\d+(?:\.\d+)?)(?:\s*\(([^)]*)\))?/.exec(output);
  if (!match?.[1]) return null;
  return { version: match[1], package: match[2]?.trim() || null };
}

/** Canonical string of a probe cache key (stable field order), for comparison and memoization. */
export function probeCacheKeyString(key: ProbeCacheKey): string {
  return JSON.stringify([key.bootId, key.kernel, key.qemuPath, key.qemuVersion]);
}

/**
 * Late-boot lines on the serial console: once the guest prints one of these
 * it has run its initcalls, so the accelerator boots guests. Without a root
 * filesystem the probe kernel ends in the VFS panic.
 */
export const LATE_BOOT_MARKERS: readonly RegExp[] = [
  /VFS: Unable to mount root fs[^\r\n]*/,
  /Kernel panic - not syncing[^\r\n]*/,
  /Run \/init as init process/,
  /Freeing unused kernel (?:image )?memory[^\r\n]*/,
  /Write protecting the kernel read-only data[^\r\n]*/,
];

/** The first late-boot marker in console output, or null. */
export function findLateBootMarker(consoleText: string): string | null {
  for (const marker of LATE_BOOT_MARKERS) {
    const match = marker.exec(consoleText);
    if (match) return match[0].trim();
  }
  return null;
}
