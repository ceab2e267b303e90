import { describe, expect, it } from 'vitest';
import { AgentPort, type PortIo } from './port.js';

/** A scripted port: each read takes the next step; writes are recorded and can be held. */
function scripted(steps: (Buffer | 0)[]) {
  const written: Buffer[] = [];
  const pendingWrites: (() => void)[] = [];
  let holdWrites = false;
  let reads = 0;
  const io: PortIo = {
    read: (_fd, buf, cb) => {
      const step = steps[reads++];
      if (step === undefined) return; // blocks forever, like a read with nothing to say
      setImmediate(() => {
        if (step === 0) cb(null, 0);
        else { step.copy(buf); cb(null, step.length); }
      });
    },
    write: (_fd, data, cb) => {
      const go = (): void => { written.push(Buffer.from(data)); cb(null, data.length); };
      if (holdWrites) pendingWrites.push(go);
      else setImmediate(go);
    },
  };
  return { io, written, get reads() { return reads; }, hold: (h: boolean) => { holdWrites = h; }, release: () => { for (const w of pendingWrites.splice(0)) w(); } };
}

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error('condition not met');
};

describe('AgentPort (the guest side of virtio-serial)', () => {
  it('keeps reading after a host leaves, reports each departure once, and loses no byte of the next host', async () => {
    const s = scripted([Buffer.from('a1'), 0, 0, 0, Buffer.from('b1'), Buffer.from('b2'), 0]);
    const events: string[] = [];
    const port = new AgentPort(3, { data: (c) => events.push(c.toString()), hostGone: () => events.push('gone'), error: (e) => events.push(`error ${e.message}`) }, s.io);
    port.start();
    await until(() => events.length === 5);
    expect(events).toEqual(['a1', 'gone', 'b1', 'b2', 'gone']);
  });

  it('splits writes to the driver limit and drops what is left for a host that has gone', async () => {
    const s = scripted([Buffer.from('x')]);
    const port = new AgentPort(3, { data: () => undefined, hostGone: () => undefined, error: () => undefined }, s.io);
    const done: (Error | null | undefined)[] = [];
    port.write(Buffer.alloc(70 * 1024, 1), (e) => done.push(e));
    await until(() => done.length === 1);
    expect(s.written.map((b) => b.length)).toEqual([32 * 1024, 32 * 1024, 6 * 1024]);

    // A big reply is being written when the host leaves: its rest is dropped.
    const t = scripted([Buffer.from('x'), 0]);
    const events: string[] = [];
    const p2 = new AgentPort(3, { data: () => events.push('data'), hostGone: () => events.push('gone'), error: () => undefined }, t.io);
    t.hold(true);
    const done2: (Error | null | undefined)[] = [];
    p2.write(Buffer.alloc(96 * 1024, 2), (e) => done2.push(e));
    p2.start();
    await until(() => events.includes('gone'));
    t.hold(false);
    t.release();
    await until(() => done2.length === 1);
    expect(done2[0]).toBeUndefined();
    expect(t.written.map((b) => b.length)).toEqual([32 * 1024]);
  });

  it('batches queued writes into one writev of driver-sized pieces, and drops a departed host\'s rest', async () => {
    const calls: number[][] = [];
    let release: (() => void) | null = null;
    const io: PortIo = {
      read: () => undefined,
      write: () => { throw new Error('writev expected'); },
      writev: (_fd, pieces, cb) => {
        calls.push(pieces.map((p) => p.length));
        const n = pieces.reduce((a, p) => a + p.length, 0);
        release = () => cb(null, n);
      },
    };
    const port = new AgentPort(3, { data: () => undefined, hostGone: () => undefined, error: () => undefined }, io);
    const done: string[] = [];
    port.write(Buffer.alloc(8), () => done.push('a')); // goes at once, alone
    port.write(Buffer.alloc(70 * 1024), () => done.push('b'));
    port.write(Buffer.alloc(5 * 1024), () => done.push('c'));
    expect(calls).toEqual([[8]]);
    (release as unknown as () => void)();
    expect(calls[1]).toEqual([32 * 1024, 32 * 1024, 6 * 1024, 5 * 1024]);
    port.newEpoch(); // the host left while b and c were in flight: they still complete (the kernel has them)
    port.write(Buffer.alloc(3), () => done.push('d'));
    (release as unknown as () => void)();
    expect(done).toEqual(['a', 'b', 'c']);
    expect(calls[2]).toEqual([3]);
    (release as unknown as () => void)();
    expect(done).toEqual(['a', 'b', 'c', 'd']);

    // Queued (not yet written) bytes of a host that left are dropped.
    const calls2: number[][] = [];
    let rel2: (() => void) | null = null;
    const p2 = new AgentPort(3, { data: () => undefined, hostGone: () => undefined, error: () => undefined }, { ...io, writev: (_fd, pieces, cb) => { calls2.push(pieces.map((p) => p.length)); rel2 = () => cb(null, pieces.reduce((a, p) => a + p.length, 0)); } });
    const done2: string[] = [];
    p2.write(Buffer.alloc(1), () => done2.push('x'));
    p2.write(Buffer.alloc(2), () => done2.push('y'));
    p2.newEpoch();
    p2.write(Buffer.alloc(4), () => done2.push('z'));
    (rel2 as unknown as () => void)();
    (rel2 as unknown as () => void)();
    expect(done2).toEqual(['x', 'y', 'z']);
    expect(calls2).toEqual([[1], [4]]);
  });

  it('writes a batch again after EINTR or EAGAIN, and reports any other write error', async () => {
    const errs = ['EINTR', 'EAGAIN'];
    const calls: number[][] = [];
    const reported: string[] = [];
    const io: PortIo = {
      read: () => undefined,
      write: () => { throw new Error('writev expected'); },
      writev: (_fd, pieces, cb) => {
        calls.push(pieces.map((p) => p.length));
        const code = errs.shift();
        setImmediate(() => {
          if (code) cb(Object.assign(new Error(code), { code }), 0);
          else cb(null, pieces.reduce((a, p) => a + p.length, 0));
        });
      },
    };
    const port = new AgentPort(3, { data: () => undefined, hostGone: () => undefined, error: () => undefined, writeError: (e) => reported.push(e.message) }, io);
    const done: (Error | null | undefined)[] = [];
    port.write(Buffer.alloc(40 * 1024), (e) => done.push(e));
    await until(() => done.length === 1);
    expect(done).toEqual([undefined]);
    expect(calls).toEqual([[32 * 1024, 8 * 1024], [32 * 1024, 8 * 1024], [32 * 1024, 8 * 1024]]);
    expect(reported).toEqual([]);

    errs.push('EIO');
    port.write(Buffer.alloc(10), (e) => done.push(e));
    port.write(Buffer.alloc(20), (e) => done.push(e));
    await until(() => done.length === 3);
    expect(done[1]?.message).toBe('EIO');
    expect(done[2]).toBeUndefined();
    expect(reported).toEqual(['EIO']);
  });
});
