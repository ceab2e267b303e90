// The guest kernel as an uncompressed ELF that QEMU boots straight through its
// PVH entry point. A Debian bzImage carries the kernel XZ-compressed behind a
// real-mode stub: booted as it is, the firmware loads it and the guest then
// spends seconds decompressing it under TCG (measured: 4.1 s of a 6.0 s raw
// boot to a trivial init; the same kernel as a PVH ELF reached that init in
// 2.1 s). Kata boots an uncompressed vmlinux for the same reason. The result
// is the same kernel: its own payload, unpacked at build time.
//
// The ELF is also trimmed: QEMU keeps a mapping of every loadable segment for
// resets, and the last one ends in ~22 MiB of zeros (bss, brk) that the kernel
// clears itself; shortening that segment's file size (memory size unchanged,
// QEMU fills the rest with zeros) keeps those pages out of every QEMU.
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';

/** bzImage setup header fields (Documentation/arch/x86/boot.rst). */
const HDR_SETUP_SECTS = 0x1f1;
const HDR_MAGIC = 0x202; // "HdrS"
const HDR_VERSION = 0x206;
const HDR_PAYLOAD_OFFSET = 0x248;
const HDR_PAYLOAD_LENGTH = 0x24c;

const PT_LOAD = 1;
const PT_NOTE = 4;
/** XEN_ELFNOTE_PHYS32_ENTRY: the 32-bit PVH entry QEMU looks for in an ELF kernel. */
const XEN_ELFNOTE_PHYS32_ENTRY = 18;

export type KernelUnpackResult = { ok: true; elf: Buffer; trimmedBytes: number } | { ok: false; reason: string };

interface Decompressor { name: string; magic: number[]; run: (payload: Buffer) => Buffer }

function viaTool(cmd: string, pkg: string): (payload: Buffer) => Buffer {
  return (payload) => {
    const res = spawnSync(cmd, ['-dc'], { input: payload, maxBuffer: 512 << 20 });
    if (res.error) throw new Error(`${cmd} is not installed (Debian package ${pkg})`);
    if (res.status !== 0) throw new Error(`${cmd} -dc failed: ${res.stderr.toString().trim().slice(0, 200)}`);
    return res.stdout;
  };
}

// The payload ends with the uncompressed size (4 bytes, little endian), which
// the decompressors would read as a second, truncated stream: cut it first.
const DECOMPRESSORS: Decompressor[] = [
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], run: viaTool('xz', 'xz-utils') },
  { name: 'gzip', magic: [0x1f, 0x8b], run: (p) => gunzipSync(p) },
  { name: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd], run: viaTool('zstd', 'zstd') },
];

/** The compressed kernel inside a bzImage, or why there is none. */
function payloadOf(bz: Buffer): { data: Buffer; decompressor: Decompressor; size: number } | string {
  if (bz.length < 0x260 || bz.toString('latin1', HDR_MAGIC, HDR_MAGIC + 4) !== 'HdrS') return 'not a bzImage (no HdrS setup header)';
  if (bz.readUInt16LE(HDR_VERSION) < 0x208) return 'boot protocol older than 2.08 (no payload fields)';
  const setupSects = bz[HDR_SETUP_SECTS] || 4;
  const start = (setupSects + 1) * 512 + bz.readUInt32LE(HDR_PAYLOAD_OFFSET);
  const length = bz.readUInt32LE(HDR_PAYLOAD_LENGTH);
  if (length < 8 || start + length > bz.length) return 'payload outside the file';
  const data = bz.subarray(start, start + length);
  const decompressor = DECOMPRESSORS.find((d) => d.magic.every((b, i) => data[i] === b));
  if (!decompressor) return `payload compression not supported (magic ${data.subarray(0, 4).toString('hex')}); xz, gzip and zstd are`;
  return { data: data.subarray(0, length - 4), decompressor, size: data.readUInt32LE(length - 4) };
}

interface Elf64Phdr { index: number; type: number; offset: number; filesz: number; memsz: number }

function programHeaders(elf: Buffer): Elf64Phdr[] | string {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46) return 'the unpacked kernel is not an ELF file';
  if (elf[4] !== 2 || elf[5] !== 1 || elf.readUInt16LE(18) !== 62) return 'the unpacked kernel is not a little-endian x86-64 ELF';
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  if (phentsize !== 56 || phoff + phnum * 56 > elf.length) return 'the unpacked kernel has a malformed program header table';
  const out: Elf64Phdr[] = [];
  for (let i = 0; i < phnum; i += 1) {
    const at = phoff + i * 56;
    out.push({ index: i, type: elf.readUInt32LE(at), offset: Number(elf.readBigUInt64LE(at + 8)), filesz: Number(elf.readBigUInt64LE(at + 32)), memsz: Number(elf.readBigUInt64LE(at + 40)) });
  }
  if (out.some((p) => p.offset + p.filesz > elf.length)) return 'a segment of the unpacked kernel runs past its end';
  return out;
}

/** Whether any PT_NOTE holds the Xen PHYS32_ENTRY note (what makes QEMU boot it as PVH). */
function hasPvhEntry(elf: Buffer, phdrs: Elf64Phdr[]): boolean {
  for (const p of phdrs.filter((h) => h.type === PT_NOTE)) {
    let at = p.offset;
    const end = p.offset + p.filesz;
    while (at + 12 <= end) {
      const namesz = elf.readUInt32LE(at);
      const descsz = elf.readUInt32LE(at + 4);
      const type = elf.readUInt32LE(at + 8);
      const name = elf.toString('latin1', at + 12, at + 12 + Math.max(0, namesz - 1));
      if (name === 'Xen' && type === XEN_ELFNOTE_PHYS32_ENTRY) return true;
      at += 12 + Math.ceil(namesz / 4) * 4 + Math.ceil(descsz / 4) * 4;
    }
  }
  return false;
}

/** Shortens each loadable segment's file size by its trailing zero pages (memsz unchanged); returns the bytes no longer loaded from the file. */
function trimZeroTails(elf: Buffer, phdrs: Elf64Phdr[]): number {
  const phoff = Number(elf.readBigUInt64LE(0x20));
  let trimmed = 0;
  for (const p of phdrs.filter((h) => h.type === PT_LOAD && h.filesz > 0)) {
    let keep = p.filesz;
    while (keep > 0) {
      const from = Math.max(0, keep - 4096);
      if (elf.subarray(p.offset + from, p.offset + keep).some((b) => b !== 0)) break;
      keep = from;
    }
    if (keep === p.filesz) continue;
    elf.writeBigUInt64LE(BigInt(keep), phoff + p.index * 56 + 32);
    trimmed += p.filesz - keep;
  }
  return trimmed;
}

/**
 * The bzImage's kernel as a PVH-bootable ELF, or the reason it cannot be
 * (old boot protocol, unknown compression, a kernel built without CONFIG_PVH):
 * then the caller boots the bzImage as before.
 */
export function unpackKernelForPvh(bzImage: Buffer): KernelUnpackResult {
  const payload = payloadOf(bzImage);
  if (typeof payload === 'string') return { ok: false, reason: payload };
  let elf: Buffer;
  try {
    elf = payload.decompressor.run(payload.data);
  } catch (err) {
    return { ok: false, reason: `unpacking the ${payload.decompressor.name} payload: ${(err as Error).message}` };
  }
  if (elf.length !== payload.size) return { ok: false, reason: `unpacked ${elf.length} bytes, the bzImage says ${payload.size}` };
  const phdrs = programHeaders(elf);
  if (typeof phdrs === 'string') return { ok: false, reason: phdrs };
  if (!hasPvhEntry(elf, phdrs)) return { ok: false, reason: 'the kernel has no PVH entry point (built without CONFIG_PVH)' };
  const trimmedBytes = trimZeroTails(elf, phdrs);
  return { ok: true, elf, trimmedBytes };
}
