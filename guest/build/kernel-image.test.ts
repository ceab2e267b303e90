import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { unpackKernelForPvh } from './kernel-image.js';

const PAGE = 4096;

/** A minimal x86-64 ELF: one PT_NOTE (a Xen note of `noteType`) and one PT_LOAD of `data`. */
function elf(data: Buffer, noteType = 18): Buffer {
  const name = Buffer.from('Xen\0');
  const note = Buffer.alloc(12 + 4 + 8);
  note.writeUInt32LE(4, 0);
  note.writeUInt32LE(8, 4);
  note.writeUInt32LE(noteType, 8);
  name.copy(note, 12);
  const header = Buffer.alloc(64 + 2 * 56);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2; // 64-bit
  header[5] = 1; // little endian
  header.writeUInt16LE(62, 18); // x86-64
  header.writeBigUInt64LE(64n, 0x20);
  header.writeUInt16LE(56, 0x36);
  header.writeUInt16LE(2, 0x38);
  const noteOff = header.length;
  const loadOff = PAGE;
  const ph = (i: number, type: number, off: number, size: number): void => {
    const at = 64 + i * 56;
    header.writeUInt32LE(type, at);
    header.writeBigUInt64LE(BigInt(off), at + 8);
    header.writeBigUInt64LE(BigInt(size), at + 32);
    header.writeBigUInt64LE(BigInt(size), at + 40);
  };
  ph(0, 4, noteOff, note.length);
  ph(1, 1, loadOff, data.length);
  const out = Buffer.alloc(loadOff + data.length);
  header.copy(out, 0);
  note.copy(out, noteOff);
  data.copy(out, loadOff);
  return out;
}

/** A bzImage-shaped wrapper: setup header with HdrS, protocol 2.15, payload = compressed + 4-byte size. */
function bzImage(payload: Buffer, size: number): Buffer {
  const setupSects = 1;
  const start = (setupSects + 1) * 512;
  const out = Buffer.alloc(start + payload.length + 4);
  out[0x1f1] = setupSects;
  out.write('HdrS', 0x202, 'latin1');
  out.writeUInt16LE(0x20f, 0x206);
  out.writeUInt32LE(0, 0x248);
  out.writeUInt32LE(payload.length + 4, 0x24c);
  payload.copy(out, start);
  out.writeUInt32LE(size, start + payload.length);
  return out;
}

function gzBzImage(kernel: Buffer): Buffer {
  return bzImage(gzipSync(kernel), kernel.length);
}

function loadFileSize(elfBuf: Buffer): number {
  return Number(elfBuf.readBigUInt64LE(64 + 56 + 32));
}

describe('unpackKernelForPvh', () => {
  it('unpacks the payload, keeps the PVH kernel and stops loading its zero tail from the file', () => {
    const data = Buffer.concat([Buffer.alloc(PAGE, 0xcc), Buffer.alloc(3 * PAGE)]);
    const kernel = elf(data);
    const res = unpackKernelForPvh(gzBzImage(kernel));
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.trimmedBytes).toBe(3 * PAGE);
    expect(loadFileSize(res.elf)).toBe(PAGE);
    // memsz is untouched: QEMU still zero-fills the whole segment.
    expect(Number(res.elf.readBigUInt64LE(64 + 56 + 40))).toBe(4 * PAGE);
    expect(res.elf.subarray(PAGE, 2 * PAGE)).toEqual(Buffer.alloc(PAGE, 0xcc));
  });

  it('keeps a segment that ends in data whole', () => {
    const res = unpackKernelForPvh(gzBzImage(elf(Buffer.alloc(2 * PAGE, 1))));
    expect(res.ok && res.trimmedBytes).toBe(0);
  });

  it('refuses a kernel without a PVH entry note, so the bzImage is booted instead', () => {
    const res = unpackKernelForPvh(gzBzImage(elf(Buffer.alloc(PAGE, 1), 17)));
    expect(res).toEqual({ ok: false, reason: expect.stringContaining('no PVH entry point') });
  });

  it('refuses what is not a bzImage, an unknown compression and a size that does not match', () => {
    expect(unpackKernelForPvh(Buffer.alloc(4096))).toEqual({ ok: false, reason: expect.stringContaining('not a bzImage') });
    expect(unpackKernelForPvh(bzImage(Buffer.from('BZh91AY&SY-not-supported'), 10))).toEqual({ ok: false, reason: expect.stringContaining('not supported') });
    const kernel = elf(Buffer.alloc(PAGE, 1));
    expect(unpackKernelForPvh(bzImage(gzipSync(kernel), kernel.length + 1))).toEqual({ ok: false, reason: expect.stringContaining('the bzImage says') });
    expect(unpackKernelForPvh(bzImage(gzipSync(Buffer.alloc(100, 7)), 100))).toEqual({ ok: false, reason: expect.stringContaining('not an ELF') });
  });

  it('says why when the payload does not decompress', () => {
    const broken = Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(30, 0xff)]);
    expect(unpackKernelForPvh(bzImage(broken, 10))).toEqual({ ok: false, reason: expect.stringContaining('unpacking the gzip payload') });
  });
});
