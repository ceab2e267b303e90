import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { VesselError, type HypervisorType } from '../contract/index.js';
import type { Hypervisor } from './hypervisor.js';
import { MockHypervisor, type MockHypervisorOptions } from './mock.js';
import { QEMU_INSTALL_HINT, QemuHypervisor, type QemuHypervisorOptions } from './qemu/qemu.js';

export * from './hypervisor.js';
export { MockHypervisor, type MockHypervisorOptions } from './mock.js';
export { QemuHypervisor, type QemuHypervisorOptions, assertQemuBinary, exitReasonFromConsole } from './qemu/qemu.js';
export { buildQemuArgs, validateVmRequest, kernelCommandLine, cpuModelFor, escapeQemuOptValue, AGENT_PORT_NAME } from './qemu/cmdline.js';
export { QmpClient, QmpStatusInfo, QmpEvent, QmpEmpty, type QmpConnectOptions } from './qemu/qmp.js';

export const QEMU_BINARY = 'qemu-system-x86_64';

export interface DriverOptions {
  qemu?: QemuHypervisorOptions;
  mock?: MockHypervisorOptions;
}

/** The driver for a hypervisor type. Firecracker and Cloud Hypervisor are not implemented yet. */
export function createHypervisor(type: HypervisorType, options: DriverOptions = {}): Hypervisor {
  switch (type) {
    case 'qemu':
      return new QemuHypervisor(options.qemu);
    case 'mock':
      return new MockHypervisor(options.mock);
    case 'firecracker':
    case 'cloud-hypervisor':
      throw new VesselError('E_UNSUPPORTED', `the ${type} driver is not implemented yet; use qemu`, { hypervisor: type });
    default:
      throw new VesselError('E_INVALID_ARGUMENT', `unknown hypervisor "${String(type)}"`);
  }
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Absolute path of the QEMU binary: $VESSEL_QEMU when set (it must exist),
 * else qemu-system-x86_64 from $PATH. Throws E_MISSING_DEPENDENCY with the fix.
 */
export function resolveQemuBinary(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.VESSEL_QEMU;
  if (override !== undefined && override !== '') {
    if (!isAbsolute(override)) {
      throw new VesselError('E_INVALID_ARGUMENT', `VESSEL_QEMU must be an absolute path, got "${override}"`);
    }
    if (!isExecutableFile(override)) {
      throw new VesselError('E_MISSING_DEPENDENCY', `VESSEL_QEMU=${override} is not an executable file`, { path: override });
    }
    return override;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, QEMU_BINARY);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new VesselError('E_MISSING_DEPENDENCY', `${QEMU_BINARY} not found: ${QEMU_INSTALL_HINT}`);
}
