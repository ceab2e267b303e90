import { VesselError } from '../contract/index.js';
import { supportsResourceHotplug } from '../hypervisor/hypervisor.js';
import type { SandboxStore } from '../store/index.js';
import { SandboxConfigRecord } from './records.js';
import { growVm } from '../factory/grow.js';
import type { SandboxService } from './sandbox-service.js';

export interface ResizeRequest {
  vcpus?: number;
  memoryMiB?: number;
}

export interface ResizeResult {
  vcpus: number;
  memoryMiB: number;
  addedVcpus: number;
  addedMemoryMiB: number;
  /** What the guest reports once it onlined them. */
  guestCpus: number;
  guestMemoryKiB: number;
}

/**
 * Grow a running sandbox's VM (`vessel sandbox update ID --cpus N --memory M`):
 * vCPUs and memory hot added by the driver, onlined by the guest agent
 * (OnlineCPUMem), until the guest reports them. Within the room set at
 * create (--max-vcpus, --max-memory); never shrinks (no hot remove). The
 * sandbox's config records the new size, so a restart boots with it.
 */
export async function resizeSandbox(sandboxes: SandboxService, store: SandboxStore, id: string, request: ResizeRequest, timeoutMs = 120_000): Promise<ResizeResult> {
  return sandboxes.withSandbox(id, async (config, state) => {
    const vm = state.hypervisorState;
    if (!vm || (state.state !== 'ready' && state.state !== 'running')) {
      throw new VesselError('E_INVALID_STATE', `sandbox ${config.name} is ${state.state}: only a ready or running sandbox can be resized`);
    }
    const hc = config.hypervisorConfig;
    const vcpus = request.vcpus ?? hc.vcpus;
    const memoryMiB = request.memoryMiB ?? hc.memoryMiB;
    if (vcpus < hc.vcpus || memoryMiB < hc.memoryMiB) {
      throw new VesselError('E_UNSUPPORTED', `sandbox ${config.name} has ${hc.vcpus} vCPU / ${hc.memoryMiB} MiB: vCPUs and memory can only grow while it runs (no hot remove)`);
    }
    if (vcpus > (hc.maxVcpus ?? hc.vcpus)) {
      throw new VesselError('E_INVALID_ARGUMENT', `sandbox ${config.name} has room for ${hc.maxVcpus ?? hc.vcpus} vCPUs: create it with --max-vcpus ${vcpus} to grow it to ${vcpus}`);
    }
    if (memoryMiB > (hc.maxMemoryMiB ?? hc.memoryMiB)) {
      throw new VesselError('E_INVALID_ARGUMENT', `sandbox ${config.name} has room for ${hc.maxMemoryMiB ?? hc.memoryMiB} MiB: create it with --max-memory ${memoryMiB} to grow it to ${memoryMiB} MiB`);
    }
    if ((memoryMiB - hc.memoryMiB) % 128 !== 0) {
      throw new VesselError('E_INVALID_ARGUMENT', `memory grows in steps of 128 MiB (the guest's memory block): ${hc.memoryMiB} MiB + a multiple of 128, e.g. ${hc.memoryMiB + Math.max(128, Math.round((memoryMiB - hc.memoryMiB) / 128) * 128)} MiB`);
    }
    const driver = sandboxes.hypervisorOf(config);
    if (!supportsResourceHotplug(driver)) throw new VesselError('E_UNSUPPORTED', `the ${config.hypervisor} driver cannot hot add vCPUs or memory`);
    const { details, ...added } = await growVm(driver, vm, (v, fn, t) => sandboxes.withAgent(id, v, fn, t), { vcpus, memoryMiB }, timeoutMs);
    const next = SandboxConfigRecord.parse({ ...config, hypervisorConfig: { ...hc, vcpus, memoryMiB } });
    await store.writeConfig(id, next);
    return {
      state: { ...state, ...(state.guest ? { guest: { ...state.guest, cpus: details.cpus, memoryKiB: details.memoryKiB } } : {}) },
      result: { vcpus, memoryMiB, ...added, guestCpus: details.cpus, guestMemoryKiB: details.memoryKiB },
    };
  }) as Promise<ResizeResult>;
}
