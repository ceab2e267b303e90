import { describe, expect, it } from 'vitest';
import { Liveness } from './liveness.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('owner liveness check', () => {
  it('a guest that answered before and then stops answering is declared dead once, after the timeout', async () => {
    let answering = true;
    const dead: string[] = [];
    const l = new Liveness({ ping: (answered) => { if (answering) setTimeout(answered, 5); }, dead: (why) => dead.push(why), paused: () => false, timing: { everyMs: 20, timeoutMs: 150 } });
    l.start();
    await sleep(100);
    expect(dead).toEqual([]);
    answering = false;
    await sleep(400);
    l.stop();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatch(/did not answer a ping for \d+ s/);
  });

  it('a guest that never answered (no ping support) and a paused guest get no verdict', async () => {
    const dead: string[] = [];
    const never = new Liveness({ ping: () => undefined, dead: (why) => dead.push(why), paused: () => false, timing: { everyMs: 20, timeoutMs: 60 } });
    never.start();
    let paused = false;
    const pausing = new Liveness({ ping: (answered) => { if (!paused) answered(); }, dead: (why) => dead.push(`paused: ${why}`), paused: () => paused, timing: { everyMs: 20, timeoutMs: 60 } });
    pausing.start();
    await sleep(80);
    paused = true;
    await sleep(300);
    never.stop();
    pausing.stop();
    expect(dead).toEqual([]);
  });

  it('an answer that comes after an idle tick still counts: a guest that then stops answering is judged', async () => {
    // Busy at every other tick: each ping's wait is dropped by the idle tick before its answer comes.
    let tick = 0;
    let answering = true;
    const dead: string[] = [];
    const l = new Liveness({ ping: (answered) => { setTimeout(() => { if (answering) answered(); }, 50); }, dead: (why) => dead.push(why), paused: () => false, busy: () => answering ? (tick++ % 2 === 0) : true, timing: { everyMs: 20, timeoutMs: 100 } });
    l.start();
    await sleep(200);
    answering = false;
    await sleep(400);
    l.stop();
    expect(dead).toHaveLength(1);
  });

  it('an idle connection is pinged once (is the guest one that answers?), then not again (an idle guest is not woken)', async () => {
    let pings = 0;
    let busy = false;
    const l = new Liveness({ ping: (answered) => { pings += 1; answered(); }, dead: () => undefined, paused: () => false, busy: () => busy, timing: { everyMs: 20, timeoutMs: 60 } });
    l.start();
    await sleep(150);
    expect(pings).toBe(1);
    busy = true;
    await sleep(150);
    l.stop();
    expect(pings).toBeGreaterThan(2);
  });
});
