import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../api/index.js';
import { readGuestManifest } from '../agent/index.js';
import { makeRoot, pidAlive, repoRoot, vmSkipReason, waitFor } from '../cli/test-helpers.js';
import type { ContainerStatus, SandboxStatus } from '../contract/index.js';
import { readProcessMemory } from '../util/pss.js';

/**
 * The shared guest root image and the memory it saves, on real QEMU (TCG):
 * two 512 MiB sandboxes boot at the same time from one read-only EROFS image
 * mapped with virtio-pmem + DAX; one with virtio-balloon free page reporting
 * (the default), one without, so "the guest gave freed memory back" is
 * measured against a twin that did not. Both VMs serve every case.
 */

function imageSkipReason(): string | null {
  const vm = vmSkipReason();
  if (vm) return vm;
  const busybox = process.env.VESSEL_ROOTFS_DIR ?? path.join(repoRoot, 'build', 'rootfs', 'busybox');
  if (!existsSync(path.join(busybox, 'bin', 'sh'))) {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'guest', 'rootfs', 'main.js')], { encoding: 'utf8' });
    if (r.status !== 0) return `no busybox rootfs at ${busybox} and building it failed: ${r.stderr}`;
  }
  try {
    if (!readGuestManifest().rootImagePath) return 'the guest image has no shared root image (built with VESSEL_GUEST_ROOT=initramfs): run npm run build:guest';
  } catch (err) {
    return String(err);
  }
  return null;
}

const skip = imageSkipReason();
if (skip) console.warn(`skipping shared-image tests: ${skip}`);

const MiB = 1048576; // bytes

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The lines of /proc/PID/maps that map `file`. */
function mappingsOf(pid: number, file: string): string[] {
  return readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').filter((l) => l.endsWith(` ${file}`));
}

describe.skipIf(skip !== null)('shared read-only guest root image (virtio-pmem + DAX) on real QEMU', () => {
  const root = makeRoot('vessel-fp-');
  const image = skip === null ? (readGuestManifest().rootImagePath as string) : '';
  let imageHash = '';
  let rtReport: Runtime;
  let rtNoReport: Runtime;
  let a: SandboxStatus;
  let b: SandboxStatus;

  beforeAll(async () => {
    imageHash = sha256(image);
    rtReport = createRuntime({ ...process.env, VESSEL_ROOT: root, VESSEL_FREE_PAGE_REPORTING: 'on' });
    rtNoReport = createRuntime({ ...process.env, VESSEL_ROOT: root, VESSEL_FREE_PAGE_REPORTING: 'off' });
    // Both at once, from the same image file.
    [a, b] = await Promise.all([
      rtReport.sandboxes.runSandbox({ name: 'fp-a', vcpus: 1, memoryMiB: 512 }),
      rtNoReport.sandboxes.runSandbox({ name: 'fp-b', vcpus: 1, memoryMiB: 512 }),
    ]);
  }, 300_000);

  afterAll(async () => {
    for (const [rt, s] of [[rtReport, a], [rtNoReport, b]] as const) {
      if (s) await rt.sandboxes.deleteSandbox(s.id, { force: true }).catch(() => undefined);
      if (s?.pid && pidAlive(s.pid)) process.kill(s.pid, 'SIGKILL');
      rt?.close();
    }
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  async function idleContainer(rt: Runtime, s: SandboxStatus, name: string): Promise<ContainerStatus> {
    return rt.containers.runContainer(s.id, { name, args: ['sleep', '1000'] });
  }

  it('both sandboxes booted from the same image at the same time, map it read-only, and run containers', async () => {
    for (const [rt, s] of [[rtReport, a], [rtNoReport, b]] as const) {
      expect(s.state).toBe('running');
      const maps = mappingsOf(s.pid as number, image);
      expect(maps.length, `QEMU ${s.pid} does not map ${image}`).toBeGreaterThan(0);
      // r--p: readable, not writable, private. A guest cannot change the file through it.
      for (const l of maps) expect(l.split(/\s+/)[1]).toBe('r--p');
      await idleContainer(rt, s, 'idle');
      const r = await rt.containers.execSync(s.id, 'idle', ['sh', '-c', 'echo hello-$((6*7)); uname -r'], { timeoutMs: 60_000 });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('hello-42');
    }
    // The image's pages are shared: each VM's PSS counts only part of what it maps.
    const memA = readProcessMemory(a.pid as number);
    expect(memA).not.toBeNull();
    expect(memA?.sharedBytes ?? 0).toBeGreaterThan(0);
  }, 180_000);

  it('a container that allocates 300 MiB gets it; afterwards free page reporting gives it back to the host', async () => {
    const alloc = ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=300M', 'count=1'];
    for (const [rt, s] of [[rtReport, a], [rtNoReport, b]] as const) {
      const r = await rt.containers.execSync(s.id, 'idle', alloc, { timeoutMs: 120_000 });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain('1+0 records out'); // busybox dd: one 300 MiB block read into its buffer
    }
    // Both guests touched 300 MiB and freed it. Only the reporting one hands it back.
    const anon = (s: SandboxStatus): number => readProcessMemory(s.pid as number)?.pssAnonBytes ?? 0;
    const waited = await waitFor(() => anon(b) - anon(a) > 200 * MiB, 90_000, 1000).catch(() => -1);
    expect(waited, `PSS anon with reporting ${(anon(a) / MiB).toFixed(0)} MiB, without ${(anon(b) / MiB).toFixed(0)} MiB`).toBeGreaterThanOrEqual(0);
  }, 300_000);

  it('an OOM inside the guest is reported as OOM', async () => {
    // Four 150 MiB buffers at once: each malloc passes the overcommit heuristic, together they
    // exceed what the 512 MiB guest has, so the kernel's OOM killer kills one of them.
    const hog = 'for i in 1 2 3 4; do dd if=/dev/zero of=/dev/null bs=150M count=1 & done; wait';
    const c = await rtReport.containers.runContainer(a.id, { name: 'hog', args: ['sh', '-c', hog] });
    let status = c;
    await waitFor(async () => {
      status = await rtReport.containers.statusContainer(a.id, 'hog');
      return status.state === 'stopped';
    }, 120_000, 500);
    expect(status.oomKilled, JSON.stringify(status)).toBe(true);
    // The sandbox survives its OOM: the agent still answers.
    const r = await rtReport.containers.execSync(a.id, 'idle', ['true'], { timeoutMs: 60_000 });
    expect(r.exitCode).toBe(0);
  }, 240_000);

  it('no guest wrote the shared image', () => {
    expect(statSync(image).mode & 0o222).toBe(0);
    expect(sha256(image)).toBe(imageHash);
    expect(path.basename(image)).toBe('rootfs.erofs');
  });
});
