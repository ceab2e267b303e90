import type { HostReport } from '../host/index.js';
import type { SandboxStatus } from '../contract/index.js';

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
