import { describe, expect, it } from 'vitest';
import { buildQemuArgs, memoryBackendArgs } from './cmdline.js';
import { vmPathsIn, type HypervisorConfig } from '../hypervisor.js';

const config: HypervisorConfig = {
  sandboxId: 'sb1', hypervisorPath: '/usr/bin/qemu-system-x86_64', machineType: 'q35', vcpus: 1, memoryMiB: 256,
  kernelPath: '/boot/vmlinuz', kernelParams: [], accel: 'tcg', sharedDir: '/v/sb1/shared',
};
const vfs = { kind: 'virtio-fs' as const, socketPath: '/v/sb1/virtiofs.sock' };

describe('the shared directory over virtio-9p or virtio-fs', () => {
  it('9p by default: QEMU\'s own server, no shared RAM', () => {
    const args = buildQemuArgs(config, vmPathsIn('/v/sb1'));
    expect(args).toContain('virtio-9p-pci,fsdev=vshared,mount_tag=vessel-shared');
    expect(args.join(' ')).not.toMatch(/vhost-user-fs|memory-backend/);
  });

  it('virtio-fs: a vhost-user-fs device on virtiofsd\'s socket with the same tag, and guest RAM becomes a shared memfd', () => {
    const args = buildQemuArgs({ ...config, sharedDirTransport: vfs }, vmPathsIn('/v/sb1'));
    expect(args).toContain('socket,id=vfs,path=/v/sb1/virtiofs.sock');
    expect(args).toContain('vhost-user-fs-pci,chardev=vfs,tag=vessel-shared,queue-size=1024');
    expect(args.join(' ')).not.toMatch(/virtio-9p|-fsdev/);
    expect(args).toContain('memory-backend-memfd,id=vessel-ram,size=256M,share=on');
    expect(args[args.indexOf('-machine') + 1]).toBe('q35,accel=tcg,memory-backend=vessel-ram');
    // Only one RAM backend object, whatever else asked for one.
    expect(args.filter((a) => a.includes('id=vessel-ram'))).toHaveLength(1);
  });

  it('virtio-fs turns an existing backend shared rather than adding a second one', () => {
    expect(memoryBackendArgs({ memoryMiB: 64, memoryBackend: { kind: 'memfd', shared: false }, sharedDirTransport: vfs }).object)
      .toEqual(['-object', 'memory-backend-memfd,id=vessel-ram,size=64M,share=on']);
    expect(memoryBackendArgs({ memoryMiB: 64, memoryBackend: { kind: 'file', path: '/t/mem', shared: true }, sharedDirTransport: vfs }).object)
      .toEqual(['-object', 'memory-backend-file,id=vessel-ram,size=64M,mem-path=/t/mem,share=on']);
  });

  it('a template clone (private file mapping) cannot use virtio-fs: a clear error', () => {
    expect(() => memoryBackendArgs({ memoryMiB: 64, memoryBackend: { kind: 'file', path: '/t/mem', shared: false }, sharedDirTransport: vfs }))
      .toThrow(/virtio-fs needs guest RAM shared with virtiofsd.*template clone/);
  });

  it('virtio-fs is refused on microvm and with a relative or too long socket path', () => {
    expect(() => buildQemuArgs({ ...config, machineType: 'microvm', sharedDirTransport: vfs }, vmPathsIn('/v/sb1'))).toThrow(/PCI machine/);
    expect(() => buildQemuArgs({ ...config, sharedDirTransport: { kind: 'virtio-fs', socketPath: 'vfs.sock' } }, vmPathsIn('/v/sb1'))).toThrow(/absolute/);
    expect(() => buildQemuArgs({ ...config, sharedDirTransport: { kind: 'virtio-fs', socketPath: `/${'x'.repeat(120)}` } }, vmPathsIn('/v/sb1'))).toThrow(/too long/);
  });
});
