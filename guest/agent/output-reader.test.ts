import { spawn } from 'node:child_process';
import { readSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BULK_CHUNK, readOutput, type ReadFd } from './output-reader.js';
import { StreamBuffer } from './stream-buffer.js';

const MIB = 1024 * 1024;

/** A child writing `total` bytes of a pattern whose every 4-byte word is its own index, in blocks of `block`. */
function writer(total: number, block: number) {
  const script = `
    const total = ${total}, block = ${block};
    let at = 0;
    const next = () => {
      while (at < total) {
        const n = Math.min(block, total - at);
        const b = Buffer.alloc(n);
        for (let i = 0; i < n; i += 4) b.writeUInt32LE(((at + i) / 4) >>> 0, i);
        at += n;
        if (!process.stdout.write(b)) return process.stdout.once('drain', next);
      }
    };
    next();`;
  return spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
}

function firstWrongWord(data: Buffer): number {
  for (let i = 0; i + 4 <= data.length; i += 4) if (data.readUInt32LE(i) !== i / 4) return i / 4;
  return -1;
}

/** readSync that counts reads and bytes. */
function countingRead(): { read: ReadFd; reads: number; bytes: number } {
  const c = {
    reads: 0,
    bytes: 0,
    read: ((fd, buf, offset, length) => {
      const n = readSync(fd, buf, offset, length, null);
      c.reads += 1;
      c.bytes += n;
      return n;
    }) as ReadFd,
  };
  return c;
}

describe('readOutput', () => {
  it('reads bulk output on past node\'s 64 KiB chunks, every byte once and in order', async () => {
    const total = 24 * MIB;
    const child = writer(total, MIB);
    const chunks: Buffer[] = [];
    const counted = countingRead();
    readOutput(child.stdout, (d) => chunks.push(d), counted.read);
    await new Promise((r) => child.stdout.once('end', r));
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(total);
    expect(firstWrongWord(all)).toBe(-1);
    // The reader's own reads carried part of it (each up to what the socket held).
    expect(counted.bytes).toBeGreaterThan(0);
    expect(counted.bytes).toBeLessThan(total);
  });

  it('small output stays with node\'s reads', async () => {
    const child = spawn(process.execPath, ['-e', 'for (let i = 0; i < 20; i++) process.stdout.write(`line ${i}\\n`)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    const counted = countingRead();
    readOutput(child.stdout, (d) => chunks.push(d), counted.read);
    await new Promise((r) => child.stdout.once('end', r));
    expect(Buffer.concat(chunks).toString()).toBe(Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join(''));
    expect(counted.reads).toBe(0);
  });

  it('stops reading when paused (a full stream buffer) and loses nothing on resume', async () => {
    const total = 8 * MIB;
    const child = writer(total, 256 * 1024);
    let reader: ReturnType<typeof readOutput> | null = null;
    const buffer = new StreamBuffer(MIB, (full) => (full ? reader?.pause() : reader?.resume()));
    let maxHeld = 0;
    reader = readOutput(child.stdout, (d) => {
      buffer.push(d);
      maxHeld = Math.max(maxHeld, buffer.end - buffer.start);
    });
    child.stdout.on('end', () => buffer.close());
    // A slow consumer: 128 KiB every 2 ms.
    const got: Buffer[] = [];
    let at = 0;
    for (;;) {
      const r = buffer.read(at, 128 * 1024);
      got.push(r.data);
      at += r.data.length;
      if (r.eof) break;
      await new Promise((res) => setTimeout(res, 2));
    }
    const all = Buffer.concat(got);
    expect(all.length).toBe(total);
    expect(firstWrongWord(all)).toBe(-1);
    // Bounded: the capacity plus at most the chunk or read that filled it.
    expect(maxHeld).toBeLessThanOrEqual(2 * MIB);
  });

  it('a stream without a descriptor is read through its data events alone', () => {
    const s = new PassThrough();
    const chunks: Buffer[] = [];
    let reads = 0;
    readOutput(s, (d) => chunks.push(d), () => {
      reads += 1;
      return 0;
    });
    s.write(Buffer.alloc(BULK_CHUNK * 2, 1));
    s.write(Buffer.from('tail'));
    expect(Buffer.concat(chunks).length).toBe(BULK_CHUNK * 2 + 4);
    expect(reads).toBe(0);
  });
});
