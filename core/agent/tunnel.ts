// The host end of the hello handshake (proto/hello.ts). grpc-js dials a
// private unix socket of ours; for each connection we dial the agent's real
// socket (QEMU's virtio-serial chardev), send a fresh hello, pass the client's
// bytes through, and hand back the guest's bytes only from our own echo on.
// Anything before the echo was written for an earlier host connection.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HELLO_BYTES, newHello } from './proto/index.js';

export class AgentTunnel {
  private readonly sockets = new Set<net.Socket>();
  private closed = false;

  private readonly server: net.Server;

  private constructor(private readonly dir: string, readonly localPath: string, agentPath: string) {
    this.server = net.createServer((local) => this.accept(local, agentPath));
  }

  /** Listen on a private socket that leads to `agentPath`. */
  static async open(agentPath: string): Promise<AgentTunnel> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-agent-'));
    const localPath = path.join(dir, 'tunnel.sock');
    const tunnel = new AgentTunnel(dir, localPath, agentPath);
    const server = tunnel.server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(localPath, () => { server.off('error', reject); resolve(); });
      });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    liveTunnels.add(tunnel);
    return tunnel;
  }

  private accept(local: net.Socket, agentPath: string): void {
    if (this.closed) {
      local.destroy();
      return;
    }
    const remote = net.connect(agentPath);
    this.sockets.add(local).add(remote);
    const teardown = (): void => {
      local.destroy();
      remote.destroy();
      this.sockets.delete(local);
      this.sockets.delete(remote);
    };
    local.on('error', teardown).on('close', teardown);
    remote.on('error', teardown).on('close', teardown);

    const hello = newHello();
    remote.write(hello);
    local.pipe(remote);
    // Skip the guest's bytes up to our echo; keep only a tail that may hold a split echo.
    let pending = Buffer.alloc(0);
    const skip = (chunk: Buffer): void => {
      pending = Buffer.concat([pending, chunk]);
      const at = pending.indexOf(hello);
      if (at < 0) {
        pending = pending.subarray(Math.max(0, pending.length - (HELLO_BYTES - 1)));
        return;
      }
      remote.off('data', skip);
      const rest = pending.subarray(at + HELLO_BYTES);
      if (rest.length > 0) local.write(rest);
      remote.pipe(local);
    };
    remote.on('data', skip);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    liveTunnels.delete(this);
    this.server.close();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// A process that exits without closing its clients leaves no socket files behind.
const liveTunnels = new Set<AgentTunnel>();
process.once('exit', () => {
  for (const t of liveTunnels) t.close();
});
