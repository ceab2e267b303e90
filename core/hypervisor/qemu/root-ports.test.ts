import { describe, expect, it } from 'vitest';
import { buildQemuArgs } from './cmdline.js';
import { freeRootPortsIn } from './hotplug.js';
import { coldPlugArgs, rootPortArgs } from './root-ports.js';
import type { HypervisorConfig, VmPaths } from '../hypervisor.js';

const paths: VmPaths = { runDir: '/run/v', qmpSocket: '/run/v/q.sock', consoleSocket: '/run/v/c.sock', agentSocket: '/run/v/a.sock', pidFile: '/run/v/pid', logFile: '/run/v/log' };
const base: HypervisorConfig = { sandboxId: 'sbx1', hypervisorPath: '/usr/bin/qemu-system-x86_64', machineType: 'q35', vcpus: 1, memoryMiB: 512, kernelPath: '/k', kernelParams: [], accel: 'tcg' };

describe('vIOMMU (devices in vfio mode)', () => {
  it('puts intel-iommu before every PCI device and turns the guest driver on, pass-through for its own DMA', () => {
    const args = buildQemuArgs({ ...base, viommu: true }, paths);
    const iommu = args.indexOf('intel-iommu,intremap=off,caching-mode=on');
    expect(iommu).toBeGreaterThan(0);
    const firstPci = args.findIndex((a, i) => i > 0 && args[i - 1] === '-device' && a !== 'intel-iommu,intremap=off,caching-mode=on');
    expect(iommu).toBeLessThan(firstPci);
    expect(args[args.indexOf('-append') + 1]).toMatch(/ intel_iommu=on iommu=pt/);
    expect(buildQemuArgs(base, paths).join(' ')).not.toMatch(/intel-iommu|intel_iommu/);
  });
  it('keeps a caller\'s intel_iommu= and refuses a vIOMMU off q35', () => {
    const args = buildQemuArgs({ ...base, viommu: true, kernelParams: ['intel_iommu=on,sm_on'] }, paths);
    expect(args[args.indexOf('-append') + 1]).not.toMatch(/iommu=pt/);
    expect(() => buildQemuArgs({ ...base, machineType: 'pc', viommu: true }, paths)).toThrow(/vIOMMU needs the q35/);
  });
});

describe('PCIe root-port pool and cold plug', () => {
  it('renders rpI on pcie.0 with chassis and slot I+1', () => {
    expect(rootPortArgs(2)).toEqual(['-device', 'pcie-root-port,id=rp0,bus=pcie.0,chassis=1,slot=1', '-device', 'pcie-root-port,id=rp1,bus=pcie.0,chassis=2,slot=2']);
    expect(() => rootPortArgs(17)).toThrow(/0 to 16/);
  });
  it('cold plugs vfio, an emulated model and a disk each on its own port, in order', () => {
    const args = coldPlugArgs(3, [
      { id: 'vfio-0000-01-00-0', kind: 'pci', model: { kind: 'vfio', host: '0000:01:00.0' } },
      { id: 'vfio-0000-05-00-0', kind: 'pci', model: { kind: 'emulated', model: 'edu' } },
      { id: 'blk-1', kind: 'block', source: { file: '/img,1.raw', format: 'raw', hostDevice: false, readOnly: true } },
    ]);
    expect(args).toContain('vfio-pci,host=0000:01:00.0,id=vfio-0000-01-00-0,bus=rp0');
    expect(args).toContain('edu,id=vfio-0000-05-00-0,bus=rp1');
    expect(args).toContain('driver=raw,node-name=blk-1-node,read-only=on,file.driver=file,file.filename=/img,,1.raw');
    expect(args).toContain('virtio-blk-pci,drive=blk-1-node,id=blk-1,bus=rp2');
  });
  it('refuses more devices than ports, with the fix', () => {
    expect(() => coldPlugArgs(1, [
      { id: 'a', kind: 'pci', model: { kind: 'emulated', model: 'edu' } },
      { id: 'b', kind: 'pci', model: { kind: 'emulated', model: 'edu' } },
    ])).toThrow(/--pcie-root-ports/);
  });
  it('is rendered by buildQemuArgs for q35 only, with the shared memory backend when asked', () => {
    const args = buildQemuArgs({ ...base, pcieRootPorts: 1, memoryBackend: { kind: 'memfd', shared: true } }, paths);
    expect(args).toContain('pcie-root-port,id=rp0,bus=pcie.0,chassis=1,slot=1');
    expect(args).toContain('memory-backend-memfd,id=vessel-ram,size=512M,share=on');
    expect(args[args.indexOf('-machine') + 1]).toBe('q35,accel=tcg,memory-backend=vessel-ram');
    expect(buildQemuArgs({ ...base, machineType: 'pc', pcieRootPorts: 4 }, paths).join(' ')).not.toContain('pcie-root-port');
    expect(() => buildQemuArgs({ ...base, machineType: 'pc', coldPlugDevices: [{ id: 'a', kind: 'pci', model: { kind: 'emulated', model: 'edu' } }] }, paths)).toThrow(/q35/);
  });
});

describe('free root ports from query-pci', () => {
  it('a port with nothing on its secondary bus is free; lowest first', () => {
    const port = (id: string, slot: number, devices: unknown[] | undefined) => ({ bus: 0, slot, function: 0, qdev_id: id, pci_bridge: { bus: { number: 0, secondary: slot, subordinate: slot }, ...(devices ? { devices } : {}) } });
    const pci = [{ bus: 0, devices: [
      { bus: 0, slot: 0, function: 0, qdev_id: '' },
      port('rp10', 11, []),
      port('rp1', 2, [{ bus: 2, slot: 0, function: 0, qdev_id: 'edu0' }]),
      port('rp2', 3, undefined),
      { bus: 0, slot: 31, function: 0, qdev_id: 'other', pci_bridge: { bus: { number: 0, secondary: 9 } } },
    ] }];
    expect(freeRootPortsIn(pci as never)).toEqual(['rp2', 'rp10']);
  });
});
