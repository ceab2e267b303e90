// The RPCs that make a VM factory clone (or a restored fork) unique before it
// runs a workload: new RNG seed from the host, a new machine-id, and what
// lets the host check it (GetGuestIdentity). OnlineCPUMem brings hot-added
// CPUs and memory online.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, renameSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';
import type { AgentServiceHandlers } from '../../core/agent/proto/index.js';
import { parse, RpcError, unary, type Handlers } from './handlers.js';
import { Status } from '../../core/agent/proto/status.js';
import { log } from './log.js';
import type { GuestSystem } from './system.js';

/** Where the image puts guest/reseed/vessel-reseed.c (guest/build/reseed.ts). */
export const RESEED_HELPER = '/opt/vessel/bin/vessel-reseed';

export const ReseedRandomDevRequestSchema = z.object({
  data: z.custom<Buffer>((v) => Buffer.isBuffer(v)).check(z.refine((b) => b.length >= 16 && b.length <= 4096, 'data must be 16-4096 bytes of entropy')),
});
export const SetGuestIdentityRequestSchema = z.object({
  machineId: z.string().check(z.regex(/^[0-9a-f]{32}$/, 'machine_id must be 32 lowercase hex digits')),
});
export const OnlineCPUMemRequestSchema = z.object({
  wait: z.boolean(),
  nbCpus: z.number().check(z.refine((n) => Number.isInteger(n) && n >= 0 && n <= 1024, 'nb_cpus must be 0..1024')),
  cpuOnly: z.boolean(),
});

/** The parts of the guest OS these RPCs touch (a fake root in host tests). */
export interface FactoryGuestPaths {
  etc: string;
  proc: string;
  sys: string;
  dev: string;
  reseedHelper: string;
}

const GUEST_PATHS: FactoryGuestPaths = { etc: '/etc', proc: '/proc', sys: '/sys', dev: '/dev', reseedHelper: RESEED_HELPER };

function runWithInput(file: string, input: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${file}: exit ${String(code)} ${stderr.trim()}`))));
    // A helper that exits before reading everything must not crash the agent with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

function readTrim(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Online every offline CPU (up to `max`, 0 = all); returns how many were brought up. */
export function onlineCpus(sysRoot: string, max: number): number {
  const base = `${sysRoot}/devices/system/cpu`;
  let count = 0;
  for (const name of readdirSync(base)) {
    if (!/^cpu\d+$/.test(name) || (max > 0 && count >= max)) continue;
    const file = `${base}/${name}/online`;
    if (readTrim(file) === '0') {
      writeFileSync(file, '1');
      count++;
    }
  }
  return count;
}

/** Online every offline memory block; returns how many. */
export function onlineMemory(sysRoot: string): number {
  const base = `${sysRoot}/devices/system/memory`;
  let count = 0;
  let names: string[] = [];
  try {
    names = readdirSync(base);
  } catch {
    return 0; // no memory hotplug in this kernel
  }
  for (const name of names) {
    if (!/^memory\d+$/.test(name)) continue;
    const file = `${base}/${name}/state`;
    if (readTrim(file) === 'offline') {
      writeFileSync(file, 'online');
      count++;
    }
  }
  return count;
}

export function factoryHandlers(
  _system: GuestSystem,
  paths: FactoryGuestPaths = GUEST_PATHS,
): Pick<Handlers<AgentServiceHandlers>, 'ReseedRandomDev' | 'SetGuestIdentity' | 'GetGuestIdentity' | 'OnlineCPUMem'> {
  return {
    ReseedRandomDev: unary('ReseedRandomDev', async (req) => {
      const { data } = parse(ReseedRandomDevRequestSchema, req, 'ReseedRandomDev');
      try {
        await runWithInput(paths.reseedHelper, data);
      } catch (err) {
        // Without the helper the bytes are still mixed into the pool (a write
        // to /dev/urandom), only not credited; say so rather than fail.
        writeFileSync(`${paths.dev}/urandom`, data);
        log('warn', 'entropy mixed in but not credited', { err: String(err).slice(0, 200) });
        throw new RpcError(Status.FAILED_PRECONDITION, `entropy was mixed in but the CRNG was not reseeded: ${String(err)}`);
      }
      return {};
    }),
    SetGuestIdentity: unary('SetGuestIdentity', (req) => {
      const { machineId } = parse(SetGuestIdentityRequestSchema, req, 'SetGuestIdentity');
      // On a read-only root /etc/machine-id is a symlink to a writable place (/run): write where it points.
      const link = `${paths.etc}/machine-id`;
      let target = link;
      try {
        target = path.resolve(path.dirname(link), readlinkSync(link));
      } catch {
        // a plain file (or none yet): replace it in /etc
      }
      const tmp = path.join(path.dirname(target), '.machine-id.tmp');
      writeFileSync(tmp, `${machineId}\n`, { mode: 0o444 });
      renameSync(tmp, target);
      return {};
    }),
    GetGuestIdentity: unary('GetGuestIdentity', () => {
      const sample = Buffer.alloc(16);
      const fd = openSync(`${paths.dev}/urandom`, 'r');
      try {
        readSync(fd, sample, 0, 16, null);
      } finally {
        closeSync(fd);
      }
      return {
        hostname: readTrim(`${paths.proc}/sys/kernel/hostname`),
        machineId: readTrim(`${paths.etc}/machine-id`),
        bootId: readTrim(`${paths.proc}/sys/kernel/random/boot_id`),
        urandomSample: sample,
      };
    }),
    OnlineCPUMem: unary('OnlineCPUMem', (req) => {
      const { nbCpus, cpuOnly } = parse(OnlineCPUMemRequestSchema, req, 'OnlineCPUMem');
      const cpus = onlineCpus(paths.sys, nbCpus);
      const mem = cpuOnly ? 0 : onlineMemory(paths.sys);
      log('info', 'onlined hot-added resources', { cpus, memoryBlocks: mem });
      return {};
    }),
  };
}
