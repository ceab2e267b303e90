// A newc ("070701") cpio writer: the format the kernel unpacks as initramfs.
// Written here rather than spawning cpio so the image needs no root (device
// nodes, owners) and is byte-for-byte reproducible (fixed mtime, inode order).
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; mode: number; source: string }
  | { type: 'data'; path: string; mode: number; data: Buffer }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'chardev'; path: string; mode: number; major: number; minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';
const CHUNK = 1 << 20;

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`cpio field out of range: ${n}`);
  return n.toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

interface Header {
  ino: number;
  mode: number;
  nlink: number;
  size: number;
  rdevMajor: number;
  rdevMinor: number;
  name: string;
}

/** One newc header plus the name and its padding. */
export function cpioHeader(h: Header): Buffer {
  const name = Buffer.from(h.name + '\0', 'utf8');
  const fields = [h.ino, h.mode, 0, 0, h.nlink, 0, h.size, 0, 0, h.rdevMajor, h.rdevMinor, name.length, 0];
  const head = Buffer.from('070701' + fields.map(hex8).join(''), 'latin1');
  const headLen = head.length + name.length;
  return Buffer.concat([head, name, Buffer.alloc(pad4(headLen))]);
}

function normalise(p: string): string {
  const n = p.replace(/^\/+/, '');
  if (n === '' || n.split('/').some((part) => part === '..' || part === '')) throw new Error(`bad cpio path: ${p}`);
  return n;
}

/**
 * Streams a cpio archive to `sink` (synchronously, in ≤1 MiB pieces). Entries
 * are written in the order given; parents must come before children.
 */
export function writeCpio(entries: CpioEntry[], sink: (chunk: Buffer) => void): number {
  let ino = 721; // arbitrary start; the kernel only uses ino to match hard links
  let total = 0;
  const emit = (b: Buffer): void => {
    if (b.length === 0) return;
    sink(b);
    total += b.length;
  };
  for (const e of entries) {
    const name = normalise(e.path);
    ino += 1;
    switch (e.type) {
      case 'dir':
        emit(cpioHeader({ ino, mode: S_IFDIR | (e.mode ?? 0o755), nlink: 2, size: 0, rdevMajor: 0, rdevMinor: 0, name }));
        break;
      case 'chardev':
        emit(cpioHeader({ ino, mode: S_IFCHR | e.mode, nlink: 1, size: 0, rdevMajor: e.major, rdevMinor: e.minor, name }));
        break;
      case 'symlink': {
        const target = Buffer.from(e.target, 'utf8');
        emit(cpioHeader({ ino, mode: S_IFLNK | 0o777, nlink: 1, size: target.length, rdevMajor: 0, rdevMinor: 0, name }));
        emit(target);
        emit(Buffer.alloc(pad4(target.length)));
        break;
      }
      case 'data':
        emit(cpioHeader({ ino, mode: S_IFREG | e.mode, nlink: 1, size: e.data.length, rdevMajor: 0, rdevMinor: 0, name }));
        emit(e.data);
        emit(Buffer.alloc(pad4(e.data.length)));
        break;
      case 'file': {
        const fd = openSync(e.source, 'r');
        try {
          const size = fstatSync(fd).size;
          emit(cpioHeader({ ino, mode: S_IFREG | e.mode, nlink: 1, size, rdevMajor: 0, rdevMinor: 0, name }));
          const buf = Buffer.alloc(Math.min(CHUNK, Math.max(size, 1)));
          let done = 0;
          while (done < size) {
            const n = readSync(fd, buf, 0, Math.min(buf.length, size - done), done);
            if (n === 0) throw new Error(`${e.source} shrank while packing`);
            emit(Buffer.from(buf.subarray(0, n)));
            done += n;
          }
          emit(Buffer.alloc(pad4(size)));
        } finally {
          closeSync(fd);
        }
        break;
      }
    }
  }
  emit(cpioHeader({ ino: 0, mode: 0, nlink: 1, size: 0, rdevMajor: 0, rdevMinor: 0, name: TRAILER }));
  // Pad the archive to a 512-byte block like cpio(1) does.
  emit(Buffer.alloc((512 - (total % 512)) % 512));
  return total;
}

/** Parses a newc archive (for tests and for inspecting built images). */
export function readCpio(archive: Buffer): { name: string; mode: number; data: Buffer; rdevMajor: number; rdevMinor: number }[] {
  const out: { name: string; mode: number; data: Buffer; rdevMajor: number; rdevMinor: number }[] = [];
  let pos = 0;
  for (;;) {
    const magic = archive.toString('latin1', pos, pos + 6);
    if (magic !== '070701') throw new Error(`bad cpio magic at ${pos}`);
    const field = (i: number): number => parseInt(archive.toString('latin1', pos + 6 + i * 8, pos + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const rdevMajor = field(9);
    const rdevMinor = field(10);
    const nameSize = field(11);
    const nameStart = pos + 110;
    const name = archive.toString('utf8', nameStart, nameStart + nameSize - 1);
    let p = nameStart + nameSize;
    p += pad4(p);
    const data = archive.subarray(p, p + size);
    p += size;
    p += pad4(p);
    pos = p;
    if (name === TRAILER) return out;
    out.push({ name, mode, data, rdevMajor, rdevMinor });
  }
}
