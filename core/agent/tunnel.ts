// A private gRPC endpoint for one host process that talks to a guest agent
// without the sandbox's channel owner (a template or cached VM the factory
// boots, tests): grpc-js dials a unix socket of ours, served by the same
// gateway the owner runs (channel/proxy.ts), whose one connection to QEMU's
// virtio-serial socket is opened with the hello handshake (channel/upstream.ts)
// when a call needs it, and again after it breaks.
import { mkdtempSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { AgentProxy, PROXY_WINDOW_BYTES } from './channel/proxy.js';
import { openAgentStream } from './channel/upstream.js';

/** How long one connection attempt waits for the guest's echo; each call's own deadline ends it sooner for the caller. */
const ECHO_WAIT_MS = 60_000;

export class AgentTunnel {
  private closed = false;
  private connecting = false;
  private readonly server: http2.Http2Server;
  private readonly proxy: AgentProxy;

  private constructor(private readonly dir: string, readonly localPath: string, agentPath: string) {
    this.proxy = new AgentProxy(() => undefined, {}, () => this.connect(agentPath));
    this.server = http2.createServer({ settings: { initialWindowSize: PROXY_WINDOW_BYTES, maxConcurrentStreams: 1000 } });
    this.server.on('session', (s) => this.proxy.addClient(s));
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

  private connect(agentPath: string): void {
    if (this.connecting || this.closed) return;
    this.connecting = true;
    openAgentStream(agentPath, ECHO_WAIT_MS).then(
      (stream) => {
        this.connecting = false;
        if (this.closed) stream.destroy();
        else this.proxy.attach(stream);
      },
      (err: unknown) => {
        this.connecting = false;
        this.proxy.failWaiting(err instanceof Error ? err.message : String(err));
      },
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    liveTunnels.delete(this);
    this.proxy.close();
    this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// A process that exits without closing its clients leaves no socket files behind.
const liveTunnels = new Set<AgentTunnel>();
process.once('exit', () => {
  for (const t of liveTunnels) t.close();
});
