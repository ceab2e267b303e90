import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageSummary } from '../contract/index.js';
import { mountsUnder } from '../api/container-rootfs.js';
import { ensureBusyboxRootfs } from '../api/container-spec.js';
import { buildTwoLayerImage } from '../image/test-images.js';
import { registryToolsMissing, skopeoPush, startRegistry, type TestRegistry } from '../image/test-registry.js';
import { makeRoot, runCli, runCliInput, vmSkipReason } from './test-helpers.js';

/**
 * Images end to end through the CLI: a real registry on 127.0.0.1 (random
 * port), an image the test builds and pushes, `vessel image pull`, then
 * `vessel run IMAGE` on real QEMU (TCG) with the real guest agent and crun.
 * Also the read-only bundle whose root lacks mount points (issue 11, item 6).
 */

function skipReason(): string | null {
  return vmSkipReason() ?? registryToolsMissing() ?? (spawnSync('crun', ['--version']).status !== 0 ? 'crun is not installed (Debian package crun): needed for `crun spec`' : null);
}
const skip = skipReason();
if (skip) console.warn(`skipping image run tests: ${skip}`);

describe.skipIf(skip !== null)('vessel run IMAGE on real QEMU, from a loopback registry', () => {
  let reg: TestRegistry;
  let work: string;
  let ref: string;
  const root = makeRoot('vessel-i11-img-');

  beforeAll(async () => {
    reg = await startRegistry();
    work = mkdtempSync(path.join(os.tmpdir(), 'vessel-i11-run-'));
    const b = buildTwoLayerImage(work, ensureBusyboxRootfs());
    ref = `${reg.host}/test/two:latest`;
    await skopeoPush(b.layout, 'two', ref);
  }, 120_000);

  afterAll(async () => {
    await reg?.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  it('pulls with progress lines, lists the image, and runs its Cmd in its WorkingDir with its Env (a file of layer 2)', async () => {
    const pull = await runCli(root, ['image', 'pull', '--insecure', ref]);
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stderr).toMatch(/layer [0-9a-f]{12}: done/);
    expect(pull.stdout).toMatch(new RegExp(`^${ref.replace(/[.]/g, '\\.')} sha256:[0-9a-f]{64}`));
    const list = await runCli(root, ['image', 'list', '--json']);
    const images = ImageSummary.array().parse(JSON.parse(list.stdout));
    expect(images.map((i) => i.name)).toEqual([ref]);

    const r = await runCli(root, ['run', ref]);
    // The image's ExposedPorts (80/tcp) come back as the -p to use.
    expect(r.stderr).toBe(`hint: image ${ref} exposes 80/tcp; to reach it from the host: -p 8080:80/tcp\n`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello from layer two\nG=from-image\n/second\n');
    expect(readdirSync(path.join(root, 'sandboxes'))).toEqual([]);
    expect(mountsUnder(root)).toEqual([]);
  });

  it('command-line options override the image: command, -e, -w, --user; whiteouts hold in the guest', async () => {
    const script = 'echo "G=$GREETING"; pwd; id -u; cat /second/link.txt; ls -A /data/dir | wc -l; test -e /data/gone.txt && echo gone-is-back || echo gone-is-gone; cat /data/keep.txt';
    const r = await runCli(root, ['run', '-e', 'GREETING=from-cli', '-w', '/data', '--user', '1000:1000', ref, '--', 'sh', '-c', script]);
    expect(r.stderr).toMatch(/^hint: image .* exposes 80\/tcp; to reach it from the host: -p 8080:80\/tcp\n$/);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['G=from-cli', '/data', '1000', 'hello from layer two', '0', 'gone-is-gone', 'kept', '']);
    // rm is free once no container uses it; the store is empty afterwards.
    const rm = await runCli(root, ['image', 'rm', ref]);
    expect(rm.code, rm.stderr).toBe(0);
    expect(readdirSync(path.join(root, 'images', 'blobs', 'sha256'))).toEqual([]);
  });

  it('a read-only bundle whose rootfs holds only bin/busybox and its links runs (crun creates no mount points in a read-only root)', async () => {
    const bundle = path.join(work, 'ro-bundle');
    mkdirSync(path.join(bundle, 'rootfs', 'bin'), { recursive: true });
    expect(spawnSync('crun', ['spec'], { cwd: bundle }).status).toBe(0);
    const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { root: { readonly: boolean } };
    expect(spec.root.readonly).toBe(true);
    copyFileSync(path.join(ensureBusyboxRootfs(), 'bin', 'busybox'), path.join(bundle, 'rootfs', 'bin', 'busybox'));
    for (const applet of ['sh', 'echo', 'touch', 'ls']) symlinkSync('busybox', path.join(bundle, 'rootfs', 'bin', applet));
    expect(existsSync(path.join(bundle, 'rootfs', 'proc'))).toBe(false);
    const r = await runCliInput(root, ['run', '-i', '--bundle', bundle], 'echo ro-$((6*7)); ls /proc/self >/dev/null && echo proc-mounted; touch /x 2>/dev/null || echo read-only; exit 0\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ro-42');
    expect(r.stdout).toContain('proc-mounted');
    expect(r.stdout).toContain('read-only');
    expect(mountsUnder(root)).toEqual([]);
  });
});
