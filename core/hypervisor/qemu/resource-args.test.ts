import { describe, expect, it } from 'vitest';
import { vmPathsIn, type HypervisorConfig } from '../hypervisor.js';
import { buildQemuArgs } from './cmdline.js';

const base: HypervisorConfig = {
  sandboxId: 'sb1', hypervisorPath: '/usr/bin/qemu-system-x86_64', machineType: 'q35', vcpus: 1, memoryMiB: 512,
  kernelPath: '/k', kernelParams: [], accel: 'tcg',
};
const argAfter = (args: string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

describe('hot-add room on the QEMU command line', () => {
  it('none by default: plain -smp and -m', () => {
    const args = buildQemuArgs(base, vmPathsIn('/run/v/sb1'));
    expect(argAfter(args, '-smp')).toBe('1');
    expect(argAfter(args, '-m')).toBe('512M');
  });

  it('maxVcpus gives maxcpus; maxMemoryMiB gives DIMM slots and maxmem', () => {
    const args = buildQemuArgs({ ...base, maxVcpus: 4, maxMemoryMiB: 2048 }, vmPathsIn('/run/v/sb1'));
    expect(argAfter(args, '-smp')).toBe('1,maxcpus=4');
    expect(argAfter(args, '-m')).toBe('512M,slots=8,maxmem=2048M');
  });

  it('with a memory-mapped root image the room adds to the image\'s', () => {
    const args = buildQemuArgs({ ...base, imagePath: '/img', imageDevice: 'virtio-pmem', maxMemoryMiB: 1024 }, vmPathsIn('/run/v/sb1'), { imageBytes: 64 * 1048576 });
    expect(argAfter(args, '-m')).toBe('512M,slots=8,maxmem=1088M');
  });

  it('microvm gets no DIMM slots (no memory hot plug there)', () => {
    const args = buildQemuArgs({ ...base, machineType: 'microvm', maxMemoryMiB: 1024 }, vmPathsIn('/run/v/sb1'));
    expect(argAfter(args, '-m')).toBe('512M');
  });
});
