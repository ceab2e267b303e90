import { cpSync, linkSync, mkdirSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { LayoutBuilder } from './test-registry.js';

/**
 * Test support: the images the image tests push to their own registry, built
 * from local files (the busybox root filesystem built from Debian's
 * busybox-static) with umoci.
 *
 * "two": layer 1 = busybox + /data/gone.txt + /data/dir/{a,b} + /data/keep.txt;
 * layer 2 deletes gone.txt, empties data/dir, adds /second/hello.txt with a
 * hard link (/second/hard.txt) and a symlink (/second/link.txt -> hello.txt).
 * Config: Env GREETING=from-image, WorkingDir /second, Cmd sh -c 'cat hello.txt (relative: needs the WorkingDir); echo G=$GREETING; pwd'; ExposedPorts 80/tcp.
 */
export function buildTwoLayerImage(dir: string, busybox: string, tag = 'two'): LayoutBuilder {
  const b = new LayoutBuilder(dir, tag);
  cpSync(busybox, b.rootfs, { recursive: true, verbatimSymlinks: true });
  mkdirSync(path.join(b.rootfs, 'data', 'dir'), { recursive: true });
  writeFileSync(path.join(b.rootfs, 'data', 'gone.txt'), 'this file is deleted by layer 2\n');
  writeFileSync(path.join(b.rootfs, 'data', 'dir', 'a'), 'a\n');
  writeFileSync(path.join(b.rootfs, 'data', 'dir', 'b'), 'b\n');
  writeFileSync(path.join(b.rootfs, 'data', 'keep.txt'), 'kept\n');
  b.layer();
  rmSync(path.join(b.rootfs, 'data', 'gone.txt'));
  rmSync(path.join(b.rootfs, 'data', 'dir'), { recursive: true });
  mkdirSync(path.join(b.rootfs, 'data', 'dir'));
  mkdirSync(path.join(b.rootfs, 'second'));
  writeFileSync(path.join(b.rootfs, 'second', 'hello.txt'), 'hello from layer two\n');
  linkSync(path.join(b.rootfs, 'second', 'hello.txt'), path.join(b.rootfs, 'second', 'hard.txt'));
  symlinkSync('hello.txt', path.join(b.rootfs, 'second', 'link.txt'));
  b.layer();
  b.config(['--config.env', 'GREETING=from-image', '--config.workingdir', '/second', '--config.cmd', 'sh', '--config.cmd', '-c', '--config.cmd', 'cat hello.txt; echo "G=$GREETING"; pwd', '--config.stopsignal', 'SIGINT', '--config.exposedports', '80/tcp']);
  b.done();
  return b;
}

/** A small single-layer image for one architecture (for the multi-platform index). */
export function buildArchImage(dir: string, tag: string, arch: string): LayoutBuilder {
  const b = new LayoutBuilder(dir, tag);
  writeFileSync(path.join(b.rootfs, 'arch.txt'), `${arch}\n`);
  b.layer();
  b.config(['--architecture', arch, '--os', 'linux']);
  b.done();
  return b;
}

/** Write an OCI index into a layout (tag → index of the given tags' manifests with platforms). */
export function writeIndex(layout: string, tag: string, members: Array<{ tag: string; arch: string }>): void {
  const indexFile = path.join(layout, 'index.json');
  const index = JSON.parse(readFileSync(indexFile, 'utf8')) as { manifests: Array<{ mediaType: string; digest: string; size: number; annotations?: Record<string, string> }> };
  const manifests = members.map((m) => {
    const d = index.manifests.find((x) => x.annotations?.['org.opencontainers.image.ref.name'] === m.tag);
    if (!d) throw new Error(`no tag ${m.tag}`);
    return { mediaType: d.mediaType, digest: d.digest, size: d.size, platform: { os: 'linux', architecture: m.arch } };
  });
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  const hex = createHash('sha256').update(body).digest('hex');
  writeFileSync(path.join(layout, 'blobs', 'sha256', hex), body);
  index.manifests.push({ mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${hex}`, size: body.length, annotations: { 'org.opencontainers.image.ref.name': tag } });
  writeFileSync(indexFile, JSON.stringify(index));
}

