// Where a sandbox boot's time goes, read from what the guest printed on its
// serial console (guest/build/init.ts, rootfs.ts and the agent's "agent ready"
// line) and from the host's progress events.
import { readFileSync } from 'node:fs';

export interface BootPhases {
  /** Host: createSandbox → QEMU running (QMP answers). */
  qemuUp?: number;
  /** Guest uptime when stage 1 mounted the root image (pmem/blk layouts). */
  rootMounted?: number;
  /** Guest uptime when the Vessel /init started (kernel done, + stage 1). */
  initStarted?: number;
  /** Guest uptime after the boot modules were loaded (node starts then). */
  modulesLoaded?: number;
  /** Guest uptime when the modules loaded in the background (NIC, 9p, …) were in. */
  laterModulesLoaded?: number;
  /** ms since node's process start: V8 up, node bootstrap done, agent main() entered, agent listening. */
  nodeV8?: number;
  nodeBootstrap?: number;
  agentMain?: number;
  agentListening?: number;
  codeCache?: string;
  /** Host: createSandbox → the agent answered. */
  agentReady?: number;
}

export function parseConsole(text: string): BootPhases {
  const p: BootPhases = {};
  const num = (re: RegExp): number | undefined => {
    const m = re.exec(text);
    return m?.[1] ? Number(m[1]) * 1000 : undefined;
  };
  const root = num(/vessel-init: root image \S+ \([^)]*\) at ([\d.]+) s/);
  if (root !== undefined) p.rootMounted = root;
  const init = num(/vessel-init: kernel up ([\d.]+) s/);
  if (init !== undefined) p.initStarted = init;
  const mods = num(/vessel-init: boot modules loaded ([\d.]+) s/);
  if (mods !== undefined) p.modulesLoaded = mods;
  const later = num(/vessel-init: later modules loaded ([\d.]+) s/);
  if (later !== undefined) p.laterModulesLoaded = later;
  for (const line of text.split('\n')) {
    if (!line.includes('"agent ready"')) continue;
    try {
      const j = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>;
      if (typeof j.v8 === 'number') p.nodeV8 = j.v8;
      if (typeof j.boot === 'number') p.nodeBootstrap = j.boot;
      if (typeof j.main === 'number') p.agentMain = j.main;
      if (typeof j.t === 'number') p.agentListening = j.t;
      if (typeof j.cache === 'string') p.codeCache = j.cache;
    } catch {
      // a garbled console line: leave the phase unknown
    }
    break;
  }
  return p;
}

export function readConsolePhases(file: string): BootPhases {
  try {
    return parseConsole(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

function s(ms: number | undefined): string {
  return ms === undefined || Number.isNaN(ms) ? '?' : (ms / 1000).toFixed(2);
}

/** One line: the phases as durations, each from the end of the one before. */
export function formatPhases(p: BootPhases): string {
  const guestAgentUptime = p.modulesLoaded !== undefined && p.agentListening !== undefined ? p.modulesLoaded + p.agentListening : undefined;
  const beforeKernel = p.agentReady !== undefined && guestAgentUptime !== undefined && p.qemuUp !== undefined
    ? p.agentReady - p.qemuUp - guestAgentUptime : undefined;
  const kernelEnd = p.rootMounted ?? p.initStarted;
  const parts = [
    `qemu start ${s(p.qemuUp)}`,
    `kernel ${s(kernelEnd)}`,
    ...(p.rootMounted !== undefined && p.initStarted !== undefined ? [`switch_root ${s(p.initStarted - p.rootMounted)}`] : []),
    `init+modules ${s(p.modulesLoaded !== undefined && p.initStarted !== undefined ? p.modulesLoaded - p.initStarted : undefined)}`,
    `node bootstrap ${s(p.nodeBootstrap)}`,
    `agent load ${s(p.agentMain !== undefined && p.nodeBootstrap !== undefined ? p.agentMain - p.nodeBootstrap : undefined)} (${p.codeCache === 'snapshot' ? 'from the V8 snapshot, deserialized in node bootstrap' : `code cache ${p.codeCache ?? '?'}`})`,
    `agent init→listen ${s(p.agentListening !== undefined && p.agentMain !== undefined ? p.agentListening - p.agentMain : undefined)}`,
  ];
  // The remainder (firmware, kernel decompression before uptime 0, connecting): total − known parts.
  const rest = beforeKernel !== undefined ? `firmware+connect ${s(beforeKernel)}` : 'firmware+connect ?';
  const background = p.laterModulesLoaded !== undefined && guestAgentUptime !== undefined
    ? ` [background modules in at ${s(p.laterModulesLoaded)} s uptime, agent listening at ${s(guestAgentUptime)}]` : '';
  return [...parts, rest].join(' | ') + ' (s)' + background;
}
