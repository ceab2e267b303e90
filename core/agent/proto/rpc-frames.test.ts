import { describe, expect, it } from 'vitest';
import { encodeEmpty, encodeRequest, encodeResponse, MAX_RPC_FRAME_BODY, RpcFrameDecoder, RpcFrameType, type RpcFrame, type RpcFrameError } from './rpc-frames.js';

function decodeAll(stream: Buffer, step: number, maxBody?: number): { frames: RpcFrame[]; errors: RpcFrameError[] } {
  const frames: RpcFrame[] = [];
  const errors: RpcFrameError[] = [];
  const d = new RpcFrameDecoder((f) => frames.push(f), (e) => errors.push(e), maxBody);
  for (let i = 0; i < stream.length; i += step) d.push(stream.subarray(i, i + step));
  d.end();
  return { frames, errors };
}

const header = (length: number, type: number, id: number): Buffer => {
  const b = Buffer.alloc(9);
  b.writeUInt32BE(length, 0);
  b[4] = type;
  b.writeUInt32BE(id, 5);
  return b;
};

describe('agent port frames', () => {
  it('round-trips every frame type whatever the chunking', () => {
    const stream = Buffer.concat([
      encodeRequest(1, '/vessel.agent.v1.Health/Check', 2500, Buffer.from([0, 0, 0, 0, 0])),
      encodeResponse(1, 0, '', Buffer.from([8, 1])),
      encodeResponse(2, 5, 'container "c1" not found: ü'),
      encodeEmpty(RpcFrameType.CANCEL, 3),
      encodeEmpty(RpcFrameType.PING, 0xffffffff),
      encodeEmpty(RpcFrameType.PONG, 7),
    ]);
    for (const step of [1, 2, 9, 10, 17, 1000]) {
      const { frames, errors } = decodeAll(stream, step);
      expect(errors).toEqual([]);
      expect(frames.map((f) => ({ ...f, ...('body' in f ? { body: [...f.body] } : {}), ...('payload' in f ? { payload: [...f.payload] } : {}) }))).toEqual([
        { type: RpcFrameType.REQUEST, id: 1, path: '/vessel.agent.v1.Health/Check', timeoutMs: 2500, body: [0, 0, 0, 0, 0] },
        { type: RpcFrameType.RESPONSE, id: 1, status: 0, message: '', payload: [8, 1] },
        { type: RpcFrameType.RESPONSE, id: 2, status: 5, message: 'container "c1" not found: ü', payload: [] },
        { type: RpcFrameType.CANCEL, id: 3 },
        { type: RpcFrameType.PING, id: 0xffffffff },
        { type: RpcFrameType.PONG, id: 7 },
      ]);
    }
  });

  it('a bad frame is reported with its id and skipped; the frames after it are read', () => {
    const good = encodeEmpty(RpcFrameType.PING, 9);
    const cases: [string, Buffer, RegExp][] = [
      ['unknown type', Buffer.concat([header(3, 42, 5), Buffer.from('abc')]), /unknown frame type 42/],
      ['request too short', Buffer.concat([header(2, RpcFrameType.REQUEST, 5), Buffer.from([0, 0])]), /truncated request header/],
      ['path past the frame', Buffer.concat([header(8, RpcFrameType.REQUEST, 5), Buffer.from([0, 0, 0, 0, 0, 200, 0x2f, 0x61])]), /path runs past/],
      ['status message past the frame', Buffer.concat([header(6, RpcFrameType.RESPONSE, 5), Buffer.from([0, 0, 0, 0, 1, 0])]), /message runs past/],
      ['cancel with a body', Buffer.concat([header(1, RpcFrameType.CANCEL, 5), Buffer.from([1])]), /cancel frame with a 1-byte body/],
    ];
    for (const [what, bad, reason] of cases) {
      for (const step of [1, 3, 1000]) {
        const { frames, errors } = decodeAll(Buffer.concat([good, bad, good]), step);
        expect(errors, what).toHaveLength(1);
        expect(errors[0]).toMatchObject({ id: 5 });
        expect(errors[0]?.reason, what).toMatch(reason);
        expect(frames, what).toEqual([{ type: RpcFrameType.PING, id: 9 }, { type: RpcFrameType.PING, id: 9 }]);
      }
    }
  });

  it('an oversized frame is skipped as it arrives (never held) and the next frame is read', () => {
    const big = 5000;
    const stream = Buffer.concat([header(big, RpcFrameType.REQUEST, 11), Buffer.alloc(big, 0x41), encodeEmpty(RpcFrameType.PING, 1)]);
    for (const step of [7, 100, 10_000]) {
      let held = 0;
      const frames: RpcFrame[] = [];
      const errors: RpcFrameError[] = [];
      const d = new RpcFrameDecoder((f) => frames.push(f), (e) => errors.push(e), 1024);
      for (let i = 0; i < stream.length; i += step) {
        d.push(stream.subarray(i, i + step));
        held = Math.max(held, (d as unknown as { pendingBytes: number }).pendingBytes);
      }
      expect(errors).toEqual([{ id: 11, type: RpcFrameType.REQUEST, reason: 'frame of 5000 bytes exceeds 1024' }]);
      expect(frames).toEqual([{ type: RpcFrameType.PING, id: 1 }]);
      expect(held).toBeLessThan(step + 9);
    }
    expect(MAX_RPC_FRAME_BODY).toBeGreaterThan(4 * 1024 * 1024);
  });

  it('a stream that ends inside a frame says so (truncated frame), with the id when the header came', () => {
    const req = encodeRequest(4, '/x/Y', 0, Buffer.from('hello'));
    expect(decodeAll(req.subarray(0, req.length - 2), 3).errors).toEqual([{ id: 4, type: null, reason: 'truncated frame: the stream ended inside it' }]);
    expect(decodeAll(req.subarray(0, 4), 3).errors).toEqual([{ id: null, type: null, reason: 'truncated frame: the stream ended inside it' }]);
  });
});
