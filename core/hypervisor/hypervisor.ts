import { join } from 'node:path';
import type { Accel, HypervisorType, MachineType, ProgressPhase } from '../contract/index.js';
import type { ColdPlugDevice, DeviceDriver } from './devices.js';

/** Everything a driver needs to start one VM. Paths are absolute. */
export interface HypervisorConfig {
  sandboxId: string;
  /** Binary to run, e.g. /usr/bin/qemu-system-x86_64. */
  hypervisorPath: string;
  machineType: MachineType;
  vcpus: number;
  memoryMiB: number;
  /** Room for vCPUs hot added later (-smp maxcpus); absent: none. */
  maxVcpus?: number;
  /** Room for memory hot added later as DIMMs (-m slots,maxmem), in MiB; q35/pc only. */
  maxMemoryMiB?: number;
  kernelPath: string;
  initrdPath?: string;
  /** A root filesystem image (virtio-blk) instead of an initrd. */
  imagePath?: string;
  /**
   * How imagePath reaches the guest (default virtio-blk): 'virtio-pmem' or
   * 'nvdimm' map the file into guest physical memory read-only, so a DAX
   * mount reads it straight from the host's page cache, shared by every VM
   * that maps the same file (see core/hypervisor/footprint.ts).
   */
  imageDevice?: ImageDevice;
  /** A virtio-balloon device; freePageReporting hands pages the guest frees back to the host. */
  balloon?: { freePageReporting: boolean };
  /** TCG only: the translation cache size in MiB (QEMU's default is 1 GiB, touched as code is translated). */
  tcgTbSizeMiB?: number;
  kernelParams: string[];
  accel: Accel;
  /**
   * A host directory shared with the guest over virtio-9p (mount tag
   * `vessel-shared`; the agent mounts it at /run/vessel/shared). Container
   * root filesystems live under it.
   */
  sharedDir?: string;
  /**
   * How sharedDir reaches the guest (default virtio-9p, QEMU's own server):
   * virtio-fs connects a vhost-user-fs device to a virtiofsd already serving
   * it on socketPath (same mount tag); guest RAM is then rendered shared
   * (memoryBackendArgs), as vhost-user needs.
   */
  sharedDirTransport?: SharedDirTransport;
  /** Where guest RAM lives. Default: plain anonymous memory. */
  memoryBackend?: MemoryBackend;
  /**
   * Start paused and wait for a migration stream instead of booting
   * (QEMU: -S -incoming defer): the VM factory's clone and restore path.
   */
  incoming?: boolean;
  /** NICs cold-plugged at boot (see VmNetworkConfig); QEMU then runs inside netnsPath. */
  network?: VmNetworkConfig;
  /** q35: how many pcie-root-port slots for hot plug (rp0..rpN-1). Default 8. */
  pcieRootPorts?: number;
  /** Devices given to the VM at boot, one root port each (rp0, rp1, …). */
  coldPlugDevices?: ColdPlugDevice[];
  /**
   * q35: a virtual IOMMU (QEMU intel-iommu), so the guest can bind a passed-through
   * device to its own vfio-pci and hand /dev/vfio/N to a container (Kata's vfio mode).
   * Only at boot: an IOMMU cannot be hot added.
   */
  viommu?: boolean;
  /** Guest RAM: plain anonymous memory (default), or shared memfd (vhost-user), or a file (templates). */
}

/** A NIC on the VM: a tap in the sandbox's namespace (opened by Vessel, passed as an fd), or user-mode networking. */
/** bus: the PCIe root port the NIC goes on (a restore of a NIC that was hot plugged there); default the root bus. */
export type VmNic =
  /** device: the macvtap character device to open instead of the tap by name (macvtap model). */
  | { kind: 'tap'; id: string; tap: string; mac: string; device?: string; bus?: string }
  | { kind: 'user'; id: string; mac: string; hostForwards: UserHostForward[]; bus?: string }
  /** User-mode networking by a passt process already listening on socketPath (QEMU ≥ 7.2: -netdev stream); its forwards are passt's own. */
  | { kind: 'stream'; id: string; mac: string; socketPath: string; bus?: string }
  /** A vhost-user-net backend's socket (needs guest RAM shared with the backend: a memfd memory backend). Not wired to an endpoint yet. */
  | { kind: 'vhost-user'; id: string; mac: string; socketPath: string }
  /** A physical NIC handed over whole with VFIO (its PCI address). Not wired to an endpoint yet: no VFIO here. */
  | { kind: 'vfio'; id: string; mac: string; pciAddress: string };

/** A host port forwarded into the guest by user-mode networking. */
export interface UserHostForward { protocol: 'tcp' | 'udp'; hostIp: string; hostPort: number; guestPort: number }

/** Optional driver capability: change the forwards of a running VM's user-mode NIC (QEMU slirp: HMP hostfwd_add/remove). */
export interface UserNetForwards {
  /** Fails with E_BUSY naming the port when the host port cannot be bound; nothing changes then. */
  addUserForward(state: HypervisorState, nicId: string, forward: UserHostForward): Promise<void>;
  /** Idempotent: a forward already gone is not an error. */
  removeUserForward(state: HypervisorState, nicId: string, forward: UserHostForward): Promise<void>;
}

export function supportsUserNetForwards(h: Hypervisor): h is Hypervisor & UserNetForwards {
  return typeof (h as Partial<UserNetForwards>).addUserForward === 'function' && typeof (h as Partial<UserNetForwards>).removeUserForward === 'function';
}

export interface VmNetworkConfig {
  /** The network namespace QEMU runs in (required when a NIC is a tap). */
  netnsPath?: string;
  nics: VmNic[];
}

/**
 * What hot plug of a NIC needs. A tap (or macvtap device) is opened in the
 * sandbox's namespace and handed to QEMU; a user-mode NIC is QEMU's slirp
 * with its forwards; a stream NIC connects to a passt already listening.
 */
export type NicHotplugRequest =
  | { kind: 'tap'; id: string; netnsPath: string; tap: string; mac: string; /** The macvtap character device (macvtap model) instead of the tap by name. */ device?: string }
  | { kind: 'user'; id: string; mac: string; hostForwards: UserHostForward[] }
  | { kind: 'stream'; id: string; mac: string; socketPath: string };

/**
 * The hot plug requests that give a running VM the NICs `net` would give it
 * at boot (a template clone or a cached VM starts without them), or why
 * they cannot be hot plugged.
 */
export function nicHotplugPlan(net: VmNetworkConfig | undefined): { nics: NicHotplugRequest[] } | { reason: string } {
  const nics: NicHotplugRequest[] = [];
  for (const nic of net?.nics ?? []) {
    if (nic.kind === 'tap') {
      if (!net?.netnsPath) return { reason: `NIC ${nic.id} is a tap but no network namespace was given` };
      nics.push({ kind: 'tap', id: nic.id, netnsPath: net.netnsPath, tap: nic.tap, mac: nic.mac, ...(nic.device ? { device: nic.device } : {}) });
    } else if (nic.kind === 'user') {
      nics.push({ kind: 'user', id: nic.id, mac: nic.mac, hostForwards: nic.hostForwards });
    } else if (nic.kind === 'stream') {
      nics.push({ kind: 'stream', id: nic.id, mac: nic.mac, socketPath: nic.socketPath });
    } else {
      return { reason: `NIC ${nic.id} is ${nic.kind}, which is not hot plugged into a restored VM` };
    }
  }
  return { nics };
}

/** Optional driver capability: NIC hot plug (QEMU: getfd + netdev_add + device_add on a free root port). */
export interface NicHotplug {
  hotplugNic(state: HypervisorState, nic: NicHotplugRequest, onProgress?: ProgressFn): Promise<void>;
  /** device_del, wait for DEVICE_DELETED (timeout → E_TIMEOUT), netdev_del. */
  unplugNic(state: HypervisorState, id: string, timeoutMs?: number): Promise<void>;
}

export function supportsNicHotplug(h: Hypervisor): h is Hypervisor & NicHotplug {
  return typeof (h as Partial<NicHotplug>).hotplugNic === 'function' && typeof (h as Partial<NicHotplug>).unplugNic === 'function';
}

export type SharedDirTransport = { kind: 'virtio-9p' } | { kind: 'virtio-fs'; socketPath: string };

export type ImageDevice = 'virtio-blk' | 'virtio-pmem' | 'nvdimm';

/**
 * Guest RAM: anonymous (default); a memfd (shared for vhost-user/virtio-fs);
 * or a file: shared=true maps it MAP_SHARED (a VM template writes its RAM
 * there), shared=false maps the same file privately, copy-on-write (a clone).
 */
export type MemoryBackend =
  | { kind: 'anonymous' }
  | { kind: 'memfd'; shared: boolean }
  | { kind: 'file'; path: string; shared: boolean };

/** Where a running VM's control and data endpoints live (per-sandbox run dir). */
export interface VmPaths {
  runDir: string;
  qmpSocket: string;
  consoleSocket: string;
  agentSocket: string;
  /** The data plane's port (virtio-serial `vessel.io`: framed process stdio, see core/agent/proto/io-frames.ts). */
  ioSocket?: string;
  pidFile: string;
  /** The hypervisor's own log (QEMU: -D). */
  logFile: string;
  /** Everything the guest printed on its serial console. Default: runDir/console.log. */
  consoleLog?: string;
}

/** The standard layout of a VM's run directory. Keep runDir short: unix socket paths are limited to 107 bytes. */
export function vmPathsIn(runDir: string): VmPaths {
  return {
    runDir,
    qmpSocket: join(runDir, 'qmp.sock'),
    consoleSocket: join(runDir, 'console.sock'),
    agentSocket: join(runDir, 'agent.sock'),
    ioSocket: join(runDir, 'io.sock'),
    pidFile: join(runDir, 'hypervisor.pid'),
    logFile: join(runDir, 'hypervisor.log'),
    consoleLog: join(runDir, 'console.log'),
  };
}

export function consoleLogPath(paths: VmPaths): string {
  return paths.consoleLog ?? join(paths.runDir, 'console.log');
}

/** What must be persisted to find and drive the VM again from another process. */
export interface HypervisorState {
  type: HypervisorType;
  pid: number;
  /** Process start time (clock ticks since boot, /proc/PID/stat field 22). A pid is ours only if this matches. */
  pidStartTime: number;
  accel: Accel;
  paths: VmPaths;
  /** The VM has a virtual IOMMU (HypervisorConfig.viommu): devices can be bound to the guest's vfio-pci. */
  viommu?: boolean;
}

export type ProgressFn = (phase: ProgressPhase, message: string) => void;

/** Optional driver capability: vCPU and memory hot add (QEMU: device_add of CPUs and pc-dimms over QMP). */
export interface ResourceHotplug {
  /** Grow the VM to `vcpus` vCPUs and `memoryMiB` MiB (base + hot added). Returns what was added; never shrinks. */
  resizeVM(state: HypervisorState, target: { vcpus: number; memoryMiB: number }): Promise<{ addedVcpus: number; addedMemoryMiB: number }>;
}

export function supportsResourceHotplug(h: Hypervisor): h is Hypervisor & ResourceHotplug {
  return typeof (h as Partial<ResourceHotplug>).resizeVM === 'function';
}

/** A virtcontainers-style hypervisor driver. */
export interface Hypervisor {
  readonly type: HypervisorType;
  /** Start the VM (not paused) and return once the hypervisor's control channel answers. */
  startVM(config: HypervisorConfig, paths: VmPaths, onProgress?: ProgressFn): Promise<HypervisorState>;
  /** Graceful stop (quit via control channel); force kills the process. Resolves when the process is gone. */
  stopVM(state: HypervisorState, options: { force: boolean }): Promise<void>;
  pauseVM(state: HypervisorState): Promise<void>;
  resumeVM(state: HypervisorState): Promise<void>;
  /** True when the recorded process is alive and is the one we started (start time matches). */
  isAlive(state: HypervisorState): boolean;
  /** Call onExit once when the VM process goes away. Returns a function that stops watching. */
  watch(state: HypervisorState, onExit: (reason: string) => void): () => void;
  /** Hot plug and unplug of PCI and block devices; absent when the driver cannot. */
  readonly devices?: DeviceDriver;
}
