import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { VesselError } from '../contract/index.js';

/**
 * A pass over each layer's tar headers before it is unpacked, so a layer that
 * tries to write outside its root is refused with a clear error instead of
 * being clamped silently by the unpacker: a path with "..", a hard link to
 * "../…", or an entry that goes through a symlink (an absolute or relative
 * symlink escape: `evil -> /etc`, then `evil/passwd`). umoci resolves paths
 * inside the root as well (securejoin); this check says why a layer is bad.
 */

export interface ScanState {
  symlinks: Set<string>;
}

export function newScanState(): ScanState {
  return { symlinks: new Set() };
}

function clean(name: string): string {
  return name.replace(/^\.?\/+/, '').replace(/^\.\//, '').replace(/\/+$/, '');
}

function refuse(layer: string, why: string): VesselError {
  return new VesselError('E_PERMISSION', `layer ${layer.slice(0, 19)}… tries to write outside its root: ${why}; the image is refused`, { layer });
}

function octal(buf: Buffer, off: number, len: number): number {
  const field = buf.subarray(off, off + len);
  if ((field[0] ?? 0) & 0x80) {
    // base-256 (GNU) for big sizes
    let v = 0;
    for (let i = 1; i < field.length; i++) v = v * 256 + (field[i] ?? 0);
    return v;
  }
  const s = field.toString('ascii').replace(/\0.*$/s, '').trim();
  return s === '' ? 0 : parseInt(s, 8);
}

function cstr(buf: Buffer, off: number, len: number): string {
  const field = buf.subarray(off, off + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = parseInt(data.subarray(pos, space).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const rec = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}

function checkPath(layer: string, name: string, state: ScanState): string {
  const p = clean(name);
  const parts = p.split('/');
  if (parts.includes('..')) throw refuse(layer, `entry "${name}" has a ".." component`);
  for (let i = 1; i < parts.length; i++) {
    const ancestor = parts.slice(0, i).join('/');
    if (state.symlinks.has(ancestor)) throw refuse(layer, `entry "${name}" goes through the symlink "${ancestor}"`);
  }
  return p;
}

/** Scan one layer (tar, gzip or not), in order after the layers below it. */
export async function scanLayer(file: string, layer: string, state: ScanState): Promise<{ entries: number }> {
  const head = await new Promise<Buffer>((resolve, reject) => {
    const s = createReadStream(file, { start: 0, end: 3 });
    const parts: Buffer[] = [];
    s.on('data', (d) => parts.push(d as Buffer));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) {
    throw new VesselError('E_UNSUPPORTED', `layer ${layer} is zstd-compressed, which Vessel does not unpack yet`);
  }
  const gz = head[0] === 0x1f && head[1] === 0x8b;
  const input = createReadStream(file);
  const stream: AsyncIterable<Buffer> = gz ? input.pipe(createGunzip()) : input;
  let buf: Buffer = Buffer.alloc(0);
  let skip = 0;
  let pending: { kind: 'pax' | 'longname' | 'longlink'; size: number } | null = null;
  let pax: Record<string, string> = {};
  let longName: string | null = null;
  let longLink: string | null = null;
  let entries = 0;
  let ended = false;
  try {
    for await (const chunk of stream) {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          buf = buf.subarray(n);
          skip -= n;
          if (skip > 0) break;
        }
        if (pending) {
          const padded = Math.ceil(pending.size / 512) * 512;
          if (buf.length < padded) break;
          const data = buf.subarray(0, pending.size);
          if (pending.kind === 'pax') pax = { ...pax, ...parsePax(data) };
          else if (pending.kind === 'longname') longName = cstr(data, 0, data.length);
          else longLink = cstr(data, 0, data.length);
          buf = buf.subarray(padded);
          pending = null;
          continue;
        }
        if (ended || buf.length < 512) break;
        const h = buf.subarray(0, 512);
        buf = buf.subarray(512);
        if (h.every((b) => b === 0)) {
          ended = true;
          break;
        }
        const type = String.fromCharCode(h[156] ?? 0x30);
        const size = octal(h, 124, 12);
        if (type === 'x' || type === 'g') {
          pending = { kind: 'pax', size };
          if (type === 'g') pending = { kind: 'pax', size };
          continue;
        }
        if (type === 'L' || type === 'K') {
          pending = { kind: type === 'L' ? 'longname' : 'longlink', size };
          continue;
        }
        const prefix = cstr(h, 345, 155);
        const baseName = cstr(h, 0, 100);
        const name = pax.path ?? longName ?? (prefix ? `${prefix}/${baseName}` : baseName);
        const link = pax.linkpath ?? longLink ?? cstr(h, 157, 100);
        pax = {};
        longName = null;
        longLink = null;
        entries++;
        const p = checkPath(layer, name, state);
        const base = p.split('/').pop() ?? '';
        if (base.startsWith('.wh.') && base !== '.wh..wh..opq') {
          const gone = [...p.split('/').slice(0, -1), base.slice(4)].join('/');
          for (const s of [...state.symlinks]) if (s === gone || s.startsWith(gone + '/')) state.symlinks.delete(s);
        } else if (type === '2') {
          state.symlinks.add(p);
        } else {
          state.symlinks.delete(p);
          if (type === '1') {
            const target = clean(link);
            if (target.split('/').includes('..')) throw refuse(layer, `hard link "${name}" points to "${link}"`);
            checkPath(layer, link, state);
          }
        }
        skip = type === '0' || type === '\0' || type === '7' ? Math.ceil(size / 512) * 512 : 0;
      }
      if (ended) break;
    }
  } catch (err) {
    if (err instanceof VesselError) throw err;
    throw new VesselError('E_DIGEST_MISMATCH', `layer ${layer} is not a readable tar archive (${err instanceof Error ? err.message : String(err)})`);
  } finally {
    input.destroy();
  }
  return { entries };
}
