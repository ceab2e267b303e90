import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { HELLO_BYTES, isHelloAt, loadAgentProto } from './proto/index.js';
import { encodeResponse, RpcFrameDecoder, RpcFrameType, type RpcFrame } from './proto/rpc-frames.js';
import { AgentTunnel } from './tunnel.js';

describe('AgentTunnel (a private gRPC endpoint onto the agent port)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => { while (cleanups.length) cleanups.pop()?.(); });

  it('greets with a fresh hello, skips what came before its echo, turns calls into frames, and connects again after a break', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-tunnel-'));
    const agentPath = path.join(dir, 'agent.sock');
    const hellos: Buffer[] = [];
    const requests: RpcFrame[] = [];
    const conns: net.Socket[] = [];
    // Stands in for QEMU's socket and the guest: replies with stale bytes (meant
    // for an earlier host, split oddly), then the echo, then answers each REQUEST.
    const fake = net.createServer((sock) => {
      conns.push(sock);
      let greeted = false;
      let got = Buffer.alloc(0);
      const decoder = new RpcFrameDecoder((f) => {
        requests.push(f);
        // HealthCheckResponse { status: SERVING (1) }
        if (f.type === RpcFrameType.REQUEST) sock.write(encodeResponse(f.id, 0, '', Buffer.from([0x08, 0x01])));
      }, () => undefined);
      sock.on('data', (d: Buffer) => {
        if (greeted) return decoder.push(d);
        got = Buffer.concat([got, d]);
        if (got.length < HELLO_BYTES) return;
        greeted = true;
        const hello = got.subarray(0, HELLO_BYTES);
        hellos.push(hello);
        sock.write(Buffer.from('stale reply for someone else\0vessel-hello 0123'));
        sock.write(hello.subarray(0, 10));
        setTimeout(() => {
          sock.write(hello.subarray(10));
          if (got.length > HELLO_BYTES) decoder.push(got.subarray(HELLO_BYTES));
        }, 20);
      });
    });
    await new Promise<void>((r) => fake.listen(agentPath, r));
    const tunnel = await AgentTunnel.open(agentPath);
    const health = new (loadAgentProto().vessel.agent.v1.Health)(`unix://${tunnel.localPath}`, grpc.credentials.createInsecure());
    cleanups.push(() => { health.close(); tunnel.close(); fake.close(); rmSync(dir, { recursive: true, force: true }); });
    const check = (): Promise<unknown> => new Promise((resolve, reject) => health.Check({ service: 'x' }, { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res))));

    await expect(check()).resolves.toEqual({ status: 'SERVING' });
    expect(isHelloAt(hellos[0]!, 0)).toBe(true);
    const req = requests[0];
    expect(req?.type === RpcFrameType.REQUEST && req.path).toBe('/vessel.agent.v1.Health/Check');
    expect(req?.type === RpcFrameType.REQUEST && req.timeoutMs).toBeGreaterThan(3000);
    // The client's gRPC body, as it came: no compression, one message (field 1 = "x").
    expect(req?.type === RpcFrameType.REQUEST && [...req.body]).toEqual([0, 0, 0, 0, 3, 0x0a, 0x01, 0x78]);

    // The connection breaks: the next call gets a new one, with a hello of its own.
    conns[0]!.destroy();
    await new Promise((r) => setTimeout(r, 50));
    await expect(check()).resolves.toEqual({ status: 'SERVING' });
    expect(hellos).toHaveLength(2);
    expect(hellos[1]!.equals(hellos[0]!)).toBe(false);

    const local = tunnel.localPath;
    tunnel.close();
    expect(existsSync(local)).toBe(false);
  });

  it('a guest socket that is not there: the call fails at once with UNAVAILABLE and the reason', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-tunnel-'));
    const tunnel = await AgentTunnel.open(path.join(dir, 'missing.sock'));
    const health = new (loadAgentProto().vessel.agent.v1.Health)(`unix://${tunnel.localPath}`, grpc.credentials.createInsecure());
    cleanups.push(() => { health.close(); tunnel.close(); rmSync(dir, { recursive: true, force: true }); });
    const started = Date.now();
    const err = await new Promise<grpc.ServiceError | null>((resolve) => health.Check({ service: '' }, { deadline: Date.now() + 5000 }, (e) => resolve(e)));
    expect(err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(err?.details).toMatch(/ENOENT|missing\.sock/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
