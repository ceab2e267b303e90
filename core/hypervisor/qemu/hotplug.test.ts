import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VesselError } from '../../contract/index.js';
import type { HypervisorState } from '../hypervisor.js';
import { deviceDel, guestPciPath, QemuDeviceDriver } from './hotplug.js';
import { QmpClient } from './qmp.js';

// A fake QMP endpoint (MOCK QEMU: a protocol test of the hotplug calls, the
// real QEMU path is covered by core/device/devices.int.test.ts).

const GREETING = { QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 }, package: '' }, capabilities: [] } };
type Cmd = { execute: string; arguments?: Record<string, unknown>; id?: string };
const ev = (name: string, data: Record<string, unknown>) => ({ event: name, data, timestamp: { seconds: 1, microseconds: 0 } });

let dir = '';
let server: Server | null = null;
let handler: (c: Cmd, s: Socket) => unknown = () => ({});

async function connect(): Promise<QmpClient> {
  const sock = join(dir, 'qmp.sock');
  server = createServer((s) => {
    s.write(`${JSON.stringify(GREETING)}\r\n`);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const c = JSON.parse(buf.slice(0, i)) as Cmd;
        buf = buf.slice(i + 1);
        const r = c.execute === 'qmp_capabilities' ? {} : handler(c, s);
        s.write(`${JSON.stringify(r instanceof Error ? { error: { class: 'GenericError', desc: r.message }, id: c.id } : { return: r, id: c.id })}\r\n`);
      }
    });
  });
  await new Promise<void>((r) => server?.listen(sock, r));
  return QmpClient.connect(sock);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vessel-hotplug-'));
});
afterEach(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hot unplug over QMP (MOCK QEMU)', () => {
  it('waits for DEVICE_DELETED of that device, ignoring others', async () => {
    handler = (c, s) => {
      if (c.execute === 'device_del') setTimeout(() => { s.write(`${JSON.stringify(ev('DEVICE_DELETED', { path: '/x', device: 'other' }))}\r\n`); s.write(`${JSON.stringify(ev('DEVICE_DELETED', { path: '/y', device: 'd1' }))}\r\n`); }, 50);
      return {};
    };
    const qmp = await connect();
    await expect(deviceDel(qmp, 'd1', { timeoutMs: 2_000 })).resolves.toBeUndefined();
    qmp.close();
  });

  it('a guest that never lets go: a clear timeout error, the device stays', async () => {
    handler = () => ({});
    const qmp = await connect();
    const progress: string[] = [];
    const err = await deviceDel(qmp, 'd1', { timeoutMs: 2_500, onProgress: (m) => progress.push(m) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VesselError);
    expect((err as VesselError).code).toBe('E_TIMEOUT');
    expect((err as VesselError).message).toMatch(/did not release d1 within 3 s .*stays attached/);
    expect(progress.some((m) => m.includes('waiting for the guest to release d1'))).toBe(true);
    qmp.close();
  });
});

describe('hot plug over QMP (MOCK QEMU)', () => {
  it('no free root port: E_BUSY with the fix, nothing added', async () => {
    const seen: string[] = [];
    handler = (c) => {
      seen.push(c.execute);
      if (c.execute === 'query-pci') return [{ bus: 0, devices: [{ bus: 0, slot: 1, function: 0, qdev_id: 'rp0', pci_bridge: { bus: { number: 0, secondary: 1 }, devices: [{ bus: 1, slot: 0, function: 0, qdev_id: 'x' }] } }] }];
      return {};
    };
    const qmp = await connect();
    const driver = new QemuDeviceDriver(async (_vm, fn) => fn(qmp));
    await expect(driver.plugPci({} as HypervisorState, 'd1', { kind: 'emulated', model: 'edu' })).rejects.toThrow(/no free PCIe root port.*--pcie-root-ports/);
    expect(seen).not.toContain('device_add');
    qmp.close();
  });

  it('walks qom-get addr/parent_bus up to pcie.0 for the guest PCI path', async () => {
    handler = (c) => {
      const a = c.arguments as { path: string; property: string };
      if (a.path === '/machine/peripheral/d1') return a.property === 'addr' ? 0 : '/machine/peripheral/rp3/rp3';
      if (a.path === '/machine/peripheral/rp3') return a.property === 'addr' ? 32 : '/machine/q35/pcie.0';
      return new Error('no such object');
    };
    const qmp = await connect();
    expect(await guestPciPath(qmp, 'd1')).toEqual({ path: '04/00', rootPort: 'rp3' });
    qmp.close();
  });
});
