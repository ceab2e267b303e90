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
    // As SandboxService.buildConfig: the shared read-only root image, the footprint settings, the root ports.
    ...(manifest.rootImagePath ? { imagePath: manifest.rootImagePath } : {}),
    ...footprintSettings(env),
    ...(opts.machineType === 'q35' ? { pcieRootPorts: opts.pcieRootPorts ?? DEFAULT_PCIE_ROOT_PORTS } : {}),
    kernelParams: [...manifest.kernelParams, ...opts.kernelParams],
    accel,
    // Only its presence matters for the template (a 9p device at boot).
    sharedDir: join(storeRoot, 'shared'),
  };
}
