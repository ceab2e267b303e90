import { isAbsolute } from 'node:path';
import { MAX_VCPUS, SANDBOX_ID_PATTERN, VesselError, type Accel, type MachineType } from '../../contract/index.js';
import { GUEST_CPU_PARAM, TCG_CPU_MODEL } from '../../agent/proto/manifest.js';
import { consoleLogPath, type HypervisorConfig, type VmPaths } from '../hypervisor.js';
import { networkArgs } from './net-args.js';
import { coldPlugArgs, DEFAULT_PCIE_ROOT_PORTS } from './root-ports.js';

/** The name the guest agent looks for under /dev/virtio-ports/. */
export const AGENT_PORT_NAME = 'vessel.agent';
/** The data plane's port: framed process stdio with credits, outside the RPC path. */
export const IO_PORT_NAME = 'vessel.io';

/** The virtio-9p mount tag of HypervisorConfig.sharedDir (the guest agent mounts this tag). */
export const SHARED_DIR_MOUNT_TAG = 'vessel-shared';

/**
 * sun_path is 108 bytes on Linux, including the terminating NUL. QEMU refuses
 * longer socket paths with an obscure message; we refuse them up front.
 */
export const MAX_UNIX_SOCKET_PATH = 107;

/**
 * CPU model per accelerator: the host's CPU under KVM; under TCG everything it
 * can emulate except ERMS/FSRM ("fast rep movsb"). With those, the guest
 * kernel's user copies and glibc's large memcpy use `rep movsb`, which TCG
 * runs one byte per step: measured in one run (64 MiB, busybox dd in the guest
 * image's kernel), /dev/zero -> /dev/null 0.34-0.52 s with them and
 * 0.05-0.10 s without; through one pipe 2.2-2.4 s vs 0.45-0.51 s. Without
 * them the kernel picks its `rep movsq` or unrolled copies, 8 bytes a step.
 */
export function cpuModelFor(accel: Accel): string {
  return accel === 'kvm' ? 'host' : TCG_CPU_MODEL;
}
export { TCG_CPU_MODEL };

/**
 * Escape a value placed inside a QemuOpts string (`key=value,key=value`):
 * QEMU reads ',,' as a literal comma. Only for option-list values; plain
 * arguments such as -kernel, -pidfile or -D are taken verbatim by QEMU.
 */
export function escapeQemuOptValue(value: string): string {
  return value.replaceAll(',', ',,');
}

function invalid(message: string, details?: Record<string, unknown>): VesselError {
  return new VesselError('E_INVALID_ARGUMENT', message, details);
}

// Control characters would end the argument early in QEMU's own parsers or
// smuggle a second line into the kernel command line.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function checkPath(label: string, path: string): void {
  if (typeof path !== 'string' || path.length === 0) throw invalid(`${label} is required`);
  if (!isAbsolute(path)) throw invalid(`${label} must be an absolute path, got "${path}"`, { [label]: path });
  if (CONTROL_CHARS.test(path)) throw invalid(`${label} must not contain control characters`, { [label]: path });
}

function checkSocketPath(label: string, path: string): void {
  checkPath(label, path);
  if (Buffer.byteLength(path) > MAX_UNIX_SOCKET_PATH) {
    throw invalid(`${label} is too long for a unix socket (${Buffer.byteLength(path)} bytes, max ${MAX_UNIX_SOCKET_PATH}); use a shorter run directory`, { [label]: path });
  }
}

/**
 * Validate what a driver is asked to start. Throws VesselError: E_INVALID_ID
 * for a bad sandbox ID (it lands in -name and in paths), E_INVALID_ARGUMENT
 * for everything else.
 */
export function validateVmRequest(config: HypervisorConfig, paths: VmPaths, options: { checkHypervisorPath?: boolean } = {}): void {
  if (!SANDBOX_ID_PATTERN.test(config.sandboxId)) {
    throw new VesselError('E_INVALID_ID', `invalid sandbox ID "${config.sandboxId}": 1-64 letters, digits, "_" or "-", starting with a letter or digit`);
  }
  if (!['q35', 'pc', 'microvm'].includes(config.machineType)) throw invalid(`unknown machine type "${String(config.machineType)}" (q35, pc or microvm)`);
  if (config.accel !== 'kvm' && config.accel !== 'tcg') throw invalid(`unknown accelerator "${String(config.accel)}" (kvm or tcg)`);
  if (!Number.isInteger(config.vcpus) || config.vcpus < 1 || config.vcpus > MAX_VCPUS) {
    throw invalid(`vCPUs must be an integer from 1 to ${MAX_VCPUS}, got ${String(config.vcpus)}`);
  }
  if (!Number.isInteger(config.memoryMiB) || config.memoryMiB <= 0) {
    throw invalid(`memory must be a positive whole number of MiB, got ${String(config.memoryMiB)}`);
  }
  if (options.checkHypervisorPath ?? true) checkPath('hypervisorPath', config.hypervisorPath);
  checkPath('kernelPath', config.kernelPath);
  if (config.initrdPath !== undefined) checkPath('initrdPath', config.initrdPath);
  if (config.imagePath !== undefined) checkPath('imagePath', config.imagePath);
  if (config.sharedDir !== undefined) checkPath('sharedDir', config.sharedDir);
  if (config.memoryBackend?.kind === 'file') checkPath('memoryBackend.path', config.memoryBackend.path);
  for (const param of config.kernelParams) {
    if (typeof param !== 'string' || param.trim().length === 0) throw invalid('kernel parameters must be non-empty strings');
    if (CONTROL_CHARS.test(param)) throw invalid(`kernel parameter ${JSON.stringify(param)} contains a control character`);
  }
  checkPath('runDir', paths.runDir);
  checkSocketPath('qmpSocket', paths.qmpSocket);
  checkSocketPath('consoleSocket', paths.consoleSocket);
  checkSocketPath('agentSocket', paths.agentSocket);
  if (paths.ioSocket) checkSocketPath('ioSocket', paths.ioSocket);
  checkPath('pidFile', paths.pidFile);
  checkPath('logFile', paths.logFile);
  checkPath('consoleLog', consoleLogPath(paths));
}

/**
 * The one place guest RAM's backend is rendered: `-object memory-backend-*`
 * plus the machine's `memory-backend=` property, or nothing for anonymous RAM.
 */
/** The id of guest RAM's memory backend object when there is one (its RAM block is named after it). */
export const MEMORY_BACKEND_ID = 'vessel-ram';

export function memoryBackendArgs(config: Pick<HypervisorConfig, 'memoryBackend' | 'memoryMiB'> & Partial<Pick<HypervisorConfig, 'sharedDirTransport'>>): { object: string[]; machineProperty: string } {
  // virtio-fs (vhost-user) needs guest RAM the daemon can map: the same one backend, shared.
  const vhostUser = config.sharedDirTransport?.kind === 'virtio-fs';
  let backend = config.memoryBackend;
  if (vhostUser && (!backend || backend.kind === 'anonymous')) backend = { kind: 'memfd', shared: true };
  if (!backend || backend.kind === 'anonymous') return { object: [], machineProperty: '' };
  if (vhostUser && backend.kind === 'file' && !backend.shared) {
    throw invalid('virtio-fs needs guest RAM shared with virtiofsd, but this VM maps its memory file privately (a template clone): use --rootfs-transport 9p or block with templates');
  }
  const share = backend.shared || vhostUser ? 'on' : 'off';
  const size = `size=${config.memoryMiB}M`;
  const object = backend.kind === 'memfd'
    ? `memory-backend-memfd,id=vessel-ram,${size},share=${share}`
    : `memory-backend-file,id=vessel-ram,${size},mem-path=${escapeQemuOptValue(backend.path)},share=${share}`;
  return { object: ['-object', object], machineProperty: ',memory-backend=vessel-ram' };
}

function hasParam(params: readonly string[], key: string): boolean {
  return params.some((p) => p === key || p.startsWith(`${key}=`));
}

/** Facts about the host the command line depends on; read by the driver, passed in to keep this module pure. */
export interface HostFacts {
  /** The host's TSC rate in kHz, when known. */
  tscKhz?: number;
  /** Size of HypervisorConfig.imagePath in bytes (a memory-mapped image's backend needs it). */
  imageBytes?: number;
}

/**
 * The kernel command line: the caller's parameters, plus the ones Vessel's
 * wiring depends on when the caller did not set them — the serial console
 * (our console socket is ttyS0), panic=1 (with -no-reboot a panicking guest
 * then ends the VM instead of spinning forever), root=/dev/vda for an image,
 * and for microvm under TCG tsc_early_khz: microvm's hardware-reduced ACPI
 * leaves the guest no reference clock (no PIT calibration, no HPET, no PM
 * timer) to measure its TSC and the boot hangs; a TCG guest's TSC runs at the
 * host's TSC rate, so we tell it.
 */
export function kernelCommandLine(
  config: Pick<HypervisorConfig, 'kernelParams' | 'imagePath'> & Partial<Pick<HypervisorConfig, 'machineType' | 'accel' | 'imageDevice' | 'viommu'>>,
  host: HostFacts = {},
): string {
  const params = [...config.kernelParams];
  if (!hasParam(params, 'console')) params.push('console=ttyS0');
  if (!hasParam(params, 'panic')) params.push('panic=1');
  // Which CPU the guest has, so init picks the agent's V8 snapshot made for it (guest/build/init.ts).
  if (config.accel !== undefined && !hasParam(params, GUEST_CPU_PARAM)) params.push(`${GUEST_CPU_PARAM}=${config.accel === 'kvm' ? 'host' : 'tcg'}`);
  // A memory-mapped image (pmem) is found and mounted by the image's stage-1 init, not by root=.
  const blkImage = config.imagePath !== undefined && (config.imageDevice ?? 'virtio-blk') === 'virtio-blk';
  if (blkImage && !hasParam(params, 'root')) params.push('root=/dev/vda', 'ro');
  // A vIOMMU only helps if the guest turns its driver on; pt keeps the guest's own virtio DMA untranslated.
  if (config.viommu && !hasParam(params, 'intel_iommu')) params.push('intel_iommu=on', 'iommu=pt');
  if (config.machineType === 'microvm' && config.accel === 'tcg' && host.tscKhz !== undefined && !hasParam(params, 'tsc_early_khz')) {
    params.push(`tsc_early_khz=${host.tscKhz}`);
  }
  return params.join(' ');
}

function machineArg(machine: MachineType, accel: Accel, extra = ''): string {
  switch (machine) {
    case 'q35':
    case 'pc':
      return `${machine},accel=${accel}${extra}`;
    case 'microvm':
      // No firmware option ROMs to load (faster boot), a 16550 for ttyS0 (our
      // console), an RTC so the guest has wall-clock time. ACPI stays on: it
      // is how the guest finds the virtio-mmio devices (Debian's virtio_mmio
      // is built without CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES, so the
      // virtio_mmio.device= route of acpi=off does not work). Under TCG see
      // tsc_early_khz in kernelCommandLine.
      return `microvm,accel=${accel},x-option-roms=off,isa-serial=on,rtc=on${extra}`;
  }
}

const MIB = 1048576;
/** DIMM slots for memory hot add (each hot add takes one). */
export const HOTPLUG_DIMM_SLOTS = 8;

/**
 * -machine, the accelerator and -m in one place: a memory-mapped image
 * (virtio-pmem, nvdimm) is a memory device, so -m gets maxmem room for it
 * (and a slot for an nvdimm); a TCG translation cache size needs -accel,
 * which QEMU refuses next to -machine accel=.
 */
function machineAndMemoryArgs(config: HypervisorConfig, host: HostFacts): string[] {
  const device = config.imagePath !== undefined ? config.imageDevice ?? 'virtio-blk' : undefined;
  const nvdimm = device === 'nvdimm' ? ',nvdimm=on' : '';
  const tb = config.accel === 'tcg' && config.tcgTbSizeMiB !== undefined;
  const memory = memoryBackendArgs(config);
  const machine = machineArg(config.machineType, config.accel, nvdimm) + memory.machineProperty;
  const args = tb
    ? ['-machine', machine.replace(`,accel=${config.accel}`, ''), '-accel', `tcg,tb-size=${config.tcgTbSizeMiB}`]
    : ['-machine', machine];
  const maxVcpus = config.maxVcpus !== undefined && config.maxVcpus > config.vcpus ? config.maxVcpus : undefined;
  args.push(...memory.object, '-cpu', cpuModelFor(config.accel), '-smp', maxVcpus ? `${config.vcpus},maxcpus=${maxVcpus}` : String(config.vcpus));
  // Hot-add room for memory: DIMM slots and maxmem beyond the base (and beyond a memory-mapped image).
  const hotMiB = config.machineType !== 'microvm' && config.maxMemoryMiB !== undefined && config.maxMemoryMiB > config.memoryMiB ? config.maxMemoryMiB - config.memoryMiB : 0;
  const dimmSlots = hotMiB > 0 ? HOTPLUG_DIMM_SLOTS : 0;
  if (device === 'virtio-pmem' || device === 'nvdimm') {
    const imageMiB = Math.ceil((host.imageBytes ?? 0) / MIB);
    args.push('-m', `${config.memoryMiB}M,slots=${(device === 'nvdimm' ? 1 : 0) + dimmSlots},maxmem=${config.memoryMiB + imageMiB + hotMiB}M`);
  } else if (hotMiB > 0) {
    args.push('-m', `${config.memoryMiB}M,slots=${dimmSlots},maxmem=${config.memoryMiB + hotMiB}M`);
  } else {
    args.push('-m', `${config.memoryMiB}M`);
  }
  return args;
}

/** The image as a read-only device: a block device, or a read-only private file mapping behind pmem/nvdimm. */
function imageArgs(config: HypervisorConfig, host: HostFacts): string[] {
  if (config.imagePath === undefined) return [];
  const file = escapeQemuOptValue(config.imagePath);
  const device = config.imageDevice ?? 'virtio-blk';
  if (device === 'virtio-blk') {
    return ['-drive', `file=${file},if=none,id=rootfs,format=raw,readonly=on`, '-device', `${virtioDevice(config.machineType, 'blk')},drive=rootfs`];
  }
  // readonly=on: QEMU opens the file O_RDONLY and maps it PROT_READ, so no guest can change it;
  // share=off: a private mapping of the page cache, shared between VMs until written (never).
  const backend = `memory-backend-file,id=rootimg,mem-path=${file},size=${host.imageBytes ?? 0},share=off,readonly=on`;
  if (device === 'nvdimm') return ['-object', backend, '-device', 'nvdimm,id=rootnv,memdev=rootimg,unarmed=on'];
  return ['-object', backend, '-device', 'virtio-pmem-pci,id=rootpmem,memdev=rootimg'];
}

/** virtio devices are PCI on pc/q35 and MMIO ('-device' suffix) on microvm. */
function virtioDevice(machine: MachineType, kind: 'serial' | 'blk' | 'rng' | '9p' | 'balloon'): string {
  return machine === 'microvm' ? `virtio-${kind}-device` : `virtio-${kind}-pci`;
}

function checkFootprintOptions(config: HypervisorConfig, host: HostFacts): void {
  const device = config.imageDevice ?? 'virtio-blk';
  if (!['virtio-blk', 'virtio-pmem', 'nvdimm'].includes(device)) throw invalid(`unknown image device "${String(device)}" (virtio-blk, virtio-pmem or nvdimm)`);
  if (config.imagePath !== undefined && device !== 'virtio-blk') {
    if (config.machineType === 'microvm') throw invalid(`image device ${device} needs a PCI machine (q35 or pc), not microvm`);
    if (host.imageBytes === undefined || !Number.isInteger(host.imageBytes) || host.imageBytes <= 0 || host.imageBytes % (2 * MIB) !== 0) {
      throw invalid(`image ${config.imagePath} for ${device} must be a whole number of 2 MiB blocks (got ${String(host.imageBytes)} bytes); rebuild it with npm run build:guest`);
    }
  }
  if (config.tcgTbSizeMiB !== undefined && (!Number.isInteger(config.tcgTbSizeMiB) || config.tcgTbSizeMiB < 1 || config.tcgTbSizeMiB > 4096)) {
    throw invalid(`TCG translation cache size must be 1-4096 MiB, got ${String(config.tcgTbSizeMiB)}`);
  }
}

function socketChardev(id: string, path: string, extra = ''): string {
  return `socket,id=${id},path=${escapeQemuOptValue(path)},server=on,wait=off${extra}`;
}

/**
 * QEMU's argument vector (without argv[0]) for one sandbox VM. Pure: no
 * filesystem access, so it is fully unit-testable; validation throws
 * VesselError.
 *
 * Choices:
 * - `-daemonize`: QEMU outlives the app (DESIGN: "outlives the app"), and the
 *   launching process exits only after QEMU created its sockets and pidfile,
 *   so "parent exited 0" means "QMP is ready to accept". Errors before that
 *   point arrive on the parent's stderr. It rules out -nographic (which wants
 *   stdio), hence `-display none`.
 * - QMP via `-chardev socket` + `-mon mode=control`, so the path goes through
 *   the same QemuOpts escaping as the other sockets.
 * - `-no-reboot` (+ panic=1 on the kernel command line): a guest reboot or
 *   panic ends the VM; the watcher reports it.
 * - `-D logFile`: after -daemonize QEMU's stderr is /dev/null; its log goes here.
 */
export function buildQemuArgs(config: HypervisorConfig, paths: VmPaths, host: HostFacts = {}): string[] {
  validateVmRequest(config, paths);
  if (host.tscKhz !== undefined && (!Number.isInteger(host.tscKhz) || host.tscKhz <= 0)) throw invalid(`host TSC rate must be a positive whole number of kHz, got ${host.tscKhz}`);
  checkFootprintOptions(config, host);
  const machine = config.machineType;
  const args: string[] = [
    '-name', `guest=${config.sandboxId},debug-threads=on`,
    ...machineAndMemoryArgs(config, host),
    '-nodefaults', '-no-user-config',
    '-display', 'none',
    '-vga', 'none',
    '-kernel', config.kernelPath,
  ];
  if (config.initrdPath !== undefined) args.push('-initrd', config.initrdPath);
  args.push('-append', kernelCommandLine(config, host));
  if (config.viommu) {
    if (machine !== 'q35') throw invalid(`a vIOMMU needs the q35 machine type (this sandbox is ${machine})`);
    // Before any PCI device. caching-mode=on: QEMU's vfio-pci needs it to follow the guest's mappings;
    // intremap=off: interrupt remapping would need a split irqchip under KVM.
    args.push('-device', 'intel-iommu,intremap=off,caching-mode=on');
  }
  if (machine !== 'q35' && (config.coldPlugDevices ?? []).length > 0) {
    throw invalid(`cold-plugged devices need PCIe root ports, which only the q35 machine has (this sandbox is ${machine})`);
  }
  args.push(...imageArgs(config, host));
  if (config.sharedDir !== undefined && config.sharedDirTransport?.kind === 'virtio-fs') {
    // vhost-user-fs: virtiofsd serves the directory; QEMU only relays the queues.
    checkSocketPath('sharedDirTransport.socketPath', config.sharedDirTransport.socketPath);
    if (machine === 'microvm') throw invalid('virtio-fs needs a PCI machine (q35 or pc), not microvm');
    args.push(
      '-chardev', `socket,id=vfs,path=${escapeQemuOptValue(config.sharedDirTransport.socketPath)}`,
      '-device', `vhost-user-fs-pci,chardev=vfs,tag=${SHARED_DIR_MOUNT_TAG},queue-size=1024`,
    );
  } else if (config.sharedDir !== undefined) {
    // QEMU's built-in 9p server. security_model=none: files keep the owners
    // the guest gives them (QEMU runs as the user; no xattr mapping).
    // multidevs=remap: the directory may span several host filesystems;
    // remapping inode numbers keeps them unique in the guest.
    args.push(
      '-fsdev', `local,id=vshared,path=${escapeQemuOptValue(config.sharedDir)},security_model=none,multidevs=remap`,
      '-device', `${virtioDevice(machine, '9p')},fsdev=vshared,mount_tag=${SHARED_DIR_MOUNT_TAG}`,
    );
  }
  // Hot-plug slots (q35 only: pc hot plugs on pci.0 directly, microvm not at all).
  // Cold-plugged devices take rp0, rp1, … in order; the rest stay free for hot plug.
  if (machine === 'q35') args.push(...coldPlugArgs(config.pcieRootPorts ?? DEFAULT_PCIE_ROOT_PORTS, config.coldPlugDevices ?? []));
  args.push(...networkArgs(config.network, machine));
  args.push(
    // Control channel.
    '-chardev', socketChardev('qmp', paths.qmpSocket),
    '-mon', 'chardev=qmp,mode=control',
    // Serial console: a socket to attach to, and a log that keeps everything the guest printed.
    '-chardev', socketChardev('console', paths.consoleSocket, `,logfile=${escapeQemuOptValue(consoleLogPath(paths))},logappend=on`),
    '-serial', 'chardev:console',
    // Guest agent channel (virtio-serial; the agent opens /dev/virtio-ports/vessel.agent).
    '-device', `${virtioDevice(machine, 'serial')},id=vser0`,
    '-chardev', socketChardev('agent', paths.agentSocket),
    '-device', `virtserialport,bus=vser0.0,chardev=agent,name=${AGENT_PORT_NAME}`,
    ...(paths.ioSocket ? ['-chardev', socketChardev('io', paths.ioSocket), '-device', `virtserialport,bus=vser0.0,chardev=io,name=${IO_PORT_NAME}`] : []),
    // Entropy for the guest: node and TLS block on an empty pool otherwise.
    '-object', 'rng-random,id=rng0,filename=/dev/urandom',
    '-device', `${virtioDevice(machine, 'rng')},rng=rng0`,
    ...(config.balloon ? ['-device', `${virtioDevice(machine, 'balloon')},id=balloon0,free-page-reporting=${config.balloon.freePageReporting ? 'on' : 'off'}`] : []),
    '-pidfile', paths.pidFile,
    '-D', paths.logFile,
    '-no-reboot',
    '-daemonize',
  );
  if (config.incoming) args.push('-S', '-incoming', 'defer');
  return args;
}
