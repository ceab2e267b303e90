import type { Hypervisor, HypervisorConfig, HypervisorState, VmPaths } from '../hypervisor/hypervisor.js';
import type { AgentClient } from '../agent/index.js';
import type { VmOrigin } from '../contract/index.js';

export type { VmOrigin } from '../contract/index.js';

/**
 * One place for the agent connection a factory uses on a VM it hands out
 * (the sandbox service's shared connection; later the channel owner's):
 * a fresh connection after a restore comes from here.
 */
export type AgentAccess = <T>(vm: HypervisorState, fn: (client: AgentClient) => Promise<T>, timeoutMs: number) => Promise<T>;

export interface GetVmRequest {
  /** The VM the sandbox asks for (its own paths, shared dir, sizes). */
  config: HypervisorConfig;
  paths: VmPaths;
  driver: Hypervisor;
  agent: AgentAccess;
  onProgress?: (message: string) => void;
}

export interface GotVm {
  vm: HypervisorState;
  origin: VmOrigin;
}

/**
 * Called after a clone is restored and made unique, before it runs a
 * workload: where the networking issue hot plugs the sandbox's NICs (a
 * clone boots without any).
 */
export type AfterRestoreHook = (vm: HypervisorState, config: HypervisorConfig) => Promise<void>;

/** virtcontainers' factory.FactoryBase: where a sandbox's VM comes from. */
export interface Factory {
  /** A running VM for this sandbox from the best source (cache, template, direct boot), made unique. */
  getVM(request: GetVmRequest): Promise<GotVm>;
  /** What the factory expects for this request without doing it (the create dialog's hint). */
  expectedSource(config: HypervisorConfig): Promise<{ source: VmOrigin['source']; reason: string; expectedMs: number | null }>;
  close(): void;
}
