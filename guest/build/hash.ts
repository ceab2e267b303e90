// Content hashing of the image inputs: the image is rebuilt only when this changes.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

export function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4 << 20);
    let pos = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

export type HashInput =
  | { kind: 'file'; label: string; path: string }
  | { kind: 'text'; label: string; text: string | Buffer };

/**
 * One digest over labelled inputs. Labels are part of the digest (moving a
 * file in the image changes it) and the order is canonical (sorted by label).
 */
export function hashInputs(inputs: HashInput[], fileHash: (p: string) => string = sha256File): string {
  const lines = inputs
    .map((i) => {
      const digest = i.kind === 'file' ? fileHash(i.path) : createHash('sha256').update(i.text).digest('hex');
      return `${i.kind}\0${i.label}\0${digest}`;
    })
    .sort();
  const labels = new Set<string>();
  for (const i of inputs) {
    if (labels.has(i.label)) throw new Error(`duplicate image input label: ${i.label}`);
    labels.add(i.label);
  }
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}
