import { describe, expect, it } from 'vitest';
import { VesselError } from '../contract/index.js';
import { footprintSettings, DEFAULT_TCG_TB_SIZE_MIB } from './footprint.js';
import { vmPathsIn, type HypervisorConfig } from './hypervisor.js';
import { buildQemuArgs, kernelCommandLine } from './qemu/cmdline.js';

const paths = vmPathsIn('/run/vessel/sb1');
const IMAGE = '/guest/rootfs.erofs';
const IMAGE_BYTES = 100 * 1048576;

function config(overrides: Partial<HypervisorConfig> = {}): HypervisorConfig {
  return {
    sandboxId: 'sb1', hypervisorPath: '/usr/bin/qemu-system-x86_64', machineType: 'q35', vcpus: 1, memoryMiB: 512,
    kernelPath: '/guest/vmlinuz', initrdPath: '/guest/initrd.img', kernelParams: ['quiet'], accel: 'tcg', ...overrides,
  };
}

function after(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] as string] : []));
}

describe('footprint settings on the QEMU command line', () => {
  it('virtio-pmem maps the image read-only and private, with maxmem room for it and no root= (stage 1 mounts it)', () => {
    const args = buildQemuArgs(config({ imagePath: IMAGE, imageDevice: 'virtio-pmem' }), paths, { imageBytes: IMAGE_BYTES });
    expect(after(args, '-m')).toEqual(['512M,slots=0,maxmem=612M']);
    expect(after(args, '-object')).toContain(`memory-backend-file,id=rootimg,mem-path=${IMAGE},size=${IMAGE_BYTES},share=off,readonly=on`);
    expect(after(args, '-device')).toContain('virtio-pmem-pci,id=rootpmem,memdev=rootimg');
    expect(args.join(' ')).not.toContain('-drive');
    expect(after(args, '-append')[0]).not.toContain('root=');
  });

  it('nvdimm needs nvdimm=on on the machine, a slot, and an unarmed (read-only) DIMM', () => {
    const args = buildQemuArgs(config({ imagePath: IMAGE, imageDevice: 'nvdimm' }), paths, { imageBytes: IMAGE_BYTES });
    expect(after(args, '-machine')).toEqual(['q35,accel=tcg,nvdimm=on']);
    expect(after(args, '-m')).toEqual(['512M,slots=1,maxmem=612M']);
    expect(after(args, '-device')).toContain('nvdimm,id=rootnv,memdev=rootimg,unarmed=on');
  });

  it('virtio-blk stays a read-only drive with root=/dev/vda', () => {
    const args = buildQemuArgs(config({ imagePath: IMAGE, imageDevice: 'virtio-blk' }), paths);
    expect(after(args, '-drive')).toEqual([`file=${IMAGE},if=none,id=rootfs,format=raw,readonly=on`]);
    expect(after(args, '-m')).toEqual(['512M']);
    expect(kernelCommandLine({ kernelParams: [], imagePath: IMAGE, imageDevice: 'virtio-blk' })).toContain('root=/dev/vda ro');
  });

  it('a TCG translation cache size moves the accelerator to -accel (QEMU refuses both); KVM ignores it', () => {
    const tcg = buildQemuArgs(config({ tcgTbSizeMiB: 32 }), paths);
    expect(after(tcg, '-machine')).toEqual(['q35']);
    expect(after(tcg, '-accel')).toEqual(['tcg,tb-size=32']);
    const kvm = buildQemuArgs(config({ accel: 'kvm', tcgTbSizeMiB: 32 }), paths);
    expect(after(kvm, '-machine')).toEqual(['q35,accel=kvm']);
    expect(after(kvm, '-accel')).toEqual([]);
  });

  it('the balloon device carries free page reporting', () => {
    expect(after(buildQemuArgs(config({ balloon: { freePageReporting: true } }), paths), '-device')).toContain('virtio-balloon-pci,id=balloon0,free-page-reporting=on');
    expect(after(buildQemuArgs(config({ machineType: 'microvm', kernelParams: ['quiet'], balloon: { freePageReporting: false } }), paths), '-device')).toContain('virtio-balloon-device,id=balloon0,free-page-reporting=off');
  });

  it('refuses a pmem image that is not whole 2 MiB blocks, pmem on microvm, and a silly cache size', () => {
    const bad = (c: Partial<HypervisorConfig>, bytes: number | undefined, re: RegExp): void => {
      expect(() => buildQemuArgs(config(c), paths, bytes === undefined ? {} : { imageBytes: bytes })).toThrow(re);
    };
    bad({ imagePath: IMAGE, imageDevice: 'virtio-pmem' }, IMAGE_BYTES + 4096, /whole number of 2 MiB blocks/);
    bad({ imagePath: IMAGE, imageDevice: 'virtio-pmem' }, undefined, /whole number of 2 MiB blocks/);
    bad({ imagePath: IMAGE, imageDevice: 'nvdimm', machineType: 'microvm' }, IMAGE_BYTES, /needs a PCI machine/);
    bad({ tcgTbSizeMiB: 0 }, undefined, /translation cache size/);
  });
});

describe('footprintSettings', () => {
  it('defaults to pmem, free page reporting and a capped translation cache', () => {
    expect(footprintSettings({})).toEqual({ imageDevice: 'virtio-pmem', balloon: { freePageReporting: true }, tcgTbSizeMiB: DEFAULT_TCG_TB_SIZE_MIB });
  });

  it('takes overrides and rejects nonsense with E_INVALID_ARGUMENT', () => {
    expect(footprintSettings({ VESSEL_IMAGE_DEVICE: 'nvdimm', VESSEL_TCG_TB_SIZE: 'default', VESSEL_FREE_PAGE_REPORTING: 'off' }))
      .toEqual({ imageDevice: 'nvdimm', balloon: { freePageReporting: false } });
    for (const env of [{ VESSEL_IMAGE_DEVICE: 'floppy' }, { VESSEL_TCG_TB_SIZE: '-3' }, { VESSEL_FREE_PAGE_REPORTING: 'maybe' }]) {
      expect(() => footprintSettings(env)).toThrow(VesselError);
    }
  });
});
