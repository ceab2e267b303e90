/**
 * Boot benchmark (`npm run bench:boot`): time from createSandbox() to a ready
 * guest agent, against raw QEMU boots of the same kernel with a trivial init
 * (busybox prints a marker on the serial port), measured side by side in one
 * run, alternating, under the same machine type, accel, vCPUs and memory.
 *
 * Two raw baselines, both printed with their ratio:
 * - the distribution's bzImage (`-kernel vmlinuz`): a plain QEMU boot of the
 *   kernel as Debian ships it, the baseline the target (<= 1.25) was set on;
 * - the same kernel unpacked and booted through PVH (`-kernel vmlinux`), the
 *   way Vessel boots it: the ratio against it is Vessel's own overhead (devices,
 *   stage 1, the agent's start-up), with the kernel's decompression taken out
 *   of both sides.
 * Not a test: it asserts nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { createRuntime, type Runtime } from '../core/api/index.js';
import { guestImageDir, readGuestManifest } from '../core/agent/index.js';
import { TCG_CPU_MODEL } from '../core/hypervisor/qemu/cmdline.js';
import { buildGuestImage } from '../guest/build/image.js';
import { formatPhases, readConsolePhases, type BootPhases } from './boot-phases.js';
import { copyGuestImage } from './sandbox-fixture.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MEMORY_MIB = 512;
const MARKER = 'VESSEL-TRIVIAL-INIT-REACHED';

function sec(ms: number | undefined): string {
  return ms === undefined || Number.isNaN(ms) ? '?' : `${(ms / 1000).toFixed(2)} s`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** A newc initrd with static busybox and an /init that prints MARKER on ttyS0 and powers off. */
function buildTrivialInitrd(dir: string): string {
  const tree = path.join(dir, 'tree');
  mkdirSync(path.join(tree, 'bin'), { recursive: true });
  mkdirSync(path.join(tree, 'dev'), { recursive: true });
  copyFileSync('/bin/busybox', path.join(tree, 'bin', 'busybox'));
  const init = path.join(tree, 'init');
  writeFileSync(init, `#!/bin/busybox sh\n/bin/busybox mount -t devtmpfs dev /dev\n/bin/busybox echo ${MARKER} > /dev/ttyS0\n/bin/busybox poweroff -f\n`);
  chmodSync(init, 0o755);
  const out = path.join(dir, 'trivial.cpio');
  const find = spawnSync('find', ['.', '-print0'], { cwd: tree });
  const cpio = spawnSync('cpio', ['--null', '-o', '-H', 'newc', '--quiet', '-R', '0:0', '-O', out], { cwd: tree, input: find.stdout });
  if (cpio.status !== 0) throw new Error(`cpio failed: ${cpio.stderr.toString()} (apt-get install cpio)`);
  return out;
}

/** Raw QEMU: spawn → marker on the serial port. */
function rawBoot(qemu: string, kernel: string, initrd: string, params: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(qemu, [
      '-machine', 'q35,accel=tcg', '-cpu', TCG_CPU_MODEL, '-smp', '1', '-m', String(MEMORY_MIB),
      '-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'none', '-no-reboot',
      '-kernel', kernel, '-initrd', initrd, '-append', params.join(' '),
      '-serial', 'stdio',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`raw boot did not reach init in 120 s; serial output:\n${out.slice(-2000)}`));
    }, 120_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(MARKER)) {
        const ms = performance.now() - start;
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve(ms);
      }
    });
    child.on('error', reject);
  });
}

interface Mode {
  label: string;
  env: NodeJS.ProcessEnv;
}

/** A copy of the guest image whose manifest boots the bzImage (the layout before the PVH kernel). */
function bzImageCopy(work: string): string {
  const from = guestImageDir();
  const dir = path.join(work, 'guest-bzimage');
  copyGuestImage(from, dir);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { kernel: string; bzImage?: string };
  if (!manifest.bzImage) throw new Error('the guest image has no bzImage beside its kernel: rebuild it with npm run build:guest');
  manifest.kernel = manifest.bzImage;
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

/** Layouts to compare (BENCH_BOOT_MODES, comma-separated): pmem (default), pmem-bzimage (the kernel booted compressed), nvdimm, blk, initramfs (the old all-in-RAM image). */
async function modes(work: string): Promise<Mode[]> {
  const wanted = (process.env.BENCH_BOOT_MODES ?? 'pmem,pmem-bzimage').split(',').map((m) => m.trim()).filter(Boolean);
  const out: Mode[] = [];
  for (const m of wanted) {
    if (m === 'pmem') out.push({ label: 'pmem (shared EROFS root, DAX; PVH kernel)', env: { VESSEL_IMAGE_DEVICE: 'virtio-pmem' } });
    else if (m === 'pmem-bzimage') out.push({ label: 'pmem, kernel booted as bzImage', env: { VESSEL_IMAGE_DEVICE: 'virtio-pmem', VESSEL_GUEST_DIR: bzImageCopy(work) } });
    else if (m === 'nvdimm') out.push({ label: 'nvdimm (shared EROFS root, DAX)', env: { VESSEL_IMAGE_DEVICE: 'nvdimm' } });
    else if (m === 'blk') out.push({ label: 'virtio-blk (EROFS root, guest page cache)', env: { VESSEL_IMAGE_DEVICE: 'virtio-blk' } });
    else if (m === 'initramfs') {
      const dir = path.join(work, 'guest-initramfs');
      await buildGuestImage({ repoRoot: process.cwd(), outDir: dir, root: 'initramfs' });
      out.push({ label: 'initramfs (everything unpacked in guest RAM)', env: { VESSEL_GUEST_DIR: dir } });
    } else throw new Error(`unknown BENCH_BOOT_MODES entry ${m} (pmem, pmem-bzimage, nvdimm, blk, initramfs)`);
  }
  return out;
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'vessel-bench-'));
  const root = path.join(work, 'root');
  mkdirSync(root);
  const manifest = readGuestManifest();
  const log = createWriteStream(path.join(work, 'progress.log'));
  const runtimes: Runtime[] = [];
  try {
    const trivial = buildTrivialInitrd(work);
    const qemu = process.env.VESSEL_QEMU ?? 'qemu-system-x86_64';
    const list = await modes(work);
    // Same cmdline apart from what the guest image needs to find its agent.
    const params = manifest.kernelParams;
    console.log(`boot benchmark: ${ROUNDS} rounds, q35, TCG, 1 vCPU, ${MEMORY_MIB} MiB, kernel ${manifest.kernelRelease}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`kernel params: ${params.join(' ')}`);
    // The raw baselines: the bzImage as shipped, and the kernel Vessel boots (the PVH ELF) when that is another file.
    const raws = [{ label: 'raw bzImage boot', kernel: manifest.bzImagePath ?? manifest.kernelPath, ms: [] as number[] }];
    if (manifest.bzImagePath && manifest.bzImagePath !== manifest.kernelPath) raws.push({ label: 'raw PVH boot', kernel: manifest.kernelPath, ms: [] });
    const vessel: number[][] = list.map(() => []);
    const created: number[][] = list.map(() => []);
    const lastPhases: BootPhases[] = list.map(() => ({}));
    for (const m of list) runtimes.push(createRuntime({ ...process.env, ...m.env, VESSEL_ROOT: root }));
    for (let i = 0; i < ROUNDS; i += 1) {
      const line = [`round ${i + 1}:`];
      for (const r of raws) {
        r.ms.push(await rawBoot(qemu, r.kernel, trivial, params));
        line.push(`${r.label} ${sec(r.ms[i])};`);
      }
      for (const [k, m] of list.entries()) {
        const runtime = runtimes[k] as Runtime;
        const t0 = performance.now();
        const phases: BootPhases = {};
        const s = await runtime.sandboxes.createSandbox(
          { name: `bench-${i}-${k}`, vcpus: 1, memoryMiB: MEMORY_MIB, machineType: 'q35', accel: 'tcg' },
          (phase, message) => {
            const at = performance.now() - t0;
            if (phase === 'agent' && phases.agentReady === undefined) phases.agentReady = at;
            if (phase === 'hypervisor' && message.startsWith('QEMU running')) phases.qemuUp = at;
            log.write(`${(at / 1000).toFixed(2)}s [${phase}] ${message}\n`);
          },
        );
        (created[k] as number[]).push(performance.now() - t0);
        (vessel[k] as number[]).push(phases.agentReady ?? Number.NaN);
        lastPhases[k] = { ...readConsolePhases(path.join(root, 'sandboxes', s.id, 'console.log')), ...phases };
        await runtime.sandboxes.deleteSandbox(s.id, { force: true });
        line.push(`${m.label}: agent ready ${sec(phases.agentReady)};`);
        console.log(`  ${m.label} phases: ${formatPhases(lastPhases[k] as BootPhases)}`);
      }
      console.log(line.join(' '));
    }
    for (const r of raws) console.log(`${r.label} (${path.basename(r.kernel)}) to trivial init (median): ${sec(median(r.ms))}`);
    for (const [k, m] of list.entries()) {
      const v = median(vessel[k] as number[]);
      const c = median(created[k] as number[]);
      console.log(`${m.label}: createSandbox to agent ready (median) ${sec(v)}, createSandbox returned ${sec(c)}`);
      for (const r of raws) {
        const target = r === raws[0] ? ' (target <= 1.25)' : ' (Vessel\'s own overhead: no decompression on either side)';
        console.log(`  vs ${r.label}: agent ready ${(v / median(r.ms)).toFixed(3)}x${target}, createSandbox returned ${(c / median(r.ms)).toFixed(3)}x`);
      }
    }
  } finally {
    for (const rt of runtimes) rt.close();
    log.end();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
