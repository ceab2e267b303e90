import { SandboxStore, resolveStoreRoot } from '../store/index.js';
import { checkHost, resolveAccel, type HostReport } from '../host/index.js';
import { SandboxService } from './sandbox-service.js';
import { ContainerService } from './container-service.js';
import { createFactory, readFactoryConfig } from '../factory/index.js';
import { CniNetworkManager, type NetworkManager } from '../network/index.js';
import { factoryKeepsVms, ImageService, rootfsTransportHooks, type ImageUse } from '../image/index.js';
import path from 'node:path';
import { DeviceService } from './device-service.js';
import { createDeviceManager } from '../device/index.js';

export { SandboxService, type SandboxServiceOptions, type ProgressListener, type AccelResolver } from './sandbox-service.js';
export * from './records.js';
export { ContainerService, findContainer, toContainerStatus, type ExecOptions, type ProcessIo } from './container-service.js';
export { parseSignal, signalName, SIGNALS } from './signals.js';
export { DeviceService, type DeviceProgressFn } from './device-service.js';
export { canTransition, assertContainerTransition } from './container-state.js';

/** Everything a front end (CLI, Electron main, `vessel serve`) needs, wired once. */
export interface Runtime {
  root: string;
  store: SandboxStore;
  sandboxes: SandboxService;
  containers: ContainerService;
  network: NetworkManager;
  images: ImageService;
  /** Host devices and the devices of sandboxes (core/device + the hypervisor's DeviceDriver). */
  devices: DeviceService;
  checkHost(): Promise<HostReport>;
  close(): void;
}

export interface RuntimeOptions {
  /** Accept requests for the mock hypervisor (a sleep process): tests and benchmarks only. */
  allowMockHypervisor?: boolean;
}

export function createRuntime(env: NodeJS.ProcessEnv = process.env, options: RuntimeOptions = {}): Runtime {
  const root = resolveStoreRoot(env);
  const store = new SandboxStore(root);
  // The VM factory; it follows enable_template in the config file on every create.
  readFactoryConfig(root); // a broken config file is an error at once, not at the first create
  const factory = createFactory(root, env).factory;
  // VESSEL_RESOLV_CONF: the resolv.conf guests get lines from (tests give their own; default /etc/resolv.conf).
  const network = new CniNetworkManager({ root, ...(env.VESSEL_RESOLV_CONF ? { resolvConfPath: env.VESSEL_RESOLV_CONF } : {}) });
  const deviceManager = createDeviceManager(store, env);
  const sandboxes = new SandboxService({
    store,
    devices: deviceManager,
    env,
    network,
    factory,
    rootfs: rootfsTransportHooks(root, env, () => factoryKeepsVms(readFactoryConfig(root))),
    allowMockHypervisor: Boolean(options.allowMockHypervisor),
    // The KVM probe result is cached in the store root, once per host boot.
    resolveAccel: (requested, kernelPath, qemuPath) => resolveAccel(requested, { kernelPath, qemuPath, cacheDir: root, env }),
  });
  const images = new ImageService(path.join(root, 'images'), { env, usedBy: () => imageUsers(sandboxes) });
  return {
    root,
    store,
    sandboxes,
    network,
    images,
    containers: new ContainerService(sandboxes, env, images),
    devices: new DeviceService(sandboxes, deviceManager),
    checkHost: () => checkHost({ cacheDir: root, env }),
    close: () => sandboxes.close(),
  };
}

/** Every container made from an image, in any sandbox and state: its overlay's lower layer is that image's tree. */
async function imageUsers(sandboxes: SandboxService): Promise<ImageUse[]> {
  const out: ImageUse[] = [];
  for (const s of await sandboxes.listSandbox()) {
    let containers;
    try {
      containers = (await sandboxes.readSandbox(s.id)).state.containers;
    } catch {
      continue;
    }
    for (const c of containers) {
      if (c.source.kind === 'image' && c.source.digest) out.push({ digest: c.source.digest, sandboxId: s.id, sandboxName: s.name, containerId: c.id, containerName: c.name });
    }
  }
  return out;
}
