// Test support: a guest-agent VM started by hand (no SandboxService, no
// channel owner), with the image's root on virtio-blk, the agent's
// virtio-serial port, entropy and a 9p share — what the agent's own
// integration tests talk to directly.
import { spawn, type ChildProcess } from 'node:child_process';
import { AgentClient } from '../client.js';
import type { GuestImage } from '../manifest.js';

export interface RawAgentVm {
  qemu: ChildProcess;
  agent: AgentClient;
}

export async function startRawAgentVm(o: { image: GuestImage; agentSock: string; serialLog: string; sharedDir: string; kernelParams?: string[] }): Promise<RawAgentVm> {
  const { image } = o;
  const qemu = spawn('qemu-system-x86_64', [
    '-machine', 'q35', '-accel', 'tcg', '-m', '512', '-smp', '1',
    '-nodefaults', '-no-user-config', '-no-reboot', '-display', 'none',
    '-kernel', image.kernelPath, '-initrd', image.initrdPath,
    // The stage-1 initrd mounts the read-only root image (virtio-blk here, as cmdline.ts renders it; Vessel maps it with virtio-pmem).
    ...(image.rootImagePath ? ['-drive', `file=${image.rootImagePath},if=none,id=rootfs,format=raw,readonly=on`, '-device', 'virtio-blk-pci,drive=rootfs'] : []),
    '-append', [...image.kernelParams, ...(o.kernelParams ?? [])].join(' '),
    '-serial', `file:${o.serialLog}`,
    '-device', 'virtio-serial-pci,id=vser0',
    '-chardev', `socket,id=agent,path=${o.agentSock},server=on,wait=off`,
    '-device', `virtserialport,bus=vser0.0,chardev=agent,name=${image.agentPortName}`,
    '-object', 'rng-random,id=rng0,filename=/dev/urandom', '-device', 'virtio-rng-pci,rng=rng0',
    '-fsdev', `local,id=vshared,path=${o.sharedDir},security_model=none,multidevs=remap`,
    '-device', 'virtio-9p-pci,fsdev=vshared,mount_tag=vessel-shared',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  qemu.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<never>((_, reject) => qemu.on('exit', (code) => reject(new Error(`QEMU exited (${String(code)}): ${stderr}`))));
  try {
    const agent = await Promise.race([AgentClient.connect({ kind: 'unix', path: o.agentSock }, { timeoutMs: 150_000 }), exited]);
    return { qemu, agent };
  } catch (err) {
    qemu.kill('SIGKILL');
    throw err;
  }
}
