import { describe, expect, it } from 'vitest';
import { MemoryDevices, nextDimmAddress } from './resource-hotplug.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

describe('nextDimmAddress', () => {
  it('leaves the choice to QEMU when no memory device is there', () => {
    expect(nextDimmAddress([])).toBeUndefined();
  });

  it('puts a DIMM after a 104 MiB pmem image on the next 128 MiB boundary, not right behind it', () => {
    const devices = MemoryDevices.parse([{ type: 'virtio-pmem', data: { memaddr: 4 * GiB, size: 104 * MiB, id: 'rootpmem' } }]);
    expect(nextDimmAddress(devices)).toBe(4 * GiB + 128 * MiB);
  });

  it('goes after every earlier DIMM, whichever order QEMU lists them in', () => {
    const devices = MemoryDevices.parse([
      { type: 'dimm', data: { addr: 4 * GiB + 128 * MiB, size: 256 * MiB, id: 'vessel-dimm-0' } },
      { type: 'virtio-pmem', data: { memaddr: 4 * GiB, size: 104 * MiB, id: 'rootpmem' } },
    ]);
    expect(nextDimmAddress(devices)).toBe(4 * GiB + 384 * MiB);
  });

  it('keeps an already aligned end as it is', () => {
    const devices = MemoryDevices.parse([{ type: 'dimm', data: { addr: 4 * GiB, size: 128 * MiB } }]);
    expect(nextDimmAddress(devices)).toBe(4 * GiB + 128 * MiB);
  });
});
