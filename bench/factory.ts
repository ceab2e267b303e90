/**
 * VM factory benchmark (`npm run bench:factory`), side by side in one run on
 * the same machine type, accel, vCPUs and memory:
 *   - create time: cold (direct boot) vs from a template (clone), alternating;
 *     then from the VM cache (a cache server holding one paused template
 *     clone, waited for between rounds so only the hand-over is timed);
 *   - the same with a user-mode NIC (QEMU slirp, no forwards: no traffic
 *     leaves the VM): cold boots it with the NIC, a clone gets it hot
 *     plugged after the restore;
 *   - host memory (PSS from /proc/PID/smaps_rollup) of 5 idle sandboxes,
 *     cold vs template clones.
 *   - restore of a checkpoint (a block-rootfs sandbox checkpointed and stopped,
 *     then restored into itself: manifest + sha256 check, QEMU waiting for the
 *     stream, RAM and devices loaded, resumed, clock and RNG set, agent ready).
 * Not a test: it asserts nothing. Run it through
 * /work/bin/vmslot on the shared machine.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SandboxService } from '../core/api/index.js';
import { SandboxStore } from '../core/store/index.js';
import { resolveAccel } from '../core/host/index.js';
import { QemuHypervisor } from '../core/hypervisor/qemu/qemu.js';
import { QemuSnapshotDriver } from '../core/hypervisor/qemu/snapshot.js';
import { sandboxVmConfig } from '../core/factory/defaults.js';
import { createFactory, startCacheServer, stopCacheServer, TemplateStore, templateHash, VmFactory, writeFactoryConfig } from '../core/factory/index.js';
import { factoryStatus } from '../core/factory/status.js';
import { rootfsTransportHooks } from '../core/image/rootfs-transport.js';
import { CniNetworkManager } from '../core/network/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const IDLE = Number(process.env.BENCH_IDLE_SANDBOXES ?? 5);
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 10_000);

function sec(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
function pssKiB(pid: number): number {
  const m = /^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m?.[1] ? Number(m[1]) : NaN;
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'vbf-'));
  const tplRoot = mkdtempSync(path.join('/dev/shm', 'vbft-'));
  const env = { ...process.env, VESSEL_ROOT: root };
  const qemu = new QemuHypervisor();
  const snapshot = new QemuSnapshotDriver(qemu);
  const templates = new TemplateStore({ dir: path.join(tplRoot, 'templates'), driver: qemu, snapshot, env });
  const factory = new VmFactory({ config: { enable_template: true, vm_cache_number: 0 }, templates, snapshot, rebuildInBackground: false });
  const store = new SandboxStore(root);
  const accel = (requested: 'auto' | 'kvm' | 'tcg', kernelPath: string, qemuPath: string) => resolveAccel(requested, { kernelPath, qemuPath, cacheDir: root, env });
  const cold = new SandboxService({ store, env, resolveAccel: accel });
  const warm = new SandboxService({ store, env, resolveAccel: accel, factory });
  const all = async (): Promise<void> => {
    for (const s of await cold.listSandbox()) await cold.deleteSandbox(s.id, { force: true });
  };
  try {
    const spec = await templates.specFor(await sandboxVmConfig(root, {}, env));
    const buildStart = performance.now();
    const info = await templates.build(spec);
    const buildMs = performance.now() - buildStart;
    console.log(`template ${templateHash(spec).slice(0, 12)} built in ${sec(buildMs)} (state ${((info?.meta.stateBytes ?? 0) / 1024).toFixed(0)} KiB; RAM file ${((info?.sizeBytes ?? 0) / 1048576).toFixed(0)} MiB resident on tmpfs)`);

    const coldMs: number[] = [];
    const tplMs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      const c = await cold.createSandbox({ name: `cold-${i}` });
      coldMs.push(performance.now() - t);
      await cold.deleteSandbox(c.id, { force: true });
      t = performance.now();
      const w = await warm.createSandbox({ name: `tpl-${i}` });
      tplMs.push(performance.now() - t);
      if (w.vmOrigin?.source !== 'template') console.log(`  round ${i}: clone fell back: ${w.vmOrigin?.fallbackReason ?? '?'}`);
      await warm.deleteSandbox(w.id, { force: true });
      console.log(`  round ${i + 1}: cold ${sec(coldMs[i] ?? 0)}, template ${sec(tplMs[i] ?? 0)}`);
    }
    const coldMed = median(coldMs);
    const tplMed = median(tplMs);

    // With a NIC: user-mode (slirp), which needs no root; a bridge NIC is hot plugged the same way (a tap fd instead of a slirp netdev).
    const resolvConfPath = path.join(root, 'resolv.conf');
    writeFileSync(resolvConfPath, 'nameserver 10.255.255.254\n'); // never the host's resolvers
    const network = new CniNetworkManager({ root, resolvConfPath });
    const coldNet = new SandboxService({ store, env, resolveAccel: accel, network });
    const warmNet = new SandboxService({ store, env, resolveAccel: accel, network, factory });
    const coldNetMs: number[] = [];
    const tplNetMs: number[] = [];
    try {
      for (let i = 0; i < ROUNDS; i++) {
        let t = performance.now();
        const c = await coldNet.createSandbox({ name: `cold-nic-${i}`, network: 'user:slirp' });
        coldNetMs.push(performance.now() - t);
        await coldNet.deleteSandbox(c.id, { force: true });
        t = performance.now();
        const w = await warmNet.createSandbox({ name: `tpl-nic-${i}`, network: 'user:slirp' });
        tplNetMs.push(performance.now() - t);
        if (w.vmOrigin?.source !== 'template') console.log(`  round ${i}: clone with a NIC fell back: ${w.vmOrigin?.fallbackReason ?? '?'}`);
        await warmNet.deleteSandbox(w.id, { force: true });
        console.log(`  round ${i + 1} with a user-mode NIC: cold ${sec(coldNetMs[i] ?? 0)}, template ${sec(tplNetMs[i] ?? 0)}`);
      }
    } finally {
      coldNet.close();
      warmNet.close();
    }
    const coldNetMed = median(coldNetMs);
    const tplNetMed = median(tplNetMs);

    // The VM cache: one paused VM (a clone of the same template), refilled after each take.
    await writeFactoryConfig(root, { enable_template: true, template_path: templates.dir, vm_cache_number: 1 });
    const cached = new SandboxService({ store, env, resolveAccel: accel, factory: createFactory(root, env).factory });
    const cacheMs: number[] = [];
    try {
      await startCacheServer(root, env);
      for (let i = 0; i < ROUNDS; i++) {
        const deadline = Date.now() + 300_000;
        while (!factoryStatus(root, env).cache.vms.some((v) => v.state === 'ready')) {
          if (Date.now() > deadline) throw new Error(`the VM cache did not fill: ${factoryStatus(root, env).cache.failures.join('; ')}`);
          await new Promise((r) => setTimeout(r, 200));
        }
        const t = performance.now();
        const c = await cached.createSandbox({ name: `cache-${i}` });
        cacheMs.push(performance.now() - t);
        if (c.vmOrigin?.source !== 'cache') console.log(`  round ${i}: not from the cache: ${c.vmOrigin?.fallbackReason ?? '?'}`);
        await cached.deleteSandbox(c.id, { force: true });
        console.log(`  round ${i + 1}: from the VM cache ${sec(cacheMs[i] ?? 0)}`);
      }
    } finally {
      await stopCacheServer(root);
      cached.close();
      await writeFactoryConfig(root, { enable_template: false, vm_cache_number: 0 });
    }
    const cacheMed = median(cacheMs);

    // Restore of a checkpoint: one block-rootfs sandbox (no 9p share mounted), checkpointed and restored ROUNDS times.
    const ckpt = new SandboxService({ store, env, resolveAccel: accel, snapshot, rootfs: rootfsTransportHooks(root, env) });
    const restoreMs: number[] = [];
    const saveMs: number[] = [];
    let stateMiB = 0;
    try {
      const s = await ckpt.createSandbox({ name: 'ckpt', rootfsTransport: 'block' });
      for (let i = 0; i < ROUNDS; i++) {
        const dir = path.join(root, `ckpt-${i}`);
        let t = performance.now();
        const r = await ckpt.checkpointSandbox(s.id, { to: dir });
        saveMs.push(performance.now() - t);
        stateMiB = r.stateBytes / 1048576;
        t = performance.now();
        const back = await ckpt.restoreSandbox(dir);
        restoreMs.push(performance.now() - t);
        if (back.vmOrigin?.source !== 'checkpoint') console.log(`  round ${i}: restore gave ${back.vmOrigin?.source ?? '?'}`);
        console.log(`  round ${i + 1}: checkpoint ${sec(saveMs[i] ?? 0)} (${stateMiB.toFixed(0)} MiB), restore ${sec(restoreMs[i] ?? 0)}`);
      }
      await ckpt.deleteSandbox(s.id, { force: true });
    } finally {
      ckpt.close();
    }
    const restoreMed = median(restoreMs);

    const pss = async (service: SandboxService, label: string): Promise<number> => {
      const pids: number[] = [];
      for (let i = 0; i < IDLE; i++) {
        const s = await service.createSandbox({ name: `${label}-${i}` });
        if (s.pid) pids.push(s.pid);
      }
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const total = pids.reduce((sum, pid) => sum + pssKiB(pid), 0);
      await all();
      return total;
    };
    const coldPss = await pss(cold, 'idle-cold');
    const tplPss = await pss(warm, 'idle-tpl');

    console.log('');
    console.log(`create (median of ${ROUNDS}, createSandbox() to a ready agent, ${spec.machineType}/${spec.accel}, ${spec.vcpus} vCPU, ${spec.memoryMiB} MiB):`);
    console.log(`  cold boot           ${sec(coldMed)}`);
    console.log(`  from a template     ${sec(tplMed)}   = ${(tplMed / coldMed).toFixed(3)}× cold (target ≤ 0.25×)`);
    console.log(`  with a NIC: cold    ${sec(coldNetMed)}; from a template ${sec(tplNetMed)} = ${(tplNetMed / coldNetMed).toFixed(3)}× (user-mode NIC, hot plugged into the clone)`);
    console.log(`  from the VM cache   ${sec(cacheMed)}   = ${(cacheMed / coldMed).toFixed(3)}× cold (target ≤ 0.1×; a paused template clone, resumed and made unique)`);
    console.log(`  restore checkpoint  ${sec(restoreMed)}   = ${(restoreMed / coldMed).toFixed(3)}× cold (a ${stateMiB.toFixed(0)} MiB state, sha256-checked; the checkpoint itself took ${sec(median(saveMs))})`);
    console.log(`host memory of ${IDLE} idle sandboxes (sum of QEMU PSS, ${SETTLE_MS / 1000} s after the last create):`);
    console.log(`  cold                ${(coldPss / 1024).toFixed(0)} MiB`);
    console.log(`  template clones     ${(tplPss / 1024).toFixed(0)} MiB   = ${((tplPss / coldPss) * 100).toFixed(0)} % of cold (target ≤ 50 %)`);
    const fileMiB = (templates.find(templateHash(spec))?.sizeBytes ?? 0) / 1048576;
    console.log(`  (+ the template's RAM file on tmpfs: ${fileMiB.toFixed(0)} MiB resident, shared; the pages clones map are in their PSS above;`);
    console.log(`   counting the whole file on top: ${((tplPss / 1024 + fileMiB) / (coldPss / 1024) * 100).toFixed(0)} % of cold)`);
  } finally {
    await all().catch(() => undefined);
    cold.close();
    warm.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(tplRoot, { recursive: true, force: true });
  }
}

await main();
