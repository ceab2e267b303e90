import type { HostReport } from '../host/index.js';
import type { ContainerStats, ContainerStatus, SandboxStats, SandboxStatus } from '../contract/index.js';

/** Human-readable output for the CLI. JSON output never goes through here. */

export function formatDuration(ms: number): string {
  if (ms < 0) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d`;
}

function uptime(s: SandboxStatus, nowMs = Date.now()): string {
  if (s.state === 'stopped' || !s.startedAt) return '-';
  return formatDuration(nowMs - Date.parse(s.startedAt));
}

export function formatTable(list: SandboxStatus[], nowMs = Date.now()): string {
  const header = ['ID', 'NAME', 'STATE', 'HYPERVISOR', 'PID', 'VCPUS', 'MEMORY', 'UPTIME'];
  const rows = list.map((s) => [
    s.id.slice(0, 12),
    s.name,
    s.state,
    s.accel ? `${s.hypervisor}/${s.accel}` : s.hypervisor,
    s.pid === null ? '-' : String(s.pid),
    String(s.vcpus),
    `${s.memoryMiB}MiB`,
    uptime(s, nowMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

export function formatStatus(s: SandboxStatus): string {
  const lines: Array<[string, string]> = [
    ['id', s.id],
    ['name', s.name],
    ['state', s.state + (s.stopReason && s.state === 'stopped' ? ` (${s.stopReason})` : '')],
    ['hypervisor', `${s.hypervisor} (${s.machineType}${s.accel ? `, ${s.accel}` : ''})`],
    ['pid', s.pid === null ? '-' : String(s.pid)],
    ['vcpus', String(s.vcpus)],
    ['memory', `${s.memoryMiB} MiB`],
    ['created', s.createdAt],
    ['uptime', uptime(s)],
  ];
  if (s.guest) {
    lines.push(['guest kernel', s.guest.kernelRelease]);
    lines.push(['guest cpus', String(s.guest.cpus)]);
    lines.push(['guest memory', `${Math.round(s.guest.memoryKiB / 1024)} MiB`]);
    lines.push(['agent', s.guest.agentVersion]);
  }
  if (s.vmOrigin) {
    const o = s.vmOrigin;
    const from = o.source === 'template' ? `template ${o.templateHash?.slice(0, 12) ?? '?'}` : o.source === 'direct' ? 'cold boot' : o.source;
    lines.push(['vm from', `${from} in ${(o.bootMs / 1000).toFixed(1)} s${o.fallbackReason ? ` (${o.fallbackReason})` : ''}`]);
  }
  const w = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${(k + ':').padEnd(w + 1)} ${v}`).join('\n');
}

export function formatHostReport(r: HostReport): string {
  const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
  const lines = r.checks.map((c) => `[${mark[c.status]}] ${c.name}: ${c.detail}`);
  lines.push('');
  lines.push(`acceleration: ${r.accel.accel.toUpperCase()}`);
  lines.push(r.ok ? 'this host can run sandboxes' : 'this host cannot run sandboxes yet: fix the FAIL lines above');
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

function shortCommand(args: string[], max = 40): string {
  const text = args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "exited 0", "killed by signal 9 (137)", "running", … */
export function containerStateText(c: ContainerStatus): string {
  if (c.state !== 'stopped') return c.state;
  if (c.exitCode === null) return 'stopped';
  const how = c.signal ? `stopped: signal ${c.signal} (exit code ${c.exitCode})` : `stopped: exit code ${c.exitCode}`;
  return c.oomKilled ? `${how}, OOM-killed` : how;
}

export function formatContainerTable(list: ContainerStatus[]): string {
  return table(
    ['ID', 'NAME', 'STATE', 'COMMAND', 'CREATED'],
    list.map((c) => [c.id.slice(0, 12), c.name, containerStateText(c), shortCommand(c.args), c.createdAt]),
  );
}

export function formatContainerStatus(c: ContainerStatus): string {
  const lines: Array<[string, string]> = [
    ['id', c.id],
    ['name', c.name],
    ['sandbox', c.sandboxId],
    ['state', containerStateText(c)],
    ['command', shortCommand(c.args, 200)],
    ['tty', c.tty ? 'yes' : 'no'],
    ['rootfs', `${c.source.kind}${c.source.kind === 'busybox' ? '' : ` ${c.source.path}`} (${c.rootfsMode === 'copy' ? 'copied' : c.rootfsMode === 'bind-ro' ? 'bind-mounted read-only' : 'bind-mounted'})`],
    ['created', c.createdAt],
    ['started', c.startedAt ?? '-'],
    ['finished', c.finishedAt ?? '-'],
  ];
  if (c.error) lines.push(['error', c.error]);
  const w = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${(k + ':').padEnd(w + 1)} ${v}`).join('\n');
}

export function formatProcessList(procs: Array<{ pid: number; cmdline: string }>): string {
  return table(['PID', 'COMMAND'], procs.map((p) => [String(p.pid), p.cmdline]));
}

/** 1.5MiB, or with sep ' ' 1.5 MiB. */
export function formatBytes(n: number, sep = ''): string {
  if (n < 1024) return `${n}${sep}B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)}${sep}${units[i] ?? ''}`;
}

function seconds(ns: number): string {
  return `${(ns / 1e9).toFixed(2)}s`;
}

/** guest/host may be null when only one container's stats were asked for. */
export function formatSandboxStats(s: Omit<SandboxStats, 'guest' | 'host'> & { guest: SandboxStats['guest'] | null; host: SandboxStats['host'] | null }): string {
  const lines: string[] = [];
  if (s.guest) lines.push(`guest: ${s.guest.cpus} CPU(s), ${formatBytes(s.guest.memoryKiB * 1024)} memory`);
  if (s.host) {
    const m = s.host.memory;
    lines.push(m
      ? `host:  VM process ${s.host.pid}: CPU ${seconds(s.host.cpuNs)}, memory ${formatBytes(m.pssBytes)} PSS (private ${formatBytes(m.pssAnonBytes)}, share of files ${formatBytes(m.pssFileBytes + m.pssShmemBytes)}; ${formatBytes(m.sharedBytes)} resident pages shared with other processes; RSS ${formatBytes(s.host.rssBytes)})`
      : `host:  VM process ${s.host.pid}: CPU ${seconds(s.host.cpuNs)}, RSS ${formatBytes(s.host.rssBytes)}`);
  }
  if (lines.length > 0) lines.push('');
  lines.push(
    s.containers.length === 0
      ? 'no running containers'
      : table(
          ['NAME', 'CPU', 'USER', 'SYSTEM', 'MEMORY', 'LIMIT', 'PIDS'],
          s.containers.map((c: ContainerStats) => [
            c.name,
            seconds(c.cpu.usageNs),
            seconds(c.cpu.userNs),
            seconds(c.cpu.systemNs),
            formatBytes(c.memory.usage),
            c.memory.limit === 0 ? 'unlimited' : formatBytes(c.memory.limit),
            `${c.pids.current}${c.pids.limit ? `/${c.pids.limit}` : ''}`,
          ]),
        ),
  );
  return lines.join('\n');
}
