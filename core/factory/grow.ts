import { setTimeout as sleep } from 'node:timers/promises';
import { VesselError } from '../contract/index.js';
import type { AgentGuestDetails } from '../agent/client.js';
import type { Hypervisor, HypervisorState, ResourceHotplug } from '../hypervisor/hypervisor.js';
import type { AgentAccess } from './factory.js';

export interface Grown {
  addedVcpus: number;
  addedMemoryMiB: number;
  /** What the guest reports once it has them online. */
  details: AgentGuestDetails;
}

/**
 * Grow a running VM to `to` (base + hot added: the driver's CPU and memory
 * hot add) and wait until the guest has them online: the new CPUs and DIMMs
 * appear after an ACPI event, the agent onlines what has appeared
 * (OnlineCPUMem) until GetGuestDetails reports them all. Used by
 * `sandbox update` and by a template clone grown past its template's size.
 */
export async function growVm(driver: Hypervisor & ResourceHotplug, vm: HypervisorState, agent: AgentAccess, to: { vcpus: number; memoryMiB: number }, timeoutMs: number): Promise<Grown> {
  const call = Math.min(timeoutMs, 30_000);
  const before = await agent(vm, (c) => c.getGuestDetails(), call);
  const added = await driver.resizeVM(vm, to);
  // MemTotal grows by the DIMM's size less the kernel's page tables for it (struct pages): ~1.6 %.
  const wantKiB = before.memoryKiB + added.addedMemoryMiB * 1024 * 0.95;
  const deadline = Date.now() + timeoutMs;
  let details = before;
  while (details.cpus < to.vcpus || details.memoryKiB < wantKiB) {
    if (Date.now() > deadline) {
      throw new VesselError('E_TIMEOUT', `the guest did not bring the hot-added resources online in time (it reports ${details.cpus} CPU(s), ${Math.round(details.memoryKiB / 1024)} MiB)`);
    }
    const missing = to.vcpus - details.cpus;
    await agent(vm, (c) => c.onlineCpuMem(missing), call);
    await sleep(300);
    details = await agent(vm, (c) => c.getGuestDetails(), call);
  }
  return { ...added, details };
}
