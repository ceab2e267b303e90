// What the container benchmarks share: a runtime in a throw-away store root,
// one real QEMU sandbox (TCG or KVM, whatever this host proves), cleaned up
// however the benchmark ends.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRuntime, type Runtime } from '../core/api/index.js';

export interface BenchSandbox {
  rt: Runtime;
  sandboxId: string;
  /** Stops the VM and removes the store root. */
  dispose(): Promise<void>;
}

export async function benchSandbox(label: string): Promise<BenchSandbox> {
  const root = mkdtempSync(path.join(tmpdir(), `vessel-bench-${label}-`));
  const rt = createRuntime({ ...process.env, VESSEL_ROOT: root });
  let sandboxId: string | null = null;
  const dispose = async (): Promise<void> => {
    if (sandboxId) await rt.sandboxes.deleteSandbox(sandboxId, { force: true }).catch(() => undefined);
    rt.close();
    rmSync(root, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void dispose().finally(() => process.exit(130)));
  try {
    const t0 = performance.now();
    const s = await rt.sandboxes.runSandbox({ vcpus: 1, memoryMiB: 512 });
    sandboxId = s.id;
    console.log(`[${label}] sandbox ${s.id.slice(0, 12)} running in ${((performance.now() - t0) / 1000).toFixed(1)} s (${s.accel ?? 'accel ?'})`);
  } catch (err) {
    await dispose();
    throw err;
  }
  return { rt, sandboxId, dispose };
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}

/** A copy of a guest image directory (without a build's temporary files), for a benchmark to boot from or alter. */
export function copyGuestImage(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) if (!f.includes('.tmp-')) copyFileSync(path.join(from, f), path.join(to, f));
}
