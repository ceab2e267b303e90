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
});
