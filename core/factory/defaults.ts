import { join } from 'node:path';
import { CreateSandboxRequest } from '../contract/index.js';
import { guestImageDir, readGuestManifest } from '../agent/index.js';
import { resolveQemuBinary } from '../hypervisor/index.js';
import type { HypervisorConfig } from '../hypervisor/hypervisor.js';
import { resolveAccel } from '../host/index.js';
import { footprintSettings } from '../hypervisor/footprint.js';
import { DEFAULT_PCIE_ROOT_PORTS } from '../hypervisor/qemu/root-ports.js';

/**
 * The VM a sandbox created with these options gets (what its template is
 * keyed on), as SandboxService builds it: the guest image's kernel, initrd
 * and parameters, the shared directory, the resolved accelerator.
 */
export async function sandboxVmConfig(storeRoot: string, request: CreateSandboxRequest = {}, env: NodeJS.ProcessEnv = process.env): Promise<HypervisorConfig> {
  const opts = CreateSandboxRequest.parse(request);
  const manifest = readGuestManifest(guestImageDir(env));
  const hypervisorPath = resolveQemuBinary(env);
  const { accel } = await resolveAccel(opts.accel, { kernelPath: manifest.kernelPath, qemuPath: hypervisorPath, cacheDir: storeRoot, env });
  return {
    sandboxId: 'template',
    hypervisorPath,
    machineType: opts.machineType,
    vcpus: opts.vcpus,
    memoryMiB: opts.memoryMiB,
    kernelPath: manifest.kernelPath,
    initrdPath: manifest.initrdPath,
    // The same device layout SandboxService gives a sandbox: the shared root image and the footprint settings.
    ...(manifest.rootImagePath ? { imagePath: manifest.rootImagePath } : {}),
    ...footprintSettings(env),
    kernelParams: [...manifest.kernelParams, ...opts.kernelParams],
    accel,
    ...(opts.machineType === 'q35' ? { pcieRootPorts: opts.pcieRootPorts ?? DEFAULT_PCIE_ROOT_PORTS } : {}),
    // Hot-add room changes the machine (ACPI CPU slots, DIMM slots), as SandboxService gives it.
    ...(opts.maxVcpus !== undefined ? { maxVcpus: opts.maxVcpus } : {}),
    ...(opts.maxMemoryMiB !== undefined ? { maxMemoryMiB: opts.maxMemoryMiB } : {}),
    // Only its presence matters for the template (a 9p device at boot).
    sharedDir: join(storeRoot, 'shared'),
  };
}
