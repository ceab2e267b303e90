// User-mode port forwards in the network manager, without a VM: what the
// store keeps (the next boot's forwards), live changes through the driver's
// capability (a recording stand-in for the QEMU driver: the real one is
// covered by sandbox-network.int.test.ts), their rollback, and passt's refusal.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VesselError, type PortMapping } from '../contract/index.js';
import type { UserHostForward } from '../hypervisor/hypervisor.js';
import { CniNetworkManager } from './manager.js';

const port = (hostPort: number): PortMapping => ({ hostIp: '127.0.0.1', hostPort, containerPort: 80, protocol: 'tcp' });
const id = (): string => randomBytes(16).toString('hex');

describe('user-mode port forwards (network manager)', () => {
  let root: string;
  let mgr: CniNetworkManager;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'vsl-uports-'));
    mgr = new CniNetworkManager({ root, privileged: false, resolvConfPath: '/dev/null' });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('a running slirp VM gets added forwards live, a failing one undoes those before it, and the store keeps what the next boot gets', async () => {
    const sid = id();
    await mgr.setupSandbox(sid, { network: 'user:slirp', ports: [port(41001)] });
    const calls: string[] = [];
    const live = {
      add: async (nic: string, f: UserHostForward): Promise<void> => {
        if (f.hostPort === 41004) throw new VesselError('E_BUSY', 'host port 41004 could not be bound');
        calls.push(`add ${nic} ${f.hostPort}`);
      },
      remove: async (nic: string, f: UserHostForward): Promise<void> => void calls.push(`remove ${nic} ${f.hostPort}`),
    };
    await mgr.setPorts(sid, [port(41001), port(41002)], { vmRunning: true, live });
    expect(calls).toEqual(['add net0 41002']);
    await expect(mgr.setPorts(sid, [port(41001), port(41002), port(41003), port(41004)], { vmRunning: true, live })).rejects.toThrow(/41004/);
    expect(calls).toEqual(['add net0 41002', 'add net0 41003', 'remove net0 41003']);
    expect(mgr.read(sid)?.ports.map((p) => p.hostPort)).toEqual([41001, 41002]);
    await mgr.setPorts(sid, [port(41002)], { vmRunning: true, live });
    expect(calls.at(-1)).toBe('remove net0 41001');
    const rec = mgr.read(sid);
    expect(rec && mgr.vmNetwork(rec)?.nics).toEqual([expect.objectContaining({ kind: 'user', hostForwards: [{ protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 41002, guestPort: 80 }] })]);
    await expect(mgr.setPorts(sid, [port(41002), port(41005)], { vmRunning: true })).rejects.toThrow(/E_UNSUPPORTED|cannot change user-mode port forwards/);
  });

  it('passt: forwards change only while the VM is down (then at the next boot); while it runs the refusal names the way out', async () => {
    const sid = id();
    const rec = await mgr.setupSandbox(sid, { network: 'user:slirp' });
    // As if made with passt (no passt needed for this: the choice is recorded in the sandbox's network record).
    writeFileSync(path.join(root, 'network', 'sandboxes', `${sid}.json`), JSON.stringify({ ...rec, userBackend: 'passt' }));
    await expect(mgr.setPorts(sid, [port(41010)], { vmRunning: true, live: { add: async () => undefined, remove: async () => undefined } }))
      .rejects.toThrow(/passt.*stop the sandbox.*--network user:slirp/);
    expect(mgr.read(sid)?.ports).toEqual([]);
    await mgr.setPorts(sid, [port(41010)], { vmRunning: false });
    expect(mgr.read(sid)?.ports.map((p) => p.hostPort)).toEqual([41010]);
    const stopped = mgr.read(sid);
    expect(stopped && mgr.vmNetwork(stopped, '/run/x')?.nics).toEqual([expect.objectContaining({ kind: 'stream', socketPath: '/run/x/passt.sock' })]);
  });

  it('an unknown user-mode backend is refused', async () => {
    await expect(mgr.setupSandbox(id(), { network: 'user:vde' })).rejects.toThrow(/unknown user-mode backend "vde": use --network user, user:passt or user:slirp/);
  });
});
