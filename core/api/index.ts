import { SandboxStore, resolveStoreRoot } from '../store/index.js';
import { checkHost, resolveAccel, type HostReport } from '../host/index.js';
import { SandboxService } from './sandbox-service.js';
import { ContainerService } from './container-service.js';
import { createFactory, readFactoryConfig } from '../factory/index.js';
import { CniNetworkManager, type NetworkManager } from '../network/index.js';

export { SandboxService, type SandboxServiceOptions, type ProgressListener, type AccelResolver } from './sandbox-service.js';
export * from './records.js';
export { ContainerService, findContainer, toContainerStatus, type ExecOptions, type ProcessIo } from './container-service.js';
export { parseSignal, signalName, SIGNALS } from './signals.js';
export { canTransition, assertContainerTransition } from './container-state.js';

/** Everything a front end (CLI, Electron main, `vessel serve`) needs, wired once. */
export interface Runtime {
  root: string;
  store: SandboxStore;
  sandboxes: SandboxService;
  containers: ContainerService;
  network: NetworkManager;
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
  const sandboxes = new SandboxService({
    store,
    env,
    network,
    factory,
    allowMockHypervisor: Boolean(options.allowMockHypervisor),
    // The KVM probe result is cached in the store root, once per host boot.
    resolveAccel: (requested, kernelPath, qemuPath) => resolveAccel(requested, { kernelPath, qemuPath, cacheDir: root, env }),
  });
  return {
    root,
    store,
    sandboxes,
    containers: new ContainerService(sandboxes, env),
    network,
    checkHost: () => checkHost({ cacheDir: root, env }),
    close: () => sandboxes.close(),
  };
}
