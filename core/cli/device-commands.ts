import { Command, Option } from 'commander';
import { VesselError, type DeviceInventory, type HostPciDevice, type IommuGroupView, type SandboxDevice, type SysfsWrite } from '../contract/index.js';
import type { CliContext } from './container-commands.js';

/**
 * `vessel device …` (host PCI devices, IOMMU groups, vfio-pci binding,
 * assignment to sandboxes) and `vessel block …` (disk images hot plugged
 * into a running sandbox and mounted into a container).
 */

function label(d: HostPciDevice): string {
  return `${d.vendorName ?? d.vendorId} ${d.deviceName ?? d.deviceId}`;
}

function loss(d: HostPciDevice): string {
  const parts = [
    ...d.hostLoss.netInterfaces.map((n) => `net ${n}`),
    ...d.hostLoss.blockDevices.map((b) => `disk ${b.name}${b.mounts.length ? ` (${b.mounts.join(', ')})` : ''}`),
    ...d.hostLoss.displays.map((x) => `display ${x}`),
  ];
  if (d.hostLoss.rootFilesystem) parts.unshift('THE ROOT FILESYSTEM');
  return parts.join('; ') || '-';
}

function groupLine(g: IommuGroupView): string {
  const state = g.refusal ? `refused: ${g.refusal}` : g.viable ? 'viable (all on vfio-pci or driverless)' : `not viable: ${g.blockers.map((b) => `${b.address} on ${b.driver}`).join(', ')}`;
  return `IOMMU group ${g.id}: ${state}`;
}

function deviceLine(d: HostPciDevice): string {
  const used = d.inUseBy ? ` [in use by ${d.inUseBy.sandboxName}]` : '';
  return `  ${d.address}  ${label(d)}  (${d.className ?? d.classCode})  driver: ${d.driver ?? 'none'}${d.isBridge ? '  bridge: left alone' : ''}${used}  host loses: ${loss(d)}`;
}

export function formatInventory(inv: DeviceInventory, groups: boolean): string {
  const lines: string[] = [];
  if (inv.simulated) lines.push(`SIMULATED host devices (VESSEL_DEVICE_SIMULATION=1, sysfs at ${inv.sysfsRoot})`);
  if (!inv.iommuEnabled) lines.push('IOMMU: off (no /sys/class/iommu entries): devices cannot be assigned; add intel_iommu=on iommu=pt or amd_iommu=on to the kernel command line');
  if (groups) {
    for (const g of inv.groups) {
      lines.push(groupLine(g));
      for (const a of g.members) {
        const d = inv.devices.find((x) => x.address === a);
        if (d) lines.push(deviceLine(d));
      }
    }
    const loose = inv.devices.filter((d) => d.iommuGroup === null);
    if (loose.length) {
      lines.push('no IOMMU group (cannot be assigned):');
      for (const d of loose) lines.push(deviceLine(d));
    }
  } else {
    lines.push('ADDRESS       GROUP  DRIVER          DEVICE');
    for (const d of inv.devices) {
      lines.push(`${d.address}  ${String(d.iommuGroup ?? '-').padEnd(5)}  ${(d.driver ?? '-').padEnd(14)}  ${label(d)}${d.inUseBy ? `  [${d.inUseBy.sandboxName}]` : ''}`);
    }
  }
  return lines.join('\n');
}

function formatWrites(writes: SysfsWrite[]): string {
  return writes.length === 0 ? '(nothing to write: already done)' : writes.map((w) => `echo ${JSON.stringify(w.value)} > ${w.path}    # ${w.why}`).join('\n');
}

function formatSandboxDevice(d: SandboxDevice): string {
  const where = d.guestPciPath ? `guest PCI path ${d.guestPciPath} (${d.rootPort ?? '?'})` : 'cold plug at next start';
  const sim = d.simulatedAs ? ` [SIMULATED as ${d.simulatedAs}]` : '';
  const mount = d.containerPath ? ` mounted at ${d.containerPath}${d.readOnly ? ' (ro)' : ''}` : '';
  const mode = d.mode ? `  ${d.mode} mode` : '';
  const guest = d.guest ? (d.guest.vfioGroup !== null ? `  guest vfio-pci, /dev/vfio/${d.guest.vfioGroup}` : `  guest driver ${d.guest.driver || 'none'}`) : '';
  return `${d.id}  ${d.kind}  ${d.source}  ${d.state}  ${where}${mode}${guest}${mount}${sim}`;
}

function parseTimeout(value: string): number {
  if (!/^\d+$/.test(value)) throw new VesselError('E_INVALID_ARGUMENT', `--timeout must be whole seconds, got "${value}"`);
  return Number(value) * 1000;
}

export function registerDeviceCommands(program: Command, ctx: CliContext): void {
  const { rt, print, printJson } = ctx;
  const progress = (m: string): void => {
    process.stderr.write(`[device] ${m}\n`);
  };
  const recovered = async (): Promise<void> => {
    for (const m of await rt().devices.manager.recover()) process.stderr.write(`vessel: ${m}\n`);
  };

  const device = program.command('device').description('host PCI devices: IOMMU groups, vfio-pci binding, assignment to sandboxes');

  device
    .command('list')
    .description('list host PCI devices (with --groups: by IOMMU group, with viability and what the host would lose)')
    .option('--groups', 'group by IOMMU group')
    .option('--sandbox <sandbox>', "list a sandbox's devices instead")
    .option('--json', 'print JSON')
    .action(async (opts: { groups?: boolean; json?: boolean; sandbox?: string }) => {
      await recovered();
      if (opts.sandbox) {
        const list = await rt().devices.list(opts.sandbox);
        if (opts.json) printJson(list);
        else print(list.length ? list.map(formatSandboxDevice).join('\n') : 'no devices in this sandbox');
        return;
      }
      const inv = await rt().devices.manager.inventory();
      if (opts.json) printJson(inv);
      else print(formatInventory(inv, Boolean(opts.groups)));
    });

  device
    .command('show <bdf>')
    .description('one device in full: IDs, names, driver, group and its viability, BARs, SR-IOV, what the host would lose')
    .option('--json', 'print JSON')
    .action(async (bdf: string, opts: { json?: boolean }) => {
      const { device: d, group } = await rt().devices.manager.show(bdf);
      if (opts.json) return printJson({ device: d, group });
      print([
        `${d.address}  ${label(d)}`,
        `  IDs: ${d.vendorId}:${d.deviceId} (subsystem ${d.subsystemVendorId ?? '-'}:${d.subsystemDeviceId ?? '-'}), class ${d.classCode} ${d.className ?? ''}`,
        `  driver: ${d.driver ?? 'none'}${d.driverOverride ? ` (override: ${d.driverOverride})` : ''}; NUMA node ${d.numaNode ?? '-'}; ${d.pcie ? 'PCIe' : 'conventional PCI'}; reset: ${d.resetMethods.join(', ') || '-'}`,
        `  BARs: ${d.bars.map((b) => `${b.index}: ${b.sizeBytes >= 1 << 20 ? `${b.sizeBytes / (1 << 20)} MiB` : `${b.sizeBytes / 1024} KiB`}`).join(', ') || '-'}`,
        `  SR-IOV: ${d.sriov.physfn ? `VF of ${d.sriov.physfn}` : d.sriov.virtfns.length ? `${d.sriov.virtfns.length} VF(s): ${d.sriov.virtfns.join(', ')}` : '-'}`,
        `  host loses: ${loss(d)}`,
        `  in use by: ${d.inUseBy ? `${d.inUseBy.sandboxName} (${d.inUseBy.sandboxId})` : '-'}`,
        group ? groupLine(group) : '  no IOMMU group: it cannot be assigned',
        ...(group?.excluded.map((e) => `  ${e.address} excluded: ${e.reason}`) ?? []),
      ].join('\n'));
    });

  for (const verb of ['bind', 'unbind'] as const) {
    device
      .command(`${verb} <bdf>`)
      .description(verb === 'bind' ? "bind the device's whole IOMMU group to vfio-pci (bridges excluded)" : "give the device's group back to its host drivers")
      .option('--dry-run', 'print the exact sysfs writes and change nothing')
      .option('--json', 'print JSON')
      .action(async (bdf: string, opts: { dryRun?: boolean; json?: boolean }) => {
        await recovered();
        const m = rt().devices.manager;
        if (opts.dryRun) {
          const plan = verb === 'bind' ? await m.planBind(bdf) : await m.planRestore(bdf);
          if (opts.json) printJson(plan);
          else print(`# IOMMU group ${plan.group.id}: ${plan.group.assignable.join(', ')}${plan.group.excluded.length ? ` (excluded: ${plan.group.excluded.map((e) => e.address).join(', ')})` : ''}\n${formatWrites(plan.writes)}`);
          return;
        }
        const g = verb === 'bind' ? await m.bind(bdf, progress) : await m.restore(bdf, progress);
        if (opts.json) printJson(g);
        else print(groupLine(g));
      });
  }

  device
    .command('attach <sandbox> <bdf>')
    .description('assign a host PCI device (its whole IOMMU group) to a sandbox: hot plug when running, else cold plug at the next start')
    .option('--cold', 'cold plug at the next start even if the sandbox runs')
    .addOption(new Option('--mode <mode>', 'vfio: the guest binds it to vfio-pci and containers created afterwards get /dev/vfio/N (needs a vIOMMU: --cold, or a sandbox made with --viommu); guest-kernel: the guest driver binds it (default: vfio when the VM has a vIOMMU or the plug is cold, else guest-kernel)').choices(['vfio', 'guest-kernel']))
    .option('--json', 'print JSON')
    .action(async (sandbox: string, bdf: string, opts: { cold?: boolean; mode?: 'vfio' | 'guest-kernel'; json?: boolean }) => {
      await recovered();
      const added = await rt().devices.attachPci({ sandboxId: (await rt().sandboxes.fetchSandbox(sandbox)).id, address: bdf, ...(opts.mode ? { mode: opts.mode } : {}), cold: Boolean(opts.cold) }, progress);
      if (opts.json) printJson(added);
      else print(added.map(formatSandboxDevice).join('\n'));
    });

  device
    .command('detach <sandbox> <bdf>')
    .description('hot unplug a device (and its group) from a sandbox and give it back to the host driver')
    .option('--keep-vfio', 'leave the group bound to vfio-pci')
    .option('--timeout <seconds>', 'how long to wait for the guest to release it (default 30)', parseTimeout)
    .option('--json', 'print JSON')
    .action(async (sandbox: string, bdf: string, opts: { keepVfio?: boolean; timeout?: number; json?: boolean }) => {
      const out = await rt().devices.detachPci(sandbox, bdf, { keepVfio: Boolean(opts.keepVfio), ...(opts.timeout ? { timeoutMs: opts.timeout } : {}) }, progress);
      if (opts.json) printJson(out);
      else print(out.detached.length ? `detached ${out.detached.join(', ')}${out.restored ? '; host drivers restored' : ''}` : 'one reference dropped; the device stays attached');
    });

  const block = program.command('block').description('disk images hot plugged into a running sandbox and mounted into a container');
  block
    .command('attach <sandbox> <image>')
    .description('hot plug a raw or qcow2 image (or a host block device) and mount it into a container')
    .requiredOption('--container <container>', 'the container to mount it into')
    .requiredOption('--path <path>', 'where, inside the container')
    .option('--read-only', 'attach and mount read-only')
    .option('--vhost-user', 'serve it with qemu-storage-daemon over vhost-user-blk (sandbox made with --shared-memory)')
    .option('--json', 'print JSON')
    .action(async (sandbox: string, image: string, opts: { container: string; path: string; readOnly?: boolean; vhostUser?: boolean; json?: boolean }) => {
      const dev = await rt().devices.attachBlock({ sandboxId: (await rt().sandboxes.fetchSandbox(sandbox)).id, source: image, container: opts.container, path: opts.path, readOnly: Boolean(opts.readOnly), vhostUser: Boolean(opts.vhostUser) }, progress);
      if (opts.json) printJson(dev);
      else print(formatSandboxDevice(dev));
    });
  block
    .command('detach <sandbox> <device>')
    .description('unmount (in the container) and hot unplug a block device: give its id, image path or container path')
    .option('--json', 'print JSON')
    .action(async (sandbox: string, ref: string, opts: { json?: boolean }) => {
      const dev = await rt().devices.detachBlock(sandbox, ref, progress);
      if (opts.json) printJson(dev);
      else print(`detached ${dev.id} (${dev.source})`);
    });
  block
    .command('list <sandbox>')
    .description("a sandbox's block devices")
    .option('--json', 'print JSON')
    .action(async (sandbox: string, opts: { json?: boolean }) => {
      const list = (await rt().devices.list(sandbox)).filter((d) => d.kind === 'block' || d.kind === 'vhost-user-blk');
      if (opts.json) printJson(list);
      else print(list.length ? list.map(formatSandboxDevice).join('\n') : 'no block devices');
    });
}
