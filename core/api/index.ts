import { SandboxStore, resolveStoreRoot } from '../store/index.js';
import { checkHost, resolveAccel, type HostReport } from '../host/index.js';
import { SandboxService } from './sandbox-service.js';
import { ContainerService } from './container-service.js';
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
  const deviceManager = createDeviceManager(store, env);
  const sandboxes = new SandboxService({
    store,
    devices: deviceManager,
    env,
    allowMockHypervisor: Boolean(options.allowMockHypervisor),
    // The KVM probe result is cached in the store root, once per host boot.
    resolveAccel: (requested, kernelPath, qemuPath) => resolveAccel(requested, { kernelPath, qemuPath, cacheDir: root, env }),
  });
  return {
    root,
    store,
    sandboxes,
    containers: new ContainerService(sandboxes, env),
    devices: new DeviceService(sandboxes, deviceManager),
    checkHost: () => checkHost({ cacheDir: root, env }),
    close: () => sandboxes.close(),
  };
}
