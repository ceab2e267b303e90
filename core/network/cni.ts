// Running a CNI plugin chain (a conflist) the way libcni does: ADD in order,
// each plugin given the previous one's result; DEL in reverse with the
// cached result; CHECK in order. Plugin results are validated with zod.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { VesselError, type PortMapping } from '../contract/index.js';
import { runTool } from './exec.js';

export const CNI_VERSION = '1.0.0';
export const DEFAULT_CNI_PATH = '/usr/lib/cni';

export const CniResult = z.object({
  cniVersion: z.string(),
  interfaces: z.array(z.object({ name: z.string(), mac: z.string().optional(), sandbox: z.string().optional() })).default([]),
  ips: z.array(z.object({ address: z.string(), gateway: z.string().optional(), interface: z.number().int().optional() })).default([]),
  routes: z.array(z.object({ dst: z.string(), gw: z.string().optional() })).default([]),
  dns: z.object({ nameservers: z.array(z.string()).optional(), search: z.array(z.string()).optional(), options: z.array(z.string()).optional() }).default({}),
}).loose();
export type CniResult = z.infer<typeof CniResult>;

const CniError = z.object({ code: z.number(), msg: z.string(), details: z.string().optional() });

export type CniPluginConfig = Record<string, unknown> & { type: string };
export interface CniConfList {
  cniVersion: string;
  name: string;
  plugins: CniPluginConfig[];
}

export interface CniInvocation {
  containerId: string;
  netnsPath: string;
  ifName: string;
  /** runtimeConfig for plugins that declare the capability (portMappings). */
  portMappings?: PortMapping[];
}

/** The plugin's config as libcni hands it over: name, version, runtimeConfig, prevResult. */
export function pluginInput(list: CniConfList, plugin: CniPluginConfig, inv: CniInvocation, prevResult: CniResult | null): Record<string, unknown> {
  const out: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  const caps = (plugin.capabilities ?? {}) as Record<string, unknown>;
  delete out.capabilities;
  if (caps.portMappings === true) {
    out.runtimeConfig = {
      portMappings: (inv.portMappings ?? []).map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, hostIP: p.hostIp })),
    };
  }
  if (prevResult) out.prevResult = prevResult;
  return out;
}

export class CniRunner {
  constructor(private readonly cniPath = DEFAULT_CNI_PATH) {}

  private pluginBinary(type: string): string {
    if (!/^[a-z0-9-]+$/.test(type)) throw new VesselError('E_INVALID_ARGUMENT', `invalid CNI plugin type "${type}"`);
    const file = path.join(this.cniPath, type);
    if (!existsSync(file)) {
      throw new VesselError('E_MISSING_DEPENDENCY', `CNI plugin ${type} not found in ${this.cniPath}: apt-get install containernetworking-plugins`, { plugin: type });
    }
    return file;
  }

  private async invoke(command: 'ADD' | 'DEL' | 'CHECK', list: CniConfList, plugin: CniPluginConfig, inv: CniInvocation, prev: CniResult | null): Promise<CniResult | null> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: inv.containerId,
      CNI_NETNS: inv.netnsPath,
      CNI_IFNAME: inv.ifName,
      CNI_PATH: this.cniPath,
    };
    const input = JSON.stringify(pluginInput(list, plugin, inv, prev));
    const r = await runTool(this.pluginBinary(plugin.type), [], { input, env, timeoutMs: 60_000 });
    if (r.code !== 0) {
      let msg = (r.stderr || r.stdout).trim();
      try {
        const e = CniError.parse(JSON.parse(r.stdout));
        msg = `${e.msg}${e.details ? `: ${e.details}` : ''}`;
      } catch {
        // not a CNI error object: keep the raw text
      }
      throw new VesselError('E_NETWORK', `CNI ${plugin.type} ${command} on network ${list.name} failed: ${msg.slice(0, 500) || `exit ${r.code}`}`, { plugin: plugin.type, command });
    }
    if (command !== 'ADD') return null;
    let json: unknown;
    try {
      json = JSON.parse(r.stdout);
    } catch {
      throw new VesselError('E_NETWORK', `CNI ${plugin.type} ADD printed no JSON result`, { plugin: plugin.type });
    }
    const parsed = CniResult.safeParse(json);
    if (!parsed.success) throw new VesselError('E_NETWORK', `CNI ${plugin.type} ADD result is malformed: ${parsed.error.issues[0]?.message ?? ''}`);
    return parsed.data;
  }

  /** ADD through the chain; on failure the plugins already run are DELeted (nothing half-made). */
  async add(list: CniConfList, inv: CniInvocation, prevResult: CniResult | null = null): Promise<CniResult> {
    let prev: CniResult | null = prevResult;
    const done: CniPluginConfig[] = [];
    try {
      for (const plugin of list.plugins) {
        prev = await this.invoke('ADD', list, plugin, inv, prev);
        done.push(plugin);
      }
    } catch (err) {
      // The failing plugin may have half-run too: DEL is idempotent, so include it.
      const failed = list.plugins[done.length];
      await this.del({ ...list, plugins: failed ? [...done, failed] : done }, inv, prev).catch(() => undefined);
      throw err;
    }
    if (!prev) throw new VesselError('E_NETWORK', `network ${list.name} has no plugins`);
    return prev;
  }

  /** DEL in reverse order; every plugin is tried, the first error is thrown at the end. */
  async del(list: CniConfList, inv: CniInvocation, prevResult: CniResult | null): Promise<void> {
    let first: unknown = null;
    for (const plugin of [...list.plugins].reverse()) {
      try {
        await this.invoke('DEL', list, plugin, inv, prevResult);
      } catch (err) {
        first ??= err;
      }
    }
    if (first) throw first;
  }

  async check(list: CniConfList, inv: CniInvocation, prevResult: CniResult): Promise<void> {
    for (const plugin of list.plugins) await this.invoke('CHECK', list, plugin, inv, prevResult);
  }
}
