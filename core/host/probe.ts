import { spawn } from 'node:child_process';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { cpuModelFor } from '../hypervisor/qemu/cmdline.js';
import { findLateBootMarker, probeCacheKeyString } from './parse.js';
import { KvmProbeResult, ProbeCacheFile, type ProbeCacheKey } from './report.js';

export const KVM_PROBE_TIMEOUT_MS = 8_000;
export const PROBE_CACHE_FILE = 'kvm-probe.json';

export interface KvmProbeOptions {
  qemuPath: string;
  qemuVersion: string;
  kernelPath: string;
  timeoutMs?: number;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/**
 * Boot `kernelPath` under KVM with no initrd and watch the serial console.
 * A kernel that works runs all its initcalls and panics "VFS: Unable to mount
 * root fs" within a second or so; seeing that (or another late-boot line)
 * proves KVM boots guests. A hang until the timeout, or QEMU failing, proves
 * it does not. The CPU model is the one sandboxes get under KVM (-cpu host),
 * so the probe tests exactly what a sandbox would run.
 */
export function runKvmProbe(options: KvmProbeOptions): Promise<KvmProbeResult> {
  const timeoutMs = options.timeoutMs ?? KVM_PROBE_TIMEOUT_MS;
  const args = [
    '-machine', 'q35,accel=kvm',
    '-cpu', cpuModelFor('kvm'),
    '-m', '256M', '-smp', '1',
    '-nodefaults', '-no-user-config', '-display', 'none',
    '-kernel', options.kernelPath,
    '-append', 'console=ttyS0 panic=-1 loglevel=7',
    '-serial', 'stdio',
    '-no-reboot',
  ];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(options.qemuPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let consoleText = '';
    let stderr = '';
    let settled = false;
    const finish = (usable: boolean, reason: string, marker: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      resolve({
        usable, reason, marker,
        durationMs: Date.now() - started,
        kernel: options.kernelPath,
        qemuPath: options.qemuPath,
        qemuVersion: options.qemuVersion,
        at: new Date().toISOString(),
      });
    };
    const timer = setTimeout(() => {
      const printed = consoleText.trim().length > 0;
      finish(false, `KVM probe: guest kernel did not reach init within ${seconds(timeoutMs)} under KVM (hangs${printed ? ' after starting to boot' : ', printing nothing'})`, null);
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (consoleText.length < 1024 * 1024) consoleText += chunk.toString('utf8');
      const marker = findLateBootMarker(consoleText);
      if (marker) finish(true, `KVM probe: guest kernel booted under KVM in ${seconds(Date.now() - started)} ("${marker}")`, marker);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
    });
    child.on('error', (err) => finish(false, `KVM probe: cannot run ${options.qemuPath}: ${err.message}`, null));
    child.on('close', (code, signal) => {
      const lastError = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.includes('warning:')).at(0)
        ?? stderr.trim().split('\n').at(-1) ?? '';
      finish(false, `KVM probe: QEMU failed under KVM (${code !== null ? `exit ${code}` : `signal ${signal ?? '?'}`})${lastError ? `: ${lastError}` : ''}`, null);
    });
  });
}

/** Read a probe result for exactly this key from the cache, or null (missing, corrupt or stale). */
export function readProbeCache(cacheDir: string, key: ProbeCacheKey): KvmProbeResult | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(cacheDir, PROBE_CACHE_FILE), 'utf8'));
  } catch {
    return null;
  }
  const parsed = ProbeCacheFile.safeParse(raw);
  if (!parsed.success) return null; // corrupt or from another version: probe again
  const wanted = probeCacheKeyString(key);
  return parsed.data.entries.find((e) => probeCacheKeyString(e.key) === wanted)?.result ?? null;
}

/** Store a probe result, dropping entries from earlier boots. Atomic: temp file, fsync, rename. */
export function writeProbeCache(cacheDir: string, key: ProbeCacheKey, result: KvmProbeResult): void {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, PROBE_CACHE_FILE);
  let entries: ProbeCacheFile['entries'] = [];
  try {
    const parsed = ProbeCacheFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) entries = parsed.data.entries;
  } catch {
    // no cache yet
  }
  const wanted = probeCacheKeyString(key);
  entries = entries.filter((e) => e.key.bootId === key.bootId && probeCacheKeyString(e.key) !== wanted);
  entries.push({ key, result: KvmProbeResult.parse(result) });
  const content: ProbeCacheFile = { schemaVersion: 1, entries: entries.slice(-16) };
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, `${JSON.stringify(content, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
