import { describe, expect, it } from 'vitest';
import { VesselError } from '../../contract/index.js';
import { vmPathsIn, type HypervisorConfig, type VmPaths } from '../hypervisor.js';
import { buildQemuArgs, escapeQemuOptValue, kernelCommandLine } from './cmdline.js';

const RUN = '/run/vessel/sb1';
const paths: VmPaths = vmPathsIn(RUN);

function config(overrides: Partial<HypervisorConfig> = {}): HypervisorConfig {
  return {
    sandboxId: 'sb1',
    hypervisorPath: '/usr/bin/qemu-system-x86_64',
    machineType: 'q35',
    vcpus: 1,
    memoryMiB: 256,
    kernelPath: '/guest/vmlinuz',
    initrdPath: '/guest/initrd.img',
    kernelParams: ['quiet'],
    accel: 'tcg',
    ...overrides,
  };
}

/** q35's hot-plug slots (root-ports.ts), before the control channel. */
const q35RootPorts = Array.from({ length: 8 }, (_, i) => ['-device', `pcie-root-port,id=rp${i},bus=pcie.0,chassis=${i + 1},slot=${i + 1}`]).flat();

const tail = [
  '-chardev', `socket,id=qmp,path=${RUN}/qmp.sock,server=on,wait=off`,
  '-mon', 'chardev=qmp,mode=control',
  '-chardev', `socket,id=console,path=${RUN}/console.sock,server=on,wait=off,logfile=${RUN}/console.log,logappend=on`,
  '-serial', 'chardev:console',
];

function agentAndRest(bus: 'pci' | 'device'): string[] {
  return [
    '-device', `virtio-serial-${bus},id=vser0`,
    '-chardev', `socket,id=agent,path=${RUN}/agent.sock,server=on,wait=off`,
    '-device', 'virtserialport,bus=vser0.0,chardev=agent,name=vessel.agent',
    '-chardev', `socket,id=io,path=${RUN}/io.sock,server=on,wait=off`,
    '-device', 'virtserialport,bus=vser0.0,chardev=io,name=vessel.io',
    '-object', 'rng-random,id=rng0,filename=/dev/urandom',
    '-device', `virtio-rng-${bus},rng=rng0`,
    '-pidfile', `${RUN}/hypervisor.pid`,
    '-D', `${RUN}/hypervisor.log`,
    '-no-reboot',
    '-daemonize',
  ];
}

function head(machine: string, cpu: string): string[] {
  return [
    '-name', 'guest=sb1,debug-threads=on',
    '-machine', machine,
    '-cpu', cpu,
    '-smp', '1',
    '-m', '256M',
    '-nodefaults', '-no-user-config',
    '-display', 'none',
    '-vga', 'none',
    '-kernel', '/guest/vmlinuz',
    '-initrd', '/guest/initrd.img',
    '-append', `quiet console=ttyS0 panic=1 VESSEL_CPU=${cpu === 'host' ? 'host' : 'tcg'}`,
  ];
}

function expectInvalid(fn: () => unknown, code: 'E_INVALID_ARGUMENT' | 'E_INVALID_ID', message: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VesselError);
    expect((err as VesselError).code).toBe(code);
    expect((err as VesselError).message).toMatch(message);
    return;
  }
  throw new Error('expected a VesselError');
}

describe('buildQemuArgs', () => {
  it('q35 under TCG: max CPU model, PCI virtio, sockets for QMP/console/agent, daemonized', () => {
    expect(buildQemuArgs(config(), paths)).toEqual([...head('q35,accel=tcg', 'max,-erms,-fsrm'), ...q35RootPorts, ...tail, ...agentAndRest('pci')]);
  });

  it('q35 under KVM uses the host CPU model', () => {
    expect(buildQemuArgs(config({ accel: 'kvm' }), paths)).toEqual([...head('q35,accel=kvm', 'host'), ...q35RootPorts, ...tail, ...agentAndRest('pci')]);
  });

  it('pc under TCG and KVM', () => {
    expect(buildQemuArgs(config({ machineType: 'pc' }), paths)).toEqual([...head('pc,accel=tcg', 'max,-erms,-fsrm'), ...tail, ...agentAndRest('pci')]);
    expect(buildQemuArgs(config({ machineType: 'pc', accel: 'kvm' }), paths)).toEqual([...head('pc,accel=kvm', 'host'), ...tail, ...agentAndRest('pci')]);
  });

  it('microvm: no option ROMs, ISA serial, RTC, virtio-mmio devices', () => {
    expect(buildQemuArgs(config({ machineType: 'microvm' }), paths)).toEqual([
      ...head('microvm,accel=tcg,x-option-roms=off,isa-serial=on,rtc=on', 'max,-erms,-fsrm'), ...tail, ...agentAndRest('device'),
    ]);
    expect(buildQemuArgs(config({ machineType: 'microvm', accel: 'kvm' }), paths)).toEqual([
      ...head('microvm,accel=kvm,x-option-roms=off,isa-serial=on,rtc=on', 'host'), ...tail, ...agentAndRest('device'),
    ]);
  });

  it('microvm under TCG tells the guest the host TSC rate (it cannot calibrate its TSC otherwise)', () => {
    const args = buildQemuArgs(config({ machineType: 'microvm' }), paths, { tscKhz: 2445404 });
    expect(args[args.indexOf('-append') + 1]).toBe('quiet console=ttyS0 panic=1 VESSEL_CPU=tcg tsc_early_khz=2445404');
    for (const [other, cpu] of [[config({ machineType: 'microvm', accel: 'kvm' }), 'host'], [config({ machineType: 'q35' }), 'tcg']] as const) {
      const a = buildQemuArgs(other, paths, { tscKhz: 2445404 });
      expect(a[a.indexOf('-append') + 1]).toBe(`quiet console=ttyS0 panic=1 VESSEL_CPU=${cpu}`);
    }
    expectInvalid(() => buildQemuArgs(config({ machineType: 'microvm' }), paths, { tscKhz: -1 }), 'E_INVALID_ARGUMENT', /TSC/);
  });

  it('vCPUs and memory land in -smp and -m', () => {
    const args = buildQemuArgs(config({ vcpus: 4, memoryMiB: 2048 }), paths);
    expect(args[args.indexOf('-smp') + 1]).toBe('4');
    expect(args[args.indexOf('-m') + 1]).toBe('2048M');
  });

  it('a root filesystem image becomes a read-only virtio-blk disk and root=/dev/vda', () => {
    const q35 = buildQemuArgs(config({ initrdPath: undefined, imagePath: '/guest/rootfs.img' }), paths);
    expect(q35).not.toContain('-initrd');
    expect(q35[q35.indexOf('-append') + 1]).toBe('quiet console=ttyS0 panic=1 VESSEL_CPU=tcg root=/dev/vda ro');
    const drive = q35.indexOf('-drive');
    expect(q35.slice(drive, drive + 4)).toEqual([
      '-drive', 'file=/guest/rootfs.img,if=none,id=rootfs,format=raw,readonly=on',
      '-device', 'virtio-blk-pci,drive=rootfs',
    ]);
    const micro = buildQemuArgs(config({ machineType: 'microvm', imagePath: '/guest/rootfs.img' }), paths);
    expect(micro).toContain('virtio-blk-device,drive=rootfs');
    expect(micro).toContain('-initrd'); // an initrd may still load the modules the root disk needs
  });

  it('a shared directory becomes a virtio-9p device tagged vessel-shared (PCI, or MMIO on microvm)', () => {
    const fsdev = ['-fsdev', 'local,id=vshared,path=/var/lib/vessel/sb1/shared,security_model=none,multidevs=remap'];
    const q35 = buildQemuArgs(config({ sharedDir: '/var/lib/vessel/sb1/shared' }), paths);
    expect(q35).toEqual([...head('q35,accel=tcg', 'max,-erms,-fsrm'), ...fsdev, '-device', 'virtio-9p-pci,fsdev=vshared,mount_tag=vessel-shared', ...q35RootPorts, ...tail, ...agentAndRest('pci')]);
    const micro = buildQemuArgs(config({ machineType: 'microvm', sharedDir: '/var/lib/vessel/sb1/shared' }), paths);
    expect(micro.join(' ')).toContain(`${fsdev.join(' ')} -device virtio-9p-device,fsdev=vshared,mount_tag=vessel-shared`);
    expect(buildQemuArgs(config(), paths)).not.toContain('-fsdev');
    // Commas in the path are escaped inside the option list.
    expect(buildQemuArgs(config({ sharedDir: '/a,b' }), paths)).toContain('local,id=vshared,path=/a,,b,security_model=none,multidevs=remap');
    expectInvalid(() => buildQemuArgs(config({ sharedDir: 'relative/dir' }), paths), 'E_INVALID_ARGUMENT', /sharedDir/);
  });

  it('without an initrd there is no -initrd', () => {
    expect(buildQemuArgs(config({ initrdPath: undefined }), paths)).not.toContain('-initrd');
  });

  it('doubles commas inside option lists and passes plain arguments verbatim', () => {
    const odd = vmPathsIn('/run/a,b');
    const args = buildQemuArgs(config({ kernelPath: '/k,1/vmlinuz', imagePath: '/img,1' }), odd);
    expect(args).toContain('socket,id=qmp,path=/run/a,,b/qmp.sock,server=on,wait=off');
    expect(args).toContain('socket,id=console,path=/run/a,,b/console.sock,server=on,wait=off,logfile=/run/a,,b/console.log,logappend=on');
    expect(args).toContain('file=/img,,1,if=none,id=rootfs,format=raw,readonly=on');
    expect(args[args.indexOf('-kernel') + 1]).toBe('/k,1/vmlinuz');
    expect(args[args.indexOf('-pidfile') + 1]).toBe('/run/a,b/hypervisor.pid');
    expect(escapeQemuOptValue('a,,b')).toBe('a,,,,b');
  });
});

describe('kernelCommandLine', () => {
  it('keeps the caller’s console, panic and root settings', () => {
    expect(kernelCommandLine({ kernelParams: ['console=hvc0', 'panic=-1', 'root=/dev/vdb'], imagePath: '/x.img' })).toBe('console=hvc0 panic=-1 root=/dev/vdb');
  });
  it('tells the guest which CPU it runs on, so init starts the agent from the V8 snapshot made for that CPU', () => {
    expect(kernelCommandLine({ kernelParams: [], accel: 'tcg' })).toBe('console=ttyS0 panic=1 VESSEL_CPU=tcg');
    expect(kernelCommandLine({ kernelParams: [], accel: 'kvm' })).toBe('console=ttyS0 panic=1 VESSEL_CPU=host');
    expect(kernelCommandLine({ kernelParams: ['VESSEL_CPU=host'], accel: 'tcg' })).toBe('VESSEL_CPU=host console=ttyS0 panic=1');
  });

  it('adds the serial console and panic=1 by default', () => {
    expect(kernelCommandLine({ kernelParams: [] })).toBe('console=ttyS0 panic=1');
  });
});

describe('buildQemuArgs rejects bad input with a stable code', () => {
  it.each([
    [{ vcpus: 0 }, /vCPUs must be an integer from 1/],
    [{ vcpus: 1.5 }, /vCPUs/],
    [{ vcpus: 65 }, /vCPUs/],
    [{ memoryMiB: 0 }, /memory must be a positive/],
    [{ memoryMiB: -256 }, /memory/],
    [{ memoryMiB: 12.5 }, /memory/],
    [{ kernelPath: 'vmlinuz' }, /kernelPath must be an absolute path/],
    [{ initrdPath: './initrd' }, /initrdPath must be an absolute path/],
    [{ imagePath: 'rootfs.img' }, /imagePath must be an absolute path/],
    [{ hypervisorPath: 'qemu-system-x86_64' }, /hypervisorPath must be an absolute path/],
    [{ kernelPath: '/boot/vm\nlinuz' }, /control characters/],
    [{ kernelParams: ['console=ttyS0\ninit=/bin/sh'] }, /control character/],
    [{ kernelParams: [''] }, /non-empty/],
    [{ machineType: 'virt' as 'q35' }, /unknown machine type/],
    [{ accel: 'hvf' as 'kvm' }, /unknown accelerator/],
  ] as const)('%j', (overrides, message) => {
    expectInvalid(() => buildQemuArgs(config(overrides as Partial<HypervisorConfig>), paths), 'E_INVALID_ARGUMENT', message);
  });

  it('rejects a sandbox ID that could inject options into -name', () => {
    expectInvalid(() => buildQemuArgs(config({ sandboxId: 'sb1,debug-threads=off' }), paths), 'E_INVALID_ID', /invalid sandbox ID/);
    expectInvalid(() => buildQemuArgs(config({ sandboxId: '../x' }), paths), 'E_INVALID_ID', /invalid sandbox ID/);
  });

  it('rejects relative run paths and socket paths longer than a unix socket allows', () => {
    expectInvalid(() => buildQemuArgs(config(), vmPathsIn('run/sb1')), 'E_INVALID_ARGUMENT', /runDir must be an absolute path/);
    expectInvalid(() => buildQemuArgs(config(), vmPathsIn(`/tmp/${'x'.repeat(100)}`)), 'E_INVALID_ARGUMENT', /too long for a unix socket/);
  });
});
