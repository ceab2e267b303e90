import type { ColdPlugDevice } from './devices.js';
import type { HypervisorState } from './hypervisor.js';

/** What a checkpoint must recreate on the restored VM's root ports, and what makes one impossible. */
export interface CheckpointDevices {
  /** Devices to give the restored VM at boot, each pinned to the port it was on. */
  devices: ColdPlugDevice[];
  /** NICs hot plugged on root ports (a restore cannot recreate them yet). */
  nics: { id: string; bus: string }[];
  /** Reasons a checkpoint is impossible (a VFIO device…), in words. */
  blockers: string[];
  /** Guest RAM is a named memory backend (template clones, memfd), not the machine's default RAM: the restore must name it the same. */
  namedRam: boolean;
}

/** What a saved VM state file is for: a template (RAM stays in the shared file) or a whole checkpoint (RAM in the stream). */
export interface SaveStateOptions {
  /**
   * Leave RAM that lives in a shared file backend out of the stream (QEMU's
   * x-ignore-shared): the memory file itself is the template's RAM.
   */
  ignoreShared: boolean;
  onProgress?: (message: string) => void;
  /** Give up after this long. Default 10 min (a full RAM checkpoint under TCG). */
  timeoutMs?: number;
}

/**
 * The VM factory's view of a hypervisor: save a paused VM's state to a file,
 * load one into a VM started with `incoming`, and tell which hypervisor build
 * a state file belongs to. Implemented by the QEMU driver (migration to and
 * from a unix socket that Vessel streams to/from the file, so no shell is
 * involved), and behind this interface so the factory holds no QEMU strings.
 */
export interface SnapshotDriver {
  saveState(vm: HypervisorState, file: string, options: SaveStateOptions): Promise<{ bytes: number }>;
  /** Load `file` into a VM started with HypervisorConfig.incoming; the VM stays paused. */
  loadState(vm: HypervisorState, file: string, options: SaveStateOptions): Promise<void>;
  /** The devices on the VM's root ports, as a restore must recreate them. */
  checkpointDevices(vm: HypervisorState): Promise<CheckpointDevices>;
  /** The hypervisor's version string, part of every template key and checkpoint record. */
  version(hypervisorPath: string): Promise<string>;
}
