import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { GuestDetails, VesselError, VmOrigin } from '../contract/index.js';
import { ContainerRecord, SandboxConfigRecord } from '../api/records.js';
import { writeFileAtomic } from '../store/atomic.js';

/**
 * A sandbox checkpoint on disk: one directory holding
 * - `vm.state`: the QEMU migration stream (guest RAM and device state), and
 * - `checkpoint.json`: the manifest (format version, QEMU version, a hash of
 *   the VM's configuration, the sandbox record and its containers, the
 *   devices to recreate on their ports, and the state file's size + sha256).
 * The manifest is written last (atomically), so a directory without one is
 * an unfinished checkpoint. Everything read back is validated before
 * anything is started: a missing or corrupted checkpoint, or one of another
 * QEMU build, is refused with the reason and nothing is touched.
 */

export const CHECKPOINT_MANIFEST = 'checkpoint.json';
export const CHECKPOINT_STATE = 'vm.state';
const FORMAT = 'vessel-checkpoint';

const BlockSourceSchema = z.object({ file: z.string(), format: z.enum(['raw', 'qcow2']), hostDevice: z.boolean(), readOnly: z.boolean() });
export const CheckpointDevice = z.union([
  z.object({ id: z.string(), kind: z.literal('block'), source: BlockSourceSchema, bus: z.string().regex(/^rp\d+$/) }),
  z.object({ id: z.string(), kind: z.literal('pci'), model: z.object({ kind: z.literal('emulated'), model: z.enum(['edu', 'pci-testdev']) }), bus: z.string().regex(/^rp\d+$/) }),
]);
export type CheckpointDevice = z.infer<typeof CheckpointDevice>;

export const CheckpointManifest = z.object({
  format: z.literal(FORMAT),
  formatVersion: z.literal(1),
  checkpointId: z.string().regex(/^[0-9a-f]{16}$/),
  createdAt: z.string(),
  /** `qemu-system-x86_64 -version` of the QEMU that saved it: another build may not load the stream. */
  qemuVersion: z.string(),
  /** sha256 of the VM configuration (the sandbox's hypervisorConfig): shown, and checked against the sandbox it is restored into. */
  configHash: z.string().regex(/^[0-9a-f]{64}$/),
  sandbox: z.object({
    config: SandboxConfigRecord,
    /** ready or running: what the restored sandbox becomes. */
    state: z.enum(['ready', 'running']),
    startedAt: z.string().nullable(),
    guest: GuestDetails.nullable(),
    containers: z.array(ContainerRecord),
    vmOrigin: VmOrigin.optional(),
  }),
  vm: z.object({
    accel: z.enum(['kvm', 'tcg']),
    /** Guest RAM was a named backend (template clones, memfd): the restore names its RAM the same way. */
    namedRam: z.boolean(),
    devices: z.array(CheckpointDevice),
    /** The sandbox had NICs. */
    nics: z.number().int().nonnegative(),
    /** NICs that were hot plugged (a template clone's, or connected later): NIC id → the root port it sat on, where the restore puts it again. */
    nicPorts: z.record(z.string().regex(/^net\d{1,2}$/), z.string().regex(/^rp\d{1,3}$/)).default({}),
  }),
  stateFile: z.literal(CHECKPOINT_STATE),
  stateBytes: z.number().int().positive(),
  stateSha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type CheckpointManifest = z.infer<typeof CheckpointManifest>;

export function newCheckpointId(): string {
  return randomBytes(8).toString('hex');
}

export function configHash(config: SandboxConfigRecord): string {
  return createHash('sha256').update(JSON.stringify(config.hypervisorConfig)).digest('hex');
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const input = createReadStream(file);
    input.on('data', (chunk) => hash.update(chunk));
    input.once('error', reject);
    input.once('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * The directory a new checkpoint goes to: created (0700) and empty, or an
 * existing empty directory. A directory with files in it is refused, so no
 * earlier checkpoint or user file is overwritten.
 */
export function prepareCheckpointDir(dir: string): void {
  if (existsSync(dir)) {
    const st = lstatSync(dir);
    if (!st.isDirectory()) throw new VesselError('E_INVALID_ARGUMENT', `${dir} exists and is not a directory: give --to a new or empty directory`);
    if (readdirSync(dir).length > 0) throw new VesselError('E_ALREADY_EXISTS', `${dir} is not empty: give --to a new or empty directory (a checkpoint never overwrites files)`);
    return;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

export async function writeManifest(dir: string, manifest: CheckpointManifest): Promise<void> {
  await writeFileAtomic(path.join(dir, CHECKPOINT_MANIFEST), `${JSON.stringify(CheckpointManifest.parse(manifest), null, 2)}\n`, 0o600);
}

/** Remove what an unfinished checkpoint left (only our two files, and the directory if it is then empty). */
export function discardCheckpoint(dir: string, createdDir: boolean): void {
  for (const f of [CHECKPOINT_MANIFEST, CHECKPOINT_STATE, `.${CHECKPOINT_STATE}.partial`]) rmSync(path.join(dir, f), { force: true });
  if (createdDir) {
    try {
      if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
    } catch {
      // gone already
    }
  }
}

/**
 * Read and check a checkpoint without touching anything: the manifest parses,
 * the state file is there with the recorded size and sha256, and (when given)
 * it was saved by this QEMU build. Errors say what is wrong and what to do.
 */
export async function readCheckpoint(dir: string, options: { qemuVersion?: string; verifyHash?: boolean } = {}): Promise<{ manifest: CheckpointManifest; stateFile: string }> {
  if (!existsSync(dir)) throw new VesselError('E_NOT_FOUND', `no checkpoint at ${dir}: the directory does not exist`);
  if (!statSync(dir).isDirectory()) throw new VesselError('E_INVALID_ARGUMENT', `${dir} is not a directory: give the directory 'vessel sandbox checkpoint' wrote`);
  const file = path.join(dir, CHECKPOINT_MANIFEST);
  if (!existsSync(file)) throw new VesselError('E_NOT_FOUND', `${dir} holds no ${CHECKPOINT_MANIFEST}: not a checkpoint, or one that did not finish`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new VesselError('E_CORRUPT_STATE', `${file} is not valid JSON (${err instanceof Error ? err.message : String(err)}): the checkpoint is corrupted`);
  }
  const parsed = CheckpointManifest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new VesselError('E_CORRUPT_STATE', `${file} is not a valid Vessel checkpoint manifest (${issue ? `${issue.path.join('.') || 'root'}: ${issue.message}` : 'invalid'})`);
  }
  const manifest = parsed.data;
  if (options.qemuVersion !== undefined && manifest.qemuVersion !== options.qemuVersion) {
    throw new VesselError('E_UNSUPPORTED', `the checkpoint was saved by QEMU ${manifest.qemuVersion} and this host runs QEMU ${options.qemuVersion}: a VM state stream loads only into the QEMU build that wrote it; restore it on a host with QEMU ${manifest.qemuVersion}`, { saved: manifest.qemuVersion, here: options.qemuVersion });
  }
  const stateFile = path.join(dir, manifest.stateFile);
  if (!existsSync(stateFile)) throw new VesselError('E_CORRUPT_STATE', `the checkpoint's VM state ${stateFile} is missing`);
  const size = statSync(stateFile).size;
  if (size !== manifest.stateBytes) throw new VesselError('E_CORRUPT_STATE', `the checkpoint's VM state ${stateFile} has ${size} bytes, the manifest says ${manifest.stateBytes}: the checkpoint is truncated or corrupted`);
  if (options.verifyHash ?? true) {
    const sum = await sha256File(stateFile);
    if (sum !== manifest.stateSha256) throw new VesselError('E_CORRUPT_STATE', `the checkpoint's VM state ${stateFile} does not match its sha256 in the manifest: the checkpoint is corrupted`);
  }
  for (const d of manifest.vm.devices) {
    if (d.kind === 'block' && !existsSync(d.source.file)) throw new VesselError('E_NOT_FOUND', `disk ${d.id} of the checkpoint (${d.source.file}) is gone: the image it came from was removed; pull it again or restore elsewhere`);
  }
  return { manifest, stateFile };
}
