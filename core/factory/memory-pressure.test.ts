import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMFORT_SAMPLES, PressureGovernor, readMemorySample, shortOfMemory, type MemorySample } from './memory-pressure.js';

const GiB = 1048576; // in KiB
const host = (availableGiB: number, psi: number | null = null): MemorySample => ({ totalKiB: 24 * GiB, availableKiB: availableGiB * GiB, psiSomeAvg10: psi });

describe('host memory pressure (the VM cache shrinks under it)', () => {
  it('reads MemTotal, MemAvailable and PSI some avg10; no PSI file is not an error', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vmp-'));
    try {
      writeFileSync(path.join(dir, 'meminfo'), 'MemTotal:       24000000 kB\nMemFree:         1000 kB\nMemAvailable:    2000000 kB\n');
      writeFileSync(path.join(dir, 'psi'), 'some avg10=12.50 avg60=3.00 avg300=1.00 total=1\nfull avg10=1.00 avg60=0.00 avg300=0.00 total=1\n');
      expect(readMemorySample({ VESSEL_MEMINFO_FILE: path.join(dir, 'meminfo'), VESSEL_PSI_MEMORY_FILE: path.join(dir, 'psi') })).toEqual({ totalKiB: 24000000, availableKiB: 2000000, psiSomeAvg10: 12.5 });
      expect(readMemorySample({ VESSEL_MEMINFO_FILE: path.join(dir, 'meminfo'), VESSEL_PSI_MEMORY_FILE: path.join(dir, 'none') })?.psiSomeAvg10).toBeNull();
      writeFileSync(path.join(dir, 'meminfo'), 'garbage\n');
      expect(readMemorySample({ VESSEL_MEMINFO_FILE: path.join(dir, 'meminfo') })).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // This machine's own files read (Linux always has /proc/meminfo).
    expect(readMemorySample({})?.totalKiB).toBeGreaterThan(0);
  });

  it('short: under 10 % (or 1 GiB) available, or tasks stalled on memory 10 % of the time', () => {
    expect(shortOfMemory(host(12))).toBeNull();
    expect(shortOfMemory(host(2))).toMatch(/host memory is low \(2\.0 GiB of 24\.0 GiB available\)/);
    expect(shortOfMemory({ totalKiB: 4 * GiB, availableKiB: 0.9 * GiB, psiSomeAvg10: null })).toMatch(/low/);
    expect(shortOfMemory(host(12, 25))).toMatch(/stalled on memory 25 %/);
  });

  it('shrinks one VM per short sample, holds between the thresholds, grows back one per sample after a calm spell', () => {
    const g = new PressureGovernor(3);
    expect(g.sample(host(12))).toBe(3);
    expect(g.reason).toBeNull();
    expect(g.sample(host(1))).toBe(2);
    expect(g.reason).toMatch(/^shrunk to 2 of 3: host memory is low/);
    expect(g.sample(host(1))).toBe(1);
    expect(g.sample(host(1))).toBe(0);
    expect(g.sample(host(1))).toBe(0);
    // 15 %: no longer short, not yet comfortable: as is.
    expect(g.sample(host(3.6))).toBe(0);
    for (let i = 1; i < COMFORT_SAMPLES; i++) expect(g.sample(host(12))).toBe(0);
    expect(g.sample(host(12))).toBe(1);
    expect(g.reason).toMatch(/growing back to 3/);
    expect(g.sample(host(12))).toBe(2);
    expect(g.sample(host(12))).toBe(3);
    expect(g.reason).toBeNull();
    expect(g.sample(null)).toBe(3); // no reading: nothing changes
  });

  it('a new configured size applies at once when the host is comfortable, and caps the pool while it is short', () => {
    const g = new PressureGovernor(2);
    g.configure(4);
    expect(g.target).toBe(4);
    g.sample(host(1));
    expect(g.target).toBe(3);
    g.configure(1);
    expect(g.target).toBe(1);
    g.configure(5);
    expect(g.target).toBe(1); // still short: grows back only by the samples
  });
});
