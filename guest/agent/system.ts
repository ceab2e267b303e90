// What the agent needs from the guest OS, behind an interface so the RPC
// handlers can be tested on the host without changing the host's clock or name.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

export interface GuestSystem {
  kernelRelease(): string;
  memTotalKiB(): number;
  onlineCpus(): number;
  /** Monotonic uptime in ms (/proc/uptime); stops while the VM is paused. */
  uptimeMs(): number;
  setHostname(name: string): Promise<void>;
  setDateTime(sec: number, usec: number): Promise<void>;
}

/** Counts CPUs in a sysfs cpu list such as "0-3,5,7-8". */
export function countCpuList(list: string): number {
  let count = 0;
  for (const part of list.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-');
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) throw new Error(`malformed cpu list: ${list}`);
    count += hi - lo + 1;
  }
  return count;
}

export function parseMemTotalKiB(meminfo: string): number {
  const m = /^MemTotal:\s+(\d+)\s+kB$/m.exec(meminfo);
  if (!m?.[1]) throw new Error('MemTotal missing from /proc/meminfo');
  return Number(m[1]);
}

export function parseUptimeMs(uptime: string): number {
  const first = Number(uptime.trim().split(/\s+/)[0]);
  if (!Number.isFinite(first) || first < 0) throw new Error(`malformed /proc/uptime: ${uptime}`);
  return Math.round(first * 1000);
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${file} ${args.join(' ')}: exit ${String(code)} ${stderr.trim()}`))));
  });
}

export class LinuxGuestSystem implements GuestSystem {
  constructor(private readonly procRoot = '/proc', private readonly sysRoot = '/sys') {}

  kernelRelease(): string {
    // Not os.release(): node reads uname once when its os module loads, and the
    // agent may start from a V8 snapshot made on the build host.
    return readFileSync(`${this.procRoot}/sys/kernel/osrelease`, 'utf8').trim();
  }

  memTotalKiB(): number {
    return parseMemTotalKiB(readFileSync(`${this.procRoot}/meminfo`, 'utf8'));
  }

  onlineCpus(): number {
    try {
      return countCpuList(readFileSync(`${this.sysRoot}/devices/system/cpu/online`, 'utf8'));
    } catch {
      return os.cpus().length;
    }
  }

  uptimeMs(): number {
    return parseUptimeMs(readFileSync(`${this.procRoot}/uptime`, 'utf8'));
  }

  setHostname(name: string): Promise<void> {
    writeFileSync(`${this.procRoot}/sys/kernel/hostname`, name);
    return Promise.resolve();
  }

  async setDateTime(sec: number, _usec: number): Promise<void> {
    // Node has no settimeofday(2); busybox date sets it (second resolution is
    // plenty: the host re-syncs after restore, and TCG guests drift anyway).
    await run('/bin/busybox', ['date', '-u', '-s', `@${sec}`]);
  }
}
