import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, lstatSync, readlinkSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VesselError } from '../contract/index.js';
import { ImageService, type ImageUse } from './service.js';
import { parseReference } from './reference.js';
import { buildArchImage, buildTwoLayerImage, writeIndex } from './test-images.js';
import { pushBlob, pushManifest, registryToolsMissing, sha256, skopeoPush, startProxy, startRegistry, tarOf, type TestRegistry } from './test-registry.js';
import { ensureBusyboxRootfs } from '../api/container-spec.js';

/**
 * Pulls against a real registry (Debian's docker-registry) on 127.0.0.1 with
 * a random port, with images this test builds from local files (umoci) and
 * pushes (skopeo). No VM: these need no slot.
 */

const missing = registryToolsMissing();
const d = missing ? describe.skip : describe;
if (missing) console.warn(`image pull tests skipped: ${missing}`);

async function failure(p: Promise<unknown>): Promise<VesselError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof VesselError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

function service(root: string, uses: ImageUse[] = [], env: NodeJS.ProcessEnv = {}): ImageService {
  return new ImageService(path.join(root, 'images'), { usedBy: async () => uses, env: { ...process.env, HOME: root, REGISTRY_AUTH_FILE: path.join(root, 'none.json'), DOCKER_CONFIG: path.join(root, 'docker'), XDG_RUNTIME_DIR: path.join(root, 'run'), ...env } });
}

function storeConsistent(images: ImageService): void {
  // Every image's manifest, config and layers are present and hash right; nothing sits half-written.
  for (const img of images.store.images()) {
    const m = JSON.parse(images.store.readBlob(img.manifest.digest).toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
    images.store.readBlob(m.config.digest);
    for (const l of m.layers) expect(images.store.hasBlob(l.digest)).toBe(true);
  }
  expect(readdirSync(images.store.blobsDir).every((n) => /^[a-f0-9]{64}$/.test(n))).toBe(true);
}

d('image pull from a loopback registry', () => {
  let reg: TestRegistry;
  let work: string;
  let twoRef: string;
  let layout: string;

  beforeAll(async () => {
    reg = await startRegistry();
    work = mkdtempSync(path.join(os.tmpdir(), 'vessel-i11-pull-'));
    const two = buildTwoLayerImage(work, ensureBusyboxRootfs());
    layout = two.layout;
    twoRef = `${reg.host}/test/two:latest`;
    await skopeoPush(layout, 'two', twoRef);
    buildArchImage(work, 'amd', 'amd64');
    buildArchImage(work, 'arm', 'arm64');
    writeIndex(layout, 'multi', [{ tag: 'amd', arch: 'amd64' }, { tag: 'arm', arch: 'arm64' }]);
    await skopeoPush(layout, 'multi', `${reg.host}/test/multi:1`, undefined, true);
  }, 120_000);

  afterAll(async () => {
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('pulls a two-layer image, stores it as an OCI layout, and unpacks it with whiteouts, a hard link and a symlink', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'vessel-i11-store-'));
    const images = service(root);
    const seen: string[] = [];
    const img = await images.pull(twoRef, { insecure: true, onProgress: (p) => seen.push(p.phase) });
    expect(img.name).toBe(twoRef);
    expect(img.layers).toBe(2);
    expect(seen).toContain('downloading');
    expect(seen.at(-1)).toBe('done');
    expect(JSON.parse(readFileSync(path.join(root, 'images', 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const info = await images.inspect(twoRef);
    expect(info.config.env).toContain('GREETING=from-image');
    expect(info.config.workingDir).toBe('/second');
    expect(info.config.cmd).toEqual(['sh', '-c', 'cat hello.txt; echo "G=$GREETING"; pwd']);
    expect((await images.list()).map((i) => i.name)).toEqual([twoRef]);
    const prepared = await images.prepare(twoRef);
    const r = prepared.rootfsDir;
    expect(existsSync(path.join(r, 'data', 'gone.txt'))).toBe(false);
    expect(readdirSync(path.join(r, 'data', 'dir'))).toEqual([]);
    expect(readFileSync(path.join(r, 'data', 'keep.txt'), 'utf8')).toBe('kept\n');
    expect(readFileSync(path.join(r, 'second', 'hello.txt'), 'utf8')).toBe('hello from layer two\n');
    expect(statSync(path.join(r, 'second', 'hard.txt')).ino).toBe(statSync(path.join(r, 'second', 'hello.txt')).ino);
    expect(lstatSync(path.join(r, 'second', 'link.txt')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(r, 'second', 'link.txt'))).toBe('hello.txt');
    expect(existsSync(path.join(r, 'bin', 'busybox'))).toBe(true);
    // Unpacked once: a second prepare reuses the same tree.
    const mtime = statSync(r).mtimeMs;
    expect((await images.prepare(twoRef)).rootfsDir).toBe(r);
    expect(statSync(r).mtimeMs).toBe(mtime);
    expect((await images.inspect(twoRef)).unpacked).toBe(true);
    storeConsistent(images);
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses plain HTTP without --insecure, saying so', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'vessel-i11-store-'));
    const e = await failure(service(root).pull(twoRef));
    expect(e.code).toBe('E_REGISTRY');
    expect(e.message).toMatch(/--insecure/);
    rmSync(root, { recursive: true, force: true });
  });

  it('picks the platform from a multi-platform index (linux/amd64 by default, --platform otherwise)', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'vessel-i11-store-'));
    const images = service(root);
    const ref = `${reg.host}/test/multi:1`;
    const amd = await images.pull(ref, { insecure: true });
    expect(amd.platform?.architecture).toBe('amd64');
    expect(amd.indexDigest).toMatch(/^sha256:/);
    expect(readFileSync(path.join((await images.prepare(ref)).rootfsDir, 'arch.txt'), 'utf8')).toBe('amd64\n');
    const arm = await images.pull(ref, { insecure: true, platform: 'linux/arm64' });
    expect(arm.platform?.architecture).toBe('arm64');
    expect(arm.digest).not.toBe(amd.digest);
    const e = await failure(images.pull(ref, { insecure: true, platform: 'linux/s390x' }));
    expect(e.code).toBe('E_NOT_FOUND');
    expect(e.message).toMatch(/no image for linux\/s390x \(it has: linux\/amd64, linux\/arm64\)/);
    rmSync(root, { recursive: true, force: true });
  });

  it('rejects bad input clearly: malformed reference, unknown tag, wrong media type, escaping layers; keeps nothing', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'vessel-i11-store-'));
    const images = service(root);
    for (const bad of ['', 'UPPER/case', 'a//b', 'busybox:bad tag', 'x@sha256:1234']) {
      expect((await failure(images.pull(bad, { insecure: true }))).code).toBe('E_INVALID_ARGUMENT');
    }
    const unknown = await failure(images.pull(`${reg.host}/test/two:nope`, { insecure: true }));
    expect(unknown.code).toBe('E_NOT_FOUND');
    expect(unknown.message).toMatch(/manifest test\/two:nope not found/);

    // An artifact (not a container image): its config has another media type.
    const cfg = await pushBlob(reg.host, 'test/artifact', Buffer.from('{}'));
    await pushManifest(reg.host, 'test/artifact', 'v1', { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.example.thing.v1+json', digest: cfg, size: 2 }, layers: [] }, 'application/vnd.oci.image.manifest.v1+json');
    const art = await failure(images.pull(`${reg.host}/test/artifact:v1`, { insecure: true }));
    expect(art.code).toBe('E_UNSUPPORTED');
    expect(art.message).toMatch(/not a container image/);

    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} }));
    for (const [tag, entries, why] of [
      ['dotdot', [{ name: '../escaped.txt', data: 'x' }], /has a "\.\." component/],
      ['symlink', [{ name: 'evil', type: 'symlink' as const, link: '/etc' }, { name: 'evil/passwd', data: 'x' }], /goes through the symlink "evil"/],
    ] as const) {
      const layer = gzipSync(tarOf([...entries]));
      const ld = await pushBlob(reg.host, 'test/escape', layer);
      const cd = await pushBlob(reg.host, 'test/escape', config);
      await pushManifest(reg.host, 'test/escape', tag, { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: ld, size: layer.length }] }, 'application/vnd.oci.image.manifest.v1+json');
      const e = await failure(images.pull(`${reg.host}/test/escape:${tag}`, { insecure: true }));
      expect(e.code).toBe('E_PERMISSION');
      expect(e.message).toMatch(why);
      expect(images.store.hasBlob(ld)).toBe(false);
    }
    expect(await images.list()).toEqual([]);
    storeConsistent(images);
    rmSync(root, { recursive: true, force: true });
  });

  it('resumes an interrupted pull from the bytes already fetched, and discards a corrupted blob', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'vessel-i11-store-'));
    const images = service(root);
    const proxy = await startProxy(reg.host);
    try {
      const manifest = JSON.parse(readFileSync(path.join(layout, 'blobs', 'sha256', (JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> }).manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === 'two')?.digest.slice(7) ?? ''), 'utf8')) as { layers: Array<{ digest: string; size: number }> };
      const big = manifest.layers[0];
      if (!big) throw new Error('no layer');
      const ref = `${proxy.host}/test/two:latest`;

      proxy.rule.corruptBlob = big.digest;
      const bad = await failure(images.pull(ref, { insecure: true }));
      expect(bad.code).toBe('E_DIGEST_MISMATCH');
      expect(bad.message).toMatch(/does not match its digest and was discarded/);
      expect(images.store.hasBlob(big.digest)).toBe(false);
      expect(existsSync(images.store.ingestPath(big.digest))).toBe(false);
      expect(await images.list()).toEqual([]);
      proxy.rule.corruptBlob = undefined;

      const cutAt = Math.floor(big.size / 2);
      proxy.rule.cutBlobAfter = { digest: big.digest, bytes: cutAt };
      const cut = await failure(images.pull(ref, { insecure: true }));
      expect(cut.code).toBe('E_REGISTRY');
      expect(cut.message).toMatch(/pull again to resume/);
      const kept = statSync(images.store.ingestPath(big.digest)).size;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThanOrEqual(cutAt);
      expect(await images.list()).toEqual([]);

      const img = await images.pull(ref, { insecure: true });
      expect(img.layers).toBe(2);
      expect(proxy.ranges).toContain(`bytes=${kept}-`);
      expect(images.store.hasBlob(big.digest)).toBe(true);
      storeConsistent(images);
    } finally {
      await proxy.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('downloads a layer once for concurrent pulls; rm is refused while a container uses the image; GC keeps shared blobs', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'vessel-i11-store-'));
    const uses: ImageUse[] = [];
    const images = service(root, uses);
    const [a, b] = await Promise.all([images.pull(twoRef, { insecure: true }), images.pull(twoRef, { insecure: true })]);
    expect(a.digest).toBe(b.digest);
    // Another name for the same image shares every blob.
    await images.store.withIndexLock('test', async () => {
      const img = images.store.images()[0];
      if (img) await images.store.tag(`${reg.host}/test/other:v1`, img.manifest, {});
    });
    uses.push({ digest: a.digest, sandboxId: 's1', sandboxName: 'box', containerId: 'c1', containerName: 'web' });
    const before = images.store.allBlobs().length;
    await images.remove(`${reg.host}/test/other:v1`);
    expect(images.store.allBlobs().length).toBe(before);
    const e = await failure(images.remove(twoRef));
    expect(e.code).toBe('E_INVALID_STATE');
    expect(e.message).toMatch(/in use by container web in sandbox box/);
    const pr = await images.prune();
    expect(pr.blobsRemoved).toBe(0);
    uses.length = 0;
    const gone = await images.remove(twoRef);
    expect(gone.freed.blobsRemoved).toBe(before);
    expect(images.store.allBlobs()).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  });

  it('shares one unpacked tree between images with the same layers (a config-only change); GC keeps it while either image or a container of it lives', async () => {
    // Same two layers, another config (Env): another manifest, the same layer stack.
    execFileSync('/usr/bin/umoci', ['config', '--image', `${layout}:two`, '--tag', 'two-env', '--config.env', 'EXTRA=1']);
    const envRef = `${reg.host}/test/two-env:latest`;
    await skopeoPush(layout, 'two-env', envRef);
    const root = mkdtempSync(path.join(os.tmpdir(), 'vessel-i11-share-'));
    const uses: ImageUse[] = [];
    const images = service(root, uses);
    const a = await images.pull(twoRef, { insecure: true });
    const b = await images.pull(envRef, { insecure: true });
    expect(a.digest).not.toBe(b.digest);
    const ra = (await images.prepare(twoRef)).rootfsDir;
    expect(existsSync(path.join(ra, 'second', 'hello.txt'))).toBe(true);
    const rb = (await images.prepare(envRef)).rootfsDir;
    expect(rb).toBe(ra);
    expect(readdirSync(images.store.rootfsDir).filter((n) => !n.startsWith('.'))).toHaveLength(1);
    expect((await images.inspect(envRef)).unpacked).toBe(true);
    // A container of the second image keeps the tree after both names are gone.
    uses.push({ digest: b.digest, sandboxId: 's1', sandboxName: 'box', containerId: 'c1', containerName: 'web' });
    // A tree named by its manifest (a store from before trees were shared) is kept while that manifest lives.
    const legacy = path.join(images.store.rootfsDir, b.digest.slice('sha256:'.length), 'rootfs');
    mkdirSync(legacy, { recursive: true });
    expect((await images.remove(twoRef)).freed.unpackedRemoved).toBe(0);
    expect(existsSync(ra)).toBe(true);
    expect(existsSync(legacy)).toBe(true);
    uses.length = 0;
    const last = await images.remove(envRef);
    expect(last.freed.unpackedRemoved).toBe(2);
    expect(existsSync(ra)).toBe(false);
    expect(existsSync(legacy)).toBe(false);
    rmSync(root, { recursive: true, force: true });
  });

  it('exports to oci-archive and docker-archive and imports them back (podman/docker save formats)', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'vessel-i11-store-'));
    const images = service(root);
    await images.pull(twoRef, { insecure: true });
    const before = await images.inspect(twoRef);
    for (const format of ['oci-archive', 'docker-archive'] as const) {
      const file = path.join(root, `two.${format}.tar`);
      await images.export(twoRef, file, format);
      expect((await failure(images.export(twoRef, file, format))).code).toBe('E_ALREADY_EXISTS');
      const other = service(mkdtempSync(path.join(os.tmpdir(), 'vessel-i11-store-')));
      const img = await other.import(file);
      expect(img.name).toBe(twoRef);
      const after = await other.inspect(twoRef);
      expect(after.config).toEqual(before.config);
      expect(after.layers).toBe(2);
      const r = (await other.prepare(twoRef)).rootfsDir;
      expect(readFileSync(path.join(r, 'second', 'hello.txt'), 'utf8')).toBe('hello from layer two\n');
      expect(existsSync(path.join(r, 'data', 'gone.txt'))).toBe(false);
      const renamed = await other.import(file, { name: 'local/renamed:v2' });
      expect(renamed.name).toBe('docker.io/local/renamed:v2');
      rmSync(path.dirname(other.store.dir), { recursive: true, force: true });
    }
    const notTar = path.join(root, 'junk.tar');
    writeFileSync(notTar, 'not a tar');
    expect((await failure(images.import(notTar))).code).toBe('E_INVALID_ARGUMENT');
    rmSync(root, { recursive: true, force: true });
  });

  it('normalises references as docker does', () => {
    expect(parseReference('busybox')).toEqual({ registry: 'docker.io', repository: 'library/busybox', tag: 'latest', digest: null });
    expect(parseReference('user/app:1.2')).toMatchObject({ registry: 'docker.io', repository: 'user/app', tag: '1.2' });
    expect(parseReference('localhost:5000/a/b')).toMatchObject({ registry: 'localhost:5000', repository: 'a/b', tag: 'latest' });
    expect(parseReference(`quay.io/x/y@sha256:${'a'.repeat(64)}`)).toMatchObject({ registry: 'quay.io', tag: null, digest: `sha256:${'a'.repeat(64)}` });
    expect(sha256('')).toMatch(/^sha256:e3b0/);
  });
});

d('image pull with registry authentication', () => {
  for (const auth of ['basic', 'token'] as const) {
    it(`${auth}: credentials from auth.json work; a wrong password fails clearly and is never printed`, async () => {
      const reg = await startRegistry({ auth });
      const work = mkdtempSync(path.join(os.tmpdir(), 'vessel-i11-auth-'));
      try {
        const b = buildArchImage(work, 'one', 'amd64');
        const creds = { user: reg.user ?? '', password: reg.password ?? '' };
        await skopeoPush(b.layout, 'one', `${reg.host}/private/one:1`, creds);
        const ref = `${reg.host}/private/one:1`;
        const authFile = path.join(work, 'auth.json');
        const anon = await failure(service(work, [], { REGISTRY_AUTH_FILE: authFile }).pull(ref, { insecure: true }));
        expect(anon.code).toBe('E_AUTH');
        expect(anon.message).toMatch(/anonymously/);
        writeFileSync(authFile, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${creds.user}:wrong-${creds.password}`).toString('base64') } } }));
        const wrong = await failure(service(work, [], { REGISTRY_AUTH_FILE: authFile }).pull(ref, { insecure: true }));
        expect(wrong.code).toBe('E_AUTH');
        expect(wrong.message).toMatch(/as "tester": wrong username or password/);
        expect(wrong.message).not.toContain(creds.password);
        // docker's file works as well.
        mkdirSync(path.join(work, 'docker'), { recursive: true });
        writeFileSync(path.join(work, 'docker', 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${creds.user}:${creds.password}`).toString('base64') } } }));
        const ok = await service(work, [], { DOCKER_CONFIG: path.join(work, 'docker') }).pull(ref, { insecure: true });
        expect(ok.layers).toBe(1);
      } finally {
        await reg.stop();
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});

