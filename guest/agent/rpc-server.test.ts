import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { encodeEmpty, encodeRequest, RpcFrameDecoder, RpcFrameType, type RpcFrame } from '../../core/agent/proto/rpc-frames.js';
import { RpcServer } from './rpc-server.js';
import { RpcError, Status } from '../../core/agent/proto/status.js';

/** One host connection: frames written in, the server's frames decoded out. */
function connection(server: RpcServer): { send: (b: Buffer) => void; replies: RpcFrame[]; next: () => Promise<RpcFrame>; end: () => void } {
  const replies: RpcFrame[] = [];
  let wake: (() => void) | null = null;
  const decoder = new RpcFrameDecoder((f) => { replies.push(f); wake?.(); }, () => undefined);
  const conn = new Duplex({ read() {}, write(chunk: Buffer, _e, done) { decoder.push(chunk); done(); } });
  server.inject(conn);
  let taken = 0;
  return {
    send: (b) => conn.push(b),
    replies,
    next: async () => {
      while (replies.length <= taken) await new Promise<void>((r) => (wake = r));
      return replies[taken++] as RpcFrame;
    },
    end: () => conn.destroy(),
  };
}

const message = (bytes: number[]): Buffer => Buffer.from([0, 0, 0, 0, bytes.length, ...bytes]);
const CHECK = '/vessel.agent.v1.Health/Check';

function server(check: (req: unknown, s: AbortSignal) => Promise<unknown>): { s: RpcServer; refused: string[] } {
  const refused: string[] = [];
  const s = new RpcServer(({ message: m }) => refused.push(m));
  s.addService('vessel.agent.v1.Health', { Check: check, Version: () => Promise.resolve({ grpcVersion: 'g', agentVersion: 'a' }) });
  return { s, refused };
}

describe('guest RPC server (frames on the agent port)', () => {
  it('decodes the request, answers with the encoded response, and carries on after a bad frame', async () => {
    const { s, refused } = server((req) => Promise.resolve({ status: (req as { service: string }).service === 'x' ? 'SERVING' : 'NOT_SERVING' }));
    const c = connection(s);
    c.send(encodeRequest(1, CHECK, 0, message([0x0a, 0x01, 0x78])));
    expect(await c.next()).toMatchObject({ type: RpcFrameType.RESPONSE, id: 1, status: 0, payload: Buffer.from([0x08, 0x01]) });

    // Unknown method, a compressed message, two messages, a truncated one, garbage protobuf.
    c.send(encodeRequest(2, '/vessel.agent.v1.Health/Nope', 0, message([])));
    expect(await c.next()).toMatchObject({ id: 2, status: Status.UNIMPLEMENTED, message: expect.stringMatching(/unknown method/) });
    c.send(encodeRequest(3, CHECK, 0, Buffer.from([1, 0, 0, 0, 0])));
    expect(await c.next()).toMatchObject({ id: 3, status: Status.UNIMPLEMENTED, message: expect.stringMatching(/compressed/) });
    c.send(encodeRequest(4, CHECK, 0, Buffer.concat([message([]), message([])])));
    expect(await c.next()).toMatchObject({ id: 4, status: Status.UNIMPLEMENTED, message: expect.stringMatching(/more than one/) });
    c.send(encodeRequest(5, CHECK, 0, Buffer.from([0, 0, 0, 0, 9, 1])));
    expect(await c.next()).toMatchObject({ id: 5, status: Status.INTERNAL, message: 'truncated message' });
    c.send(encodeRequest(6, CHECK, 0, message([0x0f])));
    expect(await c.next()).toMatchObject({ id: 6, status: Status.INTERNAL, message: expect.stringMatching(/does not decode/) });
    // An unknown frame type and a malformed request: the second still gets its answer, by id.
    const bad = Buffer.alloc(9 + 2);
    bad.writeUInt32BE(2, 0); bad[4] = RpcFrameType.REQUEST; bad.writeUInt32BE(7, 5);
    const unknown = Buffer.alloc(9); unknown[4] = 99;
    c.send(Buffer.concat([unknown, bad]));
    expect(await c.next()).toMatchObject({ id: 7, status: Status.INTERNAL, message: 'truncated request header' });
    // An oversized frame is answered RESOURCE_EXHAUSTED once its header is in, and skipped.
    const huge = Buffer.alloc(9); huge.writeUInt32BE(64 * 1024 * 1024, 0); huge[4] = RpcFrameType.REQUEST; huge.writeUInt32BE(8, 5);
    c.send(huge);
    expect(await c.next()).toMatchObject({ id: 8, status: Status.RESOURCE_EXHAUSTED });
    c.end();
    expect(refused.some((m) => /unknown frame type 99/.test(m))).toBe(true);

    // PING is answered with PONG of the same id, on a fresh connection.
    const d = connection(s);
    d.send(encodeEmpty(RpcFrameType.PING, 77));
    expect(await d.next()).toEqual({ type: RpcFrameType.PONG, id: 77 });
    d.end();
  });

  it('handler errors keep their status; CANCEL and the host leaving abort the call; a deadline ends it', async () => {
    const aborted: string[] = [];
    const { s } = server((req, signal) => {
      const what = (req as { service: string }).service;
      if (what === 'fail') return Promise.reject(new RpcError(Status.NOT_FOUND, 'no such thing'));
      return new Promise((_r, reject) => signal.addEventListener('abort', () => { aborted.push(what); reject(new Error('aborted')); }));
    });
    const c = connection(s);
    c.send(encodeRequest(1, CHECK, 0, message([0x0a, 0x04, ...Buffer.from('fail')])));
    expect(await c.next()).toMatchObject({ id: 1, status: Status.NOT_FOUND, message: 'no such thing' });
    c.send(encodeRequest(2, CHECK, 0, message([0x0a, 0x01, 0x61])));
    c.send(encodeEmpty(RpcFrameType.CANCEL, 2));
    c.send(encodeRequest(3, CHECK, 50, message([0x0a, 0x01, 0x62])));
    expect(await c.next()).toMatchObject({ id: 3, status: Status.DEADLINE_EXCEEDED });
    c.send(encodeRequest(4, CHECK, 0, message([0x0a, 0x01, 0x63])));
    await new Promise((r) => setTimeout(r, 20));
    c.end();
    await new Promise((r) => setTimeout(r, 20));
    expect(aborted.sort()).toEqual(['a', 'b', 'c']);
    // A cancelled call is not answered.
    expect(c.replies.map((f) => f.id)).toEqual([1, 3]);
  });
});
