import { describe, expect, it } from 'vitest';
import { buildQemuArgs, memoryBackendArgs } from './cmdline.js';
import { vmPathsIn, type HypervisorConfig } from '../hypervisor.js';

const config: HypervisorConfig = {
  sandboxId: 'sb1', hypervisorPath: '/usr/bin/qemu-system-x86_64', machineType: 'q35', vcpus: 1, memoryMiB: 256,
  kernelPath: '/boot/vmlinuz', kernelParams: [], accel: 'tcg',
};

describe('guest RAM backends and incoming VMs (VM factory)', () => {
  it('anonymous RAM adds nothing', () => {
    expect(memoryBackendArgs(config)).toEqual({ object: [], machineProperty: '' });
    expect(buildQemuArgs(config, vmPathsIn('/run/v/sb1'))).not.toContain('-incoming');
  });

  it('a template maps its RAM file shared; a clone maps the same file privately', () => {
    const tpl = buildQemuArgs({ ...config, memoryBackend: { kind: 'file', path: '/dev/shm/t,1/memory', shared: true } }, vmPathsIn('/run/v/sb1'));
    expect(tpl).toContain('memory-backend-file,id=vessel-ram,size=256M,mem-path=/dev/shm/t,,1/memory,share=on');
    expect(tpl[tpl.indexOf('-machine') + 1]).toBe('q35,accel=tcg,memory-backend=vessel-ram');
    const clone = buildQemuArgs({ ...config, memoryBackend: { kind: 'file', path: '/dev/shm/t/memory', shared: false }, incoming: true }, vmPathsIn('/run/v/sb1'));
    expect(clone).toContain('memory-backend-file,id=vessel-ram,size=256M,mem-path=/dev/shm/t/memory,share=off');
    expect(clone.slice(-3)).toEqual(['-S', '-incoming', 'defer']);
  });

  it('memfd for shared-memory devices', () => {
    expect(memoryBackendArgs({ memoryMiB: 64, memoryBackend: { kind: 'memfd', shared: true } }).object).toEqual(['-object', 'memory-backend-memfd,id=vessel-ram,size=64M,share=on']);
  });

  it('a relative memory file path is refused', () => {
    expect(() => buildQemuArgs({ ...config, memoryBackend: { kind: 'file', path: 'mem', shared: true } }, vmPathsIn('/run/v/sb1'))).toThrow(/absolute/);
  });
});
