import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readCpio, writeCpio, type CpioEntry } from './cpio.js';
import { renderDescriptorModule } from './gen-proto.js';
import { hashInputs } from './hash.js';
import { compareVersions, parseLdd } from './image.js';
import { renderInit } from './init.js';
import { moduleName, parseModulesBuiltin, parseModulesDep, resolveModules } from './modules.js';

function archive(entries: CpioEntry[]): Buffer {
  const chunks: Buffer[] = [];
  const total = writeCpio(entries, (c) => chunks.push(c));
  const buf = Buffer.concat(chunks);
  expect(buf.length).toBe(total);
  return buf;
}

describe('cpio newc writer', () => {
  it('round-trips files, directories, symlinks and device nodes with 4-byte alignment', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cpio-test-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const src = path.join(dir, 'f');
    writeFileSync(src, 'abcde'); // odd length exercises padding
    const buf = archive([
      { type: 'dir', path: 'bin' },
      { type: 'file', path: '/bin/tool', mode: 0o755, source: src },
      { type: 'symlink', path: 'bin/sh', target: '/bin/busybox' },
      { type: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 },
      { type: 'data', path: 'init', mode: 0o755, data: Buffer.from('#!/bin/sh\n') },
    ]);
    expect(buf.length % 512).toBe(0);
    const entries = readCpio(buf);
    expect(entries.map((e) => e.name)).toEqual(['bin', 'bin/tool', 'bin/sh', 'dev/console', 'init']);
    expect(entries[0]?.mode).toBe(0o040755);
    expect(entries[1]?.data.toString()).toBe('abcde');
    expect(entries[1]?.mode).toBe(0o100755);
    expect(entries[2]?.data.toString()).toBe('/bin/busybox');
    expect(entries[2]?.mode).toBe(0o120777);
    expect(entries[3]).toMatchObject({ mode: 0o020600, rdevMajor: 5, rdevMinor: 1 });
    expect(entries[4]?.data.toString()).toBe('#!/bin/sh\n');
  });

  it('is reproducible: same entries, same bytes', () => {
    const e: CpioEntry[] = [{ type: 'data', path: 'a', mode: 0o644, data: Buffer.from('x') }];
    expect(archive(e).equals(archive(e))).toBe(true);
  });

  it('refuses paths that climb out of the archive root', () => {
    expect(() => archive([{ type: 'dir', path: '../etc' }])).toThrow(/bad cpio path/);
  });
});

const MODULES_DEP = `kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/char/virtio_console.ko.xz: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/char/hw_random/virtio-rng.ko.zst: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko
kernel/net/9p/9pnet.ko:
`;

describe('module resolution', () => {
  const index = parseModulesDep(MODULES_DEP);

  it('normalises names across dashes and compression suffixes', () => {
    expect(moduleName('kernel/drivers/char/hw_random/virtio-rng.ko.zst')).toBe('virtio_rng');
    expect(moduleName('virtio-rng')).toBe('virtio_rng');
  });

  it('orders dependencies before the modules that need them, each once', () => {
    const r = resolveModules(index, new Set(), ['virtio_pci', 'virtio_console', 'virtio-rng', '9p']);
    expect(r.missing).toEqual([]);
    expect(new Set(r.order).size).toBe(r.order.length);
    for (const [mod, deps] of index.deps) {
      if (!r.order.includes(mod)) continue;
      for (const d of deps) expect(r.order.indexOf(d)).toBeLessThan(r.order.indexOf(mod));
    }
    expect(r.order).toContain('virtio_rng');
    expect(index.paths.get('virtio_console')).toBe('kernel/drivers/char/virtio_console.ko.xz');
  });

  it('reports built-in and missing modules instead of failing', () => {
    const r = resolveModules(index, parseModulesBuiltin('kernel/drivers/block/virtio_blk.ko\n'), ['virtio_blk', 'vsock']);
    expect(r.builtin).toEqual(['virtio_blk']);
    expect(r.missing).toEqual(['vsock']);
    expect(r.order).toEqual([]);
  });

  it('detects dependency cycles', () => {
    const cyclic = parseModulesDep('a.ko: b.ko\nb.ko: a.ko\n');
    expect(() => resolveModules(cyclic, new Set(), ['a'])).toThrow(/cycle/);
  });
});

describe('input hashing', () => {
  const fakeHash = (p: string): string => createHash('sha256').update(`content of ${p}`).digest('hex');

  it('is independent of input order but sensitive to content and labels', () => {
    const a = hashInputs([{ kind: 'text', label: 'x', text: '1' }, { kind: 'file', label: 'k', path: '/boot/k' }], fakeHash);
    const b = hashInputs([{ kind: 'file', label: 'k', path: '/boot/k' }, { kind: 'text', label: 'x', text: '1' }], fakeHash);
    expect(a).toBe(b);
    expect(hashInputs([{ kind: 'text', label: 'x', text: '2' }, { kind: 'file', label: 'k', path: '/boot/k' }], fakeHash)).not.toBe(a);
    expect(hashInputs([{ kind: 'text', label: 'y', text: '1' }, { kind: 'file', label: 'k', path: '/boot/k' }], fakeHash)).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes real file contents', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hash-test-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const f = path.join(dir, 'f');
    writeFileSync(f, 'one');
    const h1 = hashInputs([{ kind: 'file', label: 'f', path: f }]);
    writeFileSync(f, 'two');
    expect(hashInputs([{ kind: 'file', label: 'f', path: f }])).not.toBe(h1);
  });

  it('rejects duplicate labels', () => {
    expect(() => hashInputs([{ kind: 'text', label: 'x', text: '1' }, { kind: 'text', label: 'x', text: '2' }])).toThrow(/duplicate/);
  });
});

describe('image recipe helpers', () => {
  it('picks the newest kernel release numerically', () => {
    const names = ['6.1.0-9-amd64', '6.1.0-56-amd64', '5.10.0-30-amd64'].sort(compareVersions);
    expect(names).toEqual(['5.10.0-30-amd64', '6.1.0-9-amd64', '6.1.0-56-amd64']);
  });

  it('parses ldd output including the ELF interpreter', () => {
    const out = '\tlinux-vdso.so.1 (0x00007ffd)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n';
    expect(parseLdd(out)).toEqual(['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
  });

  it('renders an init that loads boot modules before starting the agent and never exits', () => {
    const init = renderInit({ bootModules: ['/lib/modules/vessel/virtio.ko'], laterModules: ['/lib/modules/vessel/9p.ko'], nodeFlags: [] });
    expect(init.startsWith('#!/bin/busybox sh\n')).toBe(true);
    expect(init.indexOf('virtio.ko')).toBeLessThan(init.indexOf('/opt/vessel/start.js'));
    expect(init).toMatch(/while :; do[\s\S]*done\s*$/);
    expect(() => renderInit({ bootModules: ['/x; rm -rf /'], laterModules: [], nodeFlags: [] })).toThrow(/unsafe/);
  });

  describe('starting the agent (the loop of the rendered init, run by a shell with a stand-in node)', () => {
    /** Runs init's agent loop with VESSEL_CPU=cpu; the stand-in node exits with the given statuses in turn, then ends the loop. */
    function agentStarts(cpu: string | undefined, statuses: number[], snapshots: string[] = ['tcg', 'host']): string[] {
      const init = renderInit({ bootModules: [], laterModules: [], nodeFlags: ['--no-opt'] });
      const loop = init.slice(init.indexOf('case "$VESSEL_CPU"'));
      const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-init-'));
      try {
        const bin = path.join(dir, 'bin');
        mkdirSync(bin);
        // The stand-in node records its arguments and exits with the next status; past the list it stops the loop.
        writeFileSync(path.join(bin, 'node'), `#!/bin/sh\necho "$*" >> ${dir}/starts\nn=$(wc -l < ${dir}/starts)\nset -- ${statuses.join(' ')}\nif [ "$n" -gt $# ]; then kill $PPID; exit 0; fi\nshift $((n - 1)); exit $1\n`, { mode: 0o755 });
        writeFileSync(path.join(bin, 'sleep'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
        const agentDir = path.join(dir, 'opt');
        mkdirSync(agentDir);
        for (const c of snapshots) writeFileSync(path.join(agentDir, `agent-${c}.blob`), '');
        const script = loop.replaceAll('/opt/vessel/', `${agentDir}/`);
        spawnSync('/bin/sh', ['-c', script], { env: { PATH: `${bin}:/usr/bin:/bin`, ...(cpu ? { VESSEL_CPU: cpu } : {}) }, timeout: 10_000 });
        return readFileSync(path.join(dir, 'starts'), 'utf8').trim().split('\n').map((l) => l.replaceAll(`${agentDir}/`, '/opt/vessel/'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    it('starts the agent from the snapshot made for the guest\'s CPU, and again from it after a clean exit', () => {
      expect(agentStarts('tcg', [0, 70])).toEqual(['--no-opt --snapshot-blob /opt/vessel/agent-tcg.blob', '--no-opt --snapshot-blob /opt/vessel/agent-tcg.blob', '--no-opt --snapshot-blob /opt/vessel/agent-tcg.blob']);
      expect(agentStarts('host', [0])[0]).toBe('--no-opt --snapshot-blob /opt/vessel/agent-host.blob');
    });

    it('falls back to the bundle at once when node rejects the snapshot (status 14), and after the agent it started failed twice', () => {
      expect(agentStarts('tcg', [14, 0])).toEqual(['--no-opt --snapshot-blob /opt/vessel/agent-tcg.blob', '--no-opt /opt/vessel/start.js', '--no-opt /opt/vessel/start.js']);
      expect(agentStarts('tcg', [70, 70, 0])).toEqual([...Array(2).fill('--no-opt --snapshot-blob /opt/vessel/agent-tcg.blob'), '--no-opt /opt/vessel/start.js', '--no-opt /opt/vessel/start.js']);
    });

    it('starts from the bundle without a CPU kind, with an unknown one, or without a snapshot for it', () => {
      expect(agentStarts(undefined, [0])[0]).toBe('--no-opt /opt/vessel/start.js');
      expect(agentStarts('../../etc', [0])[0]).toBe('--no-opt /opt/vessel/start.js');
      expect(agentStarts('tcg', [0], ['host'])[0]).toBe('--no-opt /opt/vessel/start.js');
    });
  });
});

describe('agent proto descriptor', () => {
  it('is in sync with agent.proto (run node dist/guest/build/gen-proto.js after editing the proto)', () => {
    const root = path.resolve(import.meta.dirname, '..', '..');
    const proto = readFileSync(path.join(root, 'core', 'agent', 'proto', 'agent.proto'), 'utf8');
    const committed = readFileSync(path.join(root, 'core', 'agent', 'proto', 'generated', 'descriptor.ts'), 'utf8');
    expect(committed).toBe(renderDescriptorModule(proto));
  });
});
