// Hot plug / unplug latency under TCG (issue 8), 10 rounds each, p50 and max,
// side by side in one run on one sandbox:
// - PCI device: device_add of QEMU's emulated edu on a free root port until
//   the guest agent finds it at the QMP-reported PCI path; device_del until
//   DEVICE_DELETED (the guest let it go).
// - block device: blockdev-add + virtio-blk-pci until the guest has the disk;
//   device_del + DEVICE_DELETED + blockdev-del.
// The PCI device stands in for a host device (no VFIO hardware here): the
// QEMU and guest side are the same as with vfio-pci.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRuntime } from '../core/api/index.js';
import { percentile } from './sandbox-fixture.js';

const ROUNDS = 10;

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'vessel-bench-devices-'));
  const image = path.join(root, 'disk.img');
  if (spawnSync('mkfs.ext4', ['-q', '-F', image, '8M']).status !== 0) throw new Error('mkfs.ext4 failed (e2fsprogs)');
  const rt = createRuntime({ ...process.env, VESSEL_ROOT: path.join(root, 'store') });
  let id: string | null = null;
  try {
    const t0 = performance.now();
    const s = await rt.sandboxes.runSandbox({ memoryMiB: 512, pcieRootPorts: 4 });
    id = s.id;
    console.log(`[devices] sandbox running in ${((performance.now() - t0) / 1000).toFixed(1)} s (${s.accel ?? '?'})`);
    const { config, state } = await rt.sandboxes.readSandbox(id);
    const vm = state.hypervisorState;
    const driver = rt.sandboxes.hypervisorOf(config).devices;
    if (!vm || !driver) throw new Error('no VM or no device driver');
    const sandboxId = id;
    const find = (p: string) => rt.sandboxes.withAgent(sandboxId, vm, (a) => a.findPciDevice(p, 20_000));
    const times = { pciPlug: [] as number[], pciUnplug: [] as number[], blkPlug: [] as number[], blkUnplug: [] as number[] };
    for (let i = 0; i < ROUNDS; i += 1) {
      let t = performance.now();
      const pci = await driver.plugPci(vm, `bench-edu-${i}`, { kind: 'emulated', model: 'edu' });
      await find(pci.guestPciPath);
      times.pciPlug.push(performance.now() - t);
      t = performance.now();
      await driver.unplug(vm, `bench-edu-${i}`);
      times.pciUnplug.push(performance.now() - t);

      t = performance.now();
      const blk = await driver.plugBlock(vm, `bench-blk-${i}`, { file: image, format: 'raw', hostDevice: false, readOnly: true });
      const seen = await find(blk.guestPciPath);
      if (!seen.blockDevice) await rt.sandboxes.withAgent(sandboxId, vm, (a) => a.findPciDevice(blk.guestPciPath, 20_000));
      times.blkPlug.push(performance.now() - t);
      t = performance.now();
      await driver.unplug(vm, `bench-blk-${i}`);
      times.blkUnplug.push(performance.now() - t);
    }
    const f = (xs: number[]): string => `p50 ${percentile(xs, 50).toFixed(0)} ms, max ${percentile(xs, 100).toFixed(0)} ms`;
    console.log(`[devices] ${ROUNDS} rounds each, same sandbox, under ${s.accel ?? '?'}:`);
    console.log(`[devices] PCI hot plug (device_add → guest sees it):      ${f(times.pciPlug)}`);
    console.log(`[devices] PCI hot unplug (device_del → DEVICE_DELETED):    ${f(times.pciUnplug)}`);
    console.log(`[devices] block hot plug (blockdev-add + device_add → guest): ${f(times.blkPlug)}`);
    console.log(`[devices] block hot unplug (device_del → DEVICE_DELETED, blockdev-del): ${f(times.blkUnplug)}`);
  } finally {
    if (id) await rt.sandboxes.deleteSandbox(id, { force: true }).catch(() => undefined);
    rt.close();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
