import type { UnaryImpl } from './rpc-server.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { factoryHandlers, onlineCpus, onlineMemory, type FactoryGuestPaths } from './factory-handlers.js';
import type { GuestSystem } from './system.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake guest root: etc, proc, sys, dev (urandom is a regular file of bytes), and a reseed helper script. */
function fakeRoot(helper: string): FactoryGuestPaths {
  const root = mkdtempSync(path.join(os.tmpdir(), 'vf9g-'));
  dirs.push(root);
  for (const d of ['etc', 'proc/sys/kernel/random', 'sys/devices/system/cpu/cpu0', 'sys/devices/system/cpu/cpu1', 'sys/devices/system/cpu/cpu2', 'sys/devices/system/memory/memory0', 'sys/devices/system/memory/memory1', 'dev']) {
    mkdirSync(path.join(root, d), { recursive: true });
  }
  writeFileSync(path.join(root, 'proc/sys/kernel/hostname'), 'clone-a\n');
  writeFileSync(path.join(root, 'proc/sys/kernel/random/boot_id'), 'b00t\n');
  writeFileSync(path.join(root, 'sys/devices/system/cpu/cpu1/online'), '0\n');
  writeFileSync(path.join(root, 'sys/devices/system/cpu/cpu2/online'), '1\n');
  writeFileSync(path.join(root, 'sys/devices/system/memory/memory0/state'), 'online\n');
  writeFileSync(path.join(root, 'sys/devices/system/memory/memory1/state'), 'offline\n');
  writeFileSync(path.join(root, 'dev/urandom'), Buffer.alloc(64, 7));
  const helperPath = path.join(root, 'reseed.sh');
  writeFileSync(helperPath, helper);
  chmodSync(helperPath, 0o755);
  return { etc: path.join(root, 'etc'), proc: path.join(root, 'proc'), sys: path.join(root, 'sys'), dev: path.join(root, 'dev'), reseedHelper: helperPath };
}

function call(handler: UnaryImpl | undefined, request: unknown): Promise<unknown> {
  if (!handler) throw new Error('no such handler');
  return handler(request, new AbortController().signal);
}

const system = {} as GuestSystem;

describe('factory RPCs in the guest agent', () => {
  it('ReseedRandomDev hands the entropy to the helper on stdin; short or missing data is refused', async () => {
    const paths = fakeRoot('#!/bin/sh\ncat > "$(dirname "$0")/got"\n');
    const h = factoryHandlers(system, paths);
    const data = Buffer.alloc(512, 3);
    await call(h.ReseedRandomDev, { data });
    expect(readFileSync(path.join(path.dirname(paths.reseedHelper), 'got')).equals(data)).toBe(true);
    await expect(call(h.ReseedRandomDev, { data: Buffer.alloc(4) })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });

  it('a failing helper is an error that says the CRNG was not reseeded', async () => {
    const paths = fakeRoot('#!/bin/sh\necho no ioctl >&2\nexit 1\n');
    await expect(call(factoryHandlers(system, paths).ReseedRandomDev, { data: Buffer.alloc(32, 1) })).rejects.toMatchObject({ code: grpc.status.FAILED_PRECONDITION, message: expect.stringMatching(/not reseeded/) });
  });

  it('SetGuestIdentity writes machine-id; GetGuestIdentity reads it back with hostname, boot_id and urandom bytes', async () => {
    const paths = fakeRoot('#!/bin/sh\n');
    const h = factoryHandlers(system, paths);
    await call(h.SetGuestIdentity, { machineId: 'a'.repeat(32) });
    expect(readFileSync(path.join(paths.etc, 'machine-id'), 'utf8')).toBe(`${'a'.repeat(32)}\n`);
    await expect(call(h.SetGuestIdentity, { machineId: 'NOT-HEX' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    const id = await call(h.GetGuestIdentity, {}) as { hostname: string; machineId: string; bootId: string; urandomSample: Buffer };
    expect(id).toMatchObject({ hostname: 'clone-a', machineId: 'a'.repeat(32), bootId: 'b00t' });
    expect(id.urandomSample.equals(Buffer.alloc(16, 7))).toBe(true);
  });

  it('OnlineCPUMem brings offline CPUs and memory blocks online, and only those', () => {
    const paths = fakeRoot('#!/bin/sh\n');
    expect(onlineCpus(paths.sys, 0)).toBe(1);
    expect(readFileSync(path.join(paths.sys, 'devices/system/cpu/cpu1/online'), 'utf8')).toBe('1');
    expect(onlineMemory(paths.sys)).toBe(1);
    expect(readFileSync(path.join(paths.sys, 'devices/system/memory/memory1/state'), 'utf8')).toBe('online');
    expect(onlineCpus(paths.sys, 0)).toBe(0);
  });
});
