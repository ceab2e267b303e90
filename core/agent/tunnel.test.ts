import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HELLO_BYTES, isHelloAt } from './proto/index.js';
import { AgentTunnel } from './tunnel.js';

describe('AgentTunnel (host end of the hello handshake)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => { while (cleanups.length) cleanups.pop()?.(); });

  it('greets with a fresh hello, passes the client bytes on, and skips what came before its echo', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-tunnel-'));
    const agentPath = path.join(dir, 'agent.sock');
    const seen: Buffer[] = [];
    // Stands in for QEMU's socket: replies with stale bytes (meant for an
    // earlier host, split oddly), then the echo, then the real answer.
    const fake = net.createServer((sock) => {
      let got = Buffer.alloc(0);
      sock.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length < HELLO_BYTES + 4) return;
        seen.push(got);
        const hello = got.subarray(0, HELLO_BYTES);
        sock.write(Buffer.from('stale reply for someone else\0vessel-hello 0123'));
        sock.write(Buffer.concat([hello.subarray(0, 10)]));
        setTimeout(() => sock.write(Buffer.concat([hello.subarray(10), Buffer.from('fresh')])), 20);
      });
    });
    await new Promise<void>((r) => fake.listen(agentPath, r));
    const tunnel = await AgentTunnel.open(agentPath);
    cleanups.push(() => { tunnel.close(); fake.close(); rmSync(dir, { recursive: true, force: true }); });

    const client = net.connect(tunnel.localPath);
    client.write('ping');
    const reply = await new Promise<string>((resolve) => {
      let r = '';
      client.on('data', (d: Buffer) => { r += d.toString(); if (r.length >= 5) resolve(r); });
    });
    expect(reply).toBe('fresh');
    expect(isHelloAt(seen[0]!, 0)).toBe(true);
    expect(seen[0]!.subarray(HELLO_BYTES).toString()).toBe('ping');

    // Each connection gets a hello of its own.
    const second = net.connect(tunnel.localPath);
    second.write('pong');
    await new Promise((r) => second.once('data', r));
    expect(seen[1]!.subarray(0, HELLO_BYTES).equals(seen[0]!.subarray(0, HELLO_BYTES))).toBe(false);

    const local = tunnel.localPath;
    tunnel.close();
    expect(existsSync(local)).toBe(false);
  });
});
