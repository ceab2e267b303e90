import { existsSync, lstatSync, readFileSync, readlinkSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PCI_ADDRESS_PATTERN, VesselError } from '../../contract/index.js';
import type { SysfsWriter } from '../binding.js';
import { SIMULATOR_FILE } from './fixture-sysfs.js';

/**
 * SIMULATED KERNEL (test support and the documented simulation switch): makes
 * writes to a fixture sysfs tree behave as the kernel's PCI core does.
 *
 *   devices/BDF/driver_override ← name | "\n"   sets / clears the override ("(null)" when unset)
 *   drivers/D/unbind ← BDF                      ENODEV unless BDF is bound to D
 *   drivers/D/bind ← BDF                        EBUSY if bound; ENODEV if an override names another driver;
 *                                               EINVAL when vfio-pci is asked to take a bridge
 *   drivers_probe ← BDF                         an unbound device gets its override driver, else its natural one
 *
 * It refuses any file outside its root and any root that is the real /sys.
 * `dieAfterWrites` simulates the process being killed: after that many
 * writes every further write fails, so nothing after the "kill" reaches sysfs.
 */

export class SimulatedCrash extends Error {
  constructor() {
    super('simulated crash: this process is dead, no more sysfs writes');
    this.name = 'SimulatedCrash';
  }
}

const SimulatorFile = z.object({ naturalDrivers: z.record(z.string(), z.string().nullable()) });

function errno(code: string, message: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${message}`);
  err.code = code;
  return err;
}

export class SysfsSimulator implements SysfsWriter {
  readonly simulated = true;
  readonly root: string;
  /** Every write made, in order (tests check the exact sequence). */
  readonly log: { path: string; value: string }[] = [];
  private readonly natural: Record<string, string | null>;
  private remaining: number;

  constructor(root: string, options: { dieAfterWrites?: number } = {}) {
    this.root = path.resolve(root);
    if (this.root === '/sys' || this.root.startsWith('/sys/')) {
      throw new VesselError('E_INVALID_ARGUMENT', 'the sysfs simulator never writes to the real /sys: point VESSEL_SYSFS_ROOT at a fixture tree');
    }
    const file = path.join(this.root, SIMULATOR_FILE);
    if (!existsSync(file)) throw new VesselError('E_NOT_FOUND', `${this.root} is not a fixture sysfs tree (no ${SIMULATOR_FILE}); build one with buildSysfsFixture`);
    this.natural = SimulatorFile.parse(JSON.parse(readFileSync(file, 'utf8'))).naturalDrivers;
    this.remaining = options.dieAfterWrites ?? Number.POSITIVE_INFINITY;
  }

  write(file: string, value: string): void {
    if (this.remaining <= 0) throw new SimulatedCrash();
    const rel = path.relative(this.root, path.resolve(file));
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw errno('EACCES', `${file} is outside the simulated sysfs`);
    this.remaining -= 1;
    this.log.push({ path: file, value });
    const parts = rel.split(path.sep);
    const v = value.trim();
    if (rel === 'bus/pci/drivers_probe') return this.probe(v);
    if (parts[0] === 'bus' && parts[1] === 'pci' && parts[2] === 'devices' && parts[4] === 'driver_override' && parts.length === 5) {
      const address = parts[3] ?? '';
      this.device(address);
      writeFileSync(path.join(this.devDir(address), 'driver_override'), v === '' ? '(null)\n' : `${v}\n`);
      return;
    }
    if (parts[0] === 'bus' && parts[1] === 'pci' && parts[2] === 'drivers' && parts.length === 5) {
      const driver = parts[3] ?? '';
      if (!existsSync(path.join(this.root, 'bus/pci/drivers', driver))) throw errno('ENOENT', `no driver ${driver}`);
      if (parts[4] === 'unbind') return this.unbind(driver, v);
      if (parts[4] === 'bind') return this.bind(driver, v);
    }
    throw errno('EINVAL', `the simulator does not model writes to ${rel}`);
  }

  private devDir(address: string): string {
    return path.join(this.root, 'bus/pci/devices', address);
  }

  private device(address: string): void {
    if (!PCI_ADDRESS_PATTERN.test(address) || !existsSync(this.devDir(address))) throw errno('ENODEV', `no device ${address}`);
  }

  currentDriver(address: string): string | null {
    try {
      return path.basename(readlinkSync(path.join(this.devDir(address), 'driver')));
    } catch {
      return null;
    }
  }

  private override(address: string): string | null {
    const text = readFileSync(path.join(this.devDir(address), 'driver_override'), 'utf8').trim();
    return text === '' || text === '(null)' ? null : text;
  }

  private unbind(driver: string, address: string): void {
    this.device(address);
    if (this.currentDriver(address) !== driver) throw errno('ENODEV', `${address} is not bound to ${driver}`);
    unlinkSync(path.join(this.devDir(address), 'driver'));
    const back = path.join(this.root, 'bus/pci/drivers', driver, address);
    if (existsSync(back) || lstatExists(back)) unlinkSync(back);
  }

  private bind(driver: string, address: string): void {
    this.device(address);
    if (this.currentDriver(address) !== null) throw errno('EBUSY', `${address} already has a driver`);
    const override = this.override(address);
    if (override !== null && override !== driver) throw errno('ENODEV', `${address} may only be bound by ${override}`);
    const klass = readFileSync(path.join(this.devDir(address), 'class'), 'utf8').trim();
    if (driver === 'vfio-pci' && (klass.startsWith('0x0604') || klass.startsWith('0x0600'))) throw errno('EINVAL', 'vfio-pci does not bind bridges');
    const drvDir = path.join(this.root, 'bus/pci/drivers', driver);
    const real = path.resolve(path.dirname(this.devDir(address)), readlinkSync(this.devDir(address)));
    symlinkSync(drvDir, path.join(real, 'driver'));
    symlinkSync(real, path.join(drvDir, address));
  }

  private probe(address: string): void {
    this.device(address);
    if (this.currentDriver(address) !== null) return;
    const override = this.override(address);
    const driver = override ?? this.natural[address] ?? null;
    if (driver === null || !existsSync(path.join(this.root, 'bus/pci/drivers', driver))) return;
    try {
      this.bind(driver, address);
    } catch {
      // a probe that fails leaves the device driverless, as the kernel does
    }
  }
}

function lstatExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
