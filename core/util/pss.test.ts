import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addMemory, hostMemoryOf, parseSmapsRollup, processesMentioning, readProcessMemory } from './pss.js';

const ROLLUP = `55d4a0a00000-7ffd5a5f5000 ---p 00000000 00:00 0                      [rollup]
Rss:              372444 kB
Pss:              365509 kB
Pss_Dirty:        300476 kB
Pss_Anon:         300476 kB
Pss_File:          65033 kB
Pss_Shmem:             0 kB
Shared_Clean:      12000 kB
Shared_Dirty:          4 kB
Private_Clean:     60000 kB
Private_Dirty:    300440 kB
Swap:                  0 kB
SwapPss:               0 kB
`;

describe('PSS from smaps_rollup', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'vessel-pss-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('parses PSS and its anon/file/shmem split in bytes, and what is shared', () => {
    const m = parseSmapsRollup(ROLLUP);
    expect(m).toEqual({ pssBytes: 365509 * 1024, pssAnonBytes: 300476 * 1024, pssFileBytes: 65033 * 1024, pssShmemBytes: 0, rssBytes: 372444 * 1024, sharedBytes: 12004 * 1024, swapBytes: 0 });
    expect(addMemory([m, m]).pssBytes).toBe(2 * m.pssBytes);
  });

  it('rejects a text without Pss; an old kernel without the split counts PSS as anonymous', () => {
    expect(() => parseSmapsRollup('Rss: 4 kB\n')).toThrow(/no Pss/);
    expect(parseSmapsRollup('Rss: 8 kB\nPss: 4 kB\n')).toMatchObject({ pssBytes: 4096, pssAnonBytes: 4096, pssFileBytes: 0 });
  });

  it('reads this very process, and null for a pid that is not there', () => {
    const me = readProcessMemory(process.pid);
    expect(me?.pssBytes ?? 0).toBeGreaterThan(1048576);
    expect(readProcessMemory(0)).toBeNull();
    expect(readProcessMemory(2 ** 30)).toBeNull();
  });

  it('finds a sandbox\'s processes by their argv naming its directory (fixture /proc), and sums them', () => {
    const proc = path.join(root, 'proc');
    const add = (pid: number, argv: string[]): void => {
      mkdirSync(path.join(proc, String(pid)), { recursive: true });
      writeFileSync(path.join(proc, String(pid), 'cmdline'), argv.join('\0') + '\0');
      writeFileSync(path.join(proc, String(pid), 'smaps_rollup'), ROLLUP);
    };
    add(10, ['qemu-system-x86_64', '-pidfile', '/v/sandboxes/abc/hypervisor.pid']);
    add(11, ['node', 'owner.js', '{"runDir":"/v/sandboxes/abc"}']);
    add(12, ['qemu-system-x86_64', '-pidfile', '/v/sandboxes/other/hypervisor.pid']);
    expect(processesMentioning('/v/sandboxes/abc', proc).sort()).toEqual([10, 11]);
    // hostMemoryOf reads the real /proc: this process is found by pid even though no argv names the dir.
    expect(hostMemoryOf(process.pid, '/nonexistent-dir-for-vessel-test').memory?.processes).toBe(1);
  });
});
