// Boots the real guest image under QEMU (TCG) and talks to the real agent
// over virtio-serial, the way the runtime does: then proves a second, new
// host client can take over the same guest without a reboot.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentClient } from './client.js';
import { guestImageDir, readGuestManifest, type GuestImage } from './manifest.js';

const QEMU = 'qemu-system-x86_64';

function skipReason(): string | null {
  if (spawnSync(QEMU, ['--version']).status !== 0) return `${QEMU} is not installed (Debian package qemu-system-x86)`;
  if (!existsSync(path.join(guestImageDir(), 'manifest.json'))) return `no guest image in ${guestImageDir()} (run npm run build && npm run build:guest)`;
  return null;
}

const reason = skipReason();
if (reason) console.log(`[agent.int] skipped: ${reason}`);

describe.skipIf(reason !== null)('guest agent in a real VM (QEMU, TCG, virtio-serial)', () => {
  let qemu: ChildProcess | undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-agent-int-'));
  const serialLog = path.join(dir, 'serial.log');

  afterAll(() => {
    qemu?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('boots, reports guest details, and serves a new host client after the first disconnects', async () => {
    const image: GuestImage = readGuestManifest();
    const agentSock = path.join(dir, 'agent.sock');
    qemu = spawn(QEMU, [
      '-machine', 'q35', '-accel', 'tcg', '-m', '512', '-smp', '1',
      '-nodefaults', '-no-user-config', '-no-reboot', '-display', 'none',
      '-kernel', image.kernelPath, '-initrd', image.initrdPath, '-append', image.kernelParams.join(' '),
      // The stage-1 initrd mounts the read-only root image (virtio-blk here; Vessel maps it with virtio-pmem).
      ...(image.rootImagePath ? ['-drive', `file=${image.rootImagePath},if=none,id=rootfs,format=raw,readonly=on`, '-device', 'virtio-blk-pci,drive=rootfs'] : []),
      '-serial', `file:${serialLog}`,
      '-device', 'virtio-serial-pci,id=vser0',
      '-chardev', `socket,id=agent,path=${agentSock},server=on,wait=off`,
      '-device', `virtserialport,bus=vser0.0,chardev=agent,name=${image.agentPortName}`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    qemu.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<never>((_, reject) => qemu?.on('exit', (code) => reject(new Error(`QEMU exited (${String(code)}): ${stderr}\n${existsSync(serialLog) ? readFileSync(serialLog, 'utf8').slice(-2000) : ''}`))));

    const t0 = Date.now();
    const first = await Promise.race([AgentClient.connect({ kind: 'unix', path: agentSock }, { timeoutMs: 150_000 }), exited]);
    const readyMs = Date.now() - t0;
    const details = await first.getGuestDetails();
    console.log(`[agent.int] agent ready ${readyMs} ms after QEMU spawn; guest uptime ${details.uptimeMs} ms`);
    expect(details.kernelRelease).toBe(image.kernelRelease);
    expect(details.cpus).toBe(1);
    expect(details.memoryKiB).toBeGreaterThan(256 * 1024);
    expect(details.agentVersion).toBe(image.agentVersion);
    first.close();

    // A new host process: fresh client, same guest, no reboot.
    const second = await AgentClient.connect({ kind: 'unix', path: agentSock }, { timeoutMs: 30_000 });
    expect(await second.check()).toBe('SERVING');
    const later = await second.getGuestDetails();
    expect(later.uptimeMs).toBeGreaterThanOrEqual(details.uptimeMs);
    second.close();

    // Hosts coming and going quickly must not confuse the agent.
    for (let i = 0; i < 3; i++) {
      const next = await AgentClient.connect({ kind: 'unix', path: agentSock }, { timeoutMs: 30_000 });
      expect(await next.check()).toBe('SERVING');
      next.close();
    }

    const console_ = readFileSync(serialLog, 'utf8');
    expect(console_).toContain('vessel-init: boot modules loaded');
    expect(console_).toContain('"msg":"agent ready"');
  });
});
