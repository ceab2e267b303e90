import { describe, expect, it } from 'vitest';
import { formatCmdline, parseCgroupProcs, parseCpuStat, parseIoStat, parseLimit, readContainerStats } from './cgroup-stats.js';

// Text as a 6.1 kernel writes it in a container's cgroup v2 directory.
const CPU_STAT = `usage_usec 1595883
user_usec 1201000
system_usec 394883
core_sched.force_idle_usec 0
nr_periods 10
nr_throttled 2
throttled_usec 5000
nr_bursts 0
burst_usec 0
`;
const MEMORY_STAT = `anon 106496
file 61440
kernel 57344
kernel_stack 16384
`;
const IO_STAT = `254:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0
8:16 rbytes=1 wbytes=0 rios=1 wios=0 dbytes=0 dios=0
`;

describe('cgroup v2 stats parsing', () => {
  it('cpu.stat microseconds become nanoseconds', () => {
    expect(parseCpuStat(CPU_STAT)).toEqual({ usageNs: 1_595_883_000, userNs: 1_201_000_000, systemNs: 394_883_000, throttledPeriods: 2, throttledNs: 5_000_000 });
    expect(parseCpuStat('')).toEqual({ usageNs: 0, userNs: 0, systemNs: 0, throttledPeriods: 0, throttledNs: 0 });
  });

  it('"max" means unlimited (0); garbage is 0, not NaN', () => {
    expect(parseLimit('max\n')).toBe(0);
    expect(parseLimit('536870912\n')).toBe(536870912);
    expect(parseLimit('-5')).toBe(0);
    expect(parseLimit('99999999999999999999999')).toBe(0);
  });

  it('io.stat per device', () => {
    expect(parseIoStat(IO_STAT)).toEqual([
      { major: 254, minor: 0, readBytes: 4096, writeBytes: 8192, readIos: 1, writeIos: 2 },
      { major: 8, minor: 16, readBytes: 1, writeBytes: 0, readIos: 1, writeIos: 0 },
    ]);
    expect(parseIoStat('garbage\n')).toEqual([]);
  });

  it('reads a container cgroup, tolerating controllers that are not enabled', () => {
    const files: Record<string, string> = {
      'cpu.stat': CPU_STAT, 'memory.current': '167936\n', 'memory.max': 'max\n', 'memory.stat': MEMORY_STAT,
      'memory.events': 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n', 'pids.current': '3\n', 'pids.max': '50\n', 'io.stat': IO_STAT,
    };
    const stats = readContainerStats((name) => files[name] ?? null);
    expect(stats.cpu.usageNs).toBe(1_595_883_000);
    expect(stats.memory).toEqual({ usage: 167936, limit: 0, cache: 61440, rss: 106496, oomKills: 1 });
    expect(stats.pids).toEqual({ current: 3, limit: 50 });
    expect(stats.blkio).toHaveLength(2);

    const bare = readContainerStats((name) => (name === 'cpu.stat' ? CPU_STAT : null));
    expect(bare.memory).toEqual({ usage: 0, limit: 0, cache: 0, rss: 0, oomKills: 0 });
    expect(bare.pids).toEqual({ current: 0, limit: 0 });
  });

  it('cgroup.procs and /proc/PID/cmdline', () => {
    expect(parseCgroupProcs('1\n17\n\nx\n')).toEqual([1, 17]);
    expect(formatCmdline(Buffer.from('sh\0-c\0while :; do :; done\0'))).toBe('sh -c while :; do :; done');
    expect(formatCmdline(Buffer.alloc(0))).toBe('');
  });
});
