// The network half of a sandbox's life, called by SandboxService at its
// hooks (create, boot, guest prepare, delete, status); the work is done by
// the NetworkManager (core/network) and the hypervisor driver.
import type { AgentClient } from '../agent/index.js';
import type { SandboxNetworkStatus } from '../contract/index.js';
import type { GuestNetConfig, NetworkManager } from '../network/index.js';

/** Interfaces first (the agent finds each by MAC), then routes: gateway-less ones first (the guest orders them too). */
export async function configureGuestNetwork(client: AgentClient, cfg: GuestNetConfig): Promise<void> {
  for (const i of cfg.interfaces) await client.updateInterface(i);
  if (cfg.routes.length) await client.updateRoutes(cfg.routes);
}

export function networkStatusOf(network: NetworkManager | undefined, id: string): SandboxNetworkStatus | null {
  if (!network) return null;
  try {
    const rec = network.read(id);
    return rec ? network.status(rec) : null;
  } catch {
    return null;
  }
}
