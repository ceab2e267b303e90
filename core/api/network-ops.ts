// Live network changes of a sandbox: connect/disconnect a network (NIC hot
// plug through the hypervisor driver, the host side through the
// NetworkManager, the guest side through the agent), port forwards, and
// per-NIC counters. Each step is undone when a later one fails.
import { VesselError, type NicStats, type PortMapping, type SandboxStatus } from '../contract/index.js';
import { supportsNicHotplug, supportsUserNetForwards, type Hypervisor, type UserHostForward } from '../hypervisor/hypervisor.js';
import type { NetworkManager } from '../network/index.js';
import type { ProgressListener, SandboxService } from './sandbox-service.js';
import type { SandboxConfigRecord } from './records.js';
import { configureGuestNetwork } from './sandbox-network.js';

export interface NetworkOpsContext {
  service: SandboxService;
  network: NetworkManager | undefined;
  hypervisor: (config: SandboxConfigRecord) => Hypervisor;
}

function need(ctx: NetworkOpsContext): NetworkManager {
  if (!ctx.network) throw new VesselError('E_UNSUPPORTED', 'this Vessel runtime has no networking');
  return ctx.network;
}

export async function connectNetwork(ctx: NetworkOpsContext, id: string, network: string, onProgress?: ProgressListener): Promise<SandboxStatus> {
  const net = need(ctx);
  await ctx.service.withSandbox(id, async (config, state) => {
    const vm = state.state === 'stopped' ? null : state.hypervisorState;
    if (state.state === 'paused') throw new VesselError('E_INVALID_STATE', `sandbox ${id} is paused: resume it to connect a network`);
    onProgress?.('prepare', `attaching the sandbox's namespace to ${network} (CNI ADD)`);
    const nic = await net.prepareNic(id, network);
    if (vm) {
      const driver = ctx.hypervisor(config);
      if (!supportsNicHotplug(driver)) {
        await net.releaseNic(id, nic.id);
        throw new VesselError('E_UNSUPPORTED', `the ${config.hypervisor} driver cannot hot plug NICs`);
      }
      const rec = net.read(id);
      if (!rec?.netnsPath || !nic.tap) throw new VesselError('E_INTERNAL', 'network record lost during connect');
      try {
        await driver.hotplugNic(vm, { kind: 'tap', id: nic.id, netnsPath: rec.netnsPath, tap: nic.tap, mac: nic.mac, ...(nic.device ? { device: nic.device } : {}) }, (phase, message) => onProgress?.(phase, message));
      } catch (err) {
        await net.releaseNic(id, nic.id).catch(() => undefined);
        throw err;
      }
      try {
        onProgress?.('guest', `configuring ${nic.ips.join(',')} in the guest`);
        // Only the subnet route: the first NIC keeps the default route.
        const cfg = net.guestConfig(rec, [nic]);
        await ctx.service.withAgent(id, vm, (c) => configureGuestNetwork(c, { ...cfg, routes: cfg.routes.filter((r) => r.dest !== 'default') }), 30_000);
      } catch (err) {
        await driver.unplugNic(vm, nic.id).catch(() => undefined);
        await net.releaseNic(id, nic.id).catch(() => undefined);
        throw err;
      }
    }
    await net.commitNic(id, nic.id);
    onProgress?.('done', `connected to ${network} as ${nic.id}`);
    return { result: undefined };
  });
  return ctx.service.statusSandbox(id);
}

export async function disconnectNetwork(ctx: NetworkOpsContext, id: string, network: string): Promise<SandboxStatus> {
  const net = need(ctx);
  await ctx.service.withSandbox(id, async (config, state) => {
    const rec = net.read(id);
    const nic = rec?.nics.find((n) => n.network === network);
    if (!rec || !nic) throw new VesselError('E_NOT_FOUND', `sandbox ${id} is not connected to network ${network}`);
    if (state.state === 'paused') throw new VesselError('E_INVALID_STATE', `sandbox ${id} is paused: resume it to disconnect a network`);
    const vm = state.state === 'stopped' ? null : state.hypervisorState;
    if (vm) {
      const driver = ctx.hypervisor(config);
      if (!supportsNicHotplug(driver)) throw new VesselError('E_UNSUPPORTED', `the ${config.hypervisor} driver cannot hot unplug NICs`);
      await driver.unplugNic(vm, nic.id);
    }
    await net.releaseNic(id, nic.id);
    return { result: undefined };
  });
  return ctx.service.statusSandbox(id);
}

export async function updatePorts(ctx: NetworkOpsContext, id: string, verb: 'add' | 'remove', port: PortMapping): Promise<SandboxStatus> {
  const net = need(ctx);
  await ctx.service.withSandbox(id, async (config, state) => {
    const rec = net.read(id);
    if (!rec) throw new VesselError('E_NOT_FOUND', `sandbox ${id} has no network`);
    const vm = state.state === 'stopped' ? null : state.hypervisorState;
    const driver = vm ? ctx.hypervisor(config) : null;
    const live = vm && driver && supportsUserNetForwards(driver)
      ? { add: (nicId: string, f: UserHostForward) => driver.addUserForward(vm, nicId, f), remove: (nicId: string, f: UserHostForward) => driver.removeUserForward(vm, nicId, f) }
      : undefined;
    const same = (p: PortMapping): boolean => p.hostPort === port.hostPort && p.protocol === port.protocol;
    if (verb === 'add' && rec.ports.some(same)) throw new VesselError('E_ALREADY_EXISTS', `host port ${port.hostPort}/${port.protocol} is already forwarded to this sandbox`);
    if (verb === 'remove' && !rec.ports.some(same)) throw new VesselError('E_NOT_FOUND', `host port ${port.hostPort}/${port.protocol} is not forwarded to this sandbox`);
    await net.setPorts(id, verb === 'add' ? [...rec.ports, port] : rec.ports.filter((p) => !same(p)), { vmRunning: Boolean(vm), ...(live ? { live } : {}) });
    return { result: undefined };
  });
  return ctx.service.statusSandbox(id);
}

/** Per-NIC counters: host side (the tap), guest side (the agent's /proc/net/dev), matched by MAC. */
export async function networkStats(ctx: NetworkOpsContext, id: string): Promise<NicStats[]> {
  const net = ctx.network;
  const rec = net?.read(id);
  if (!net || !rec || rec.nics.length === 0) return [];
  const host = await net.hostCounters(rec);
  const { state } = await ctx.service.readSandbox(id);
  let guest: Awaited<ReturnType<import('../agent/index.js').AgentClient['listNetworkStats']>> = [];
  if (state.hypervisorState && state.state === 'running') {
    const vm = state.hypervisorState;
    guest = await ctx.service.withAgent(id, vm, (c) => c.listNetworkStats(), 5_000).catch(() => []);
  }
  return rec.nics.map((n) => {
    const g = guest.find((s) => s.hwAddr.toLowerCase() === n.mac.toLowerCase());
    return {
      id: n.id, network: n.network, mac: n.mac, host: host.get(n.id) ?? null,
      guest: g ? { rxBytes: g.rxBytes, rxPackets: g.rxPackets, rxErrors: g.rxErrors, rxDropped: g.rxDropped, txBytes: g.txBytes, txPackets: g.txPackets, txErrors: g.txErrors, txDropped: g.txDropped } : null,
    };
  });
}
