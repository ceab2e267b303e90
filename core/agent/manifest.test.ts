import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { guestImageDir, readGuestManifest } from './manifest.js';

const valid = {
  schemaVersion: 1,
  kernelRelease: '6.1.0-56-amd64',
  kernel: 'vmlinuz',
  initrd: 'initrd.img',
  initrdCompression: 'none',
  kernelParams: ['console=ttyS0', 'panic=-1'],
  agentPortName: 'vessel.agent',
  agentVersion: '0.1.0+abc',
  inputsHash: 'a'.repeat(64),
  builtAt: '2026-01-01T00:00:00.000Z',
  sizeBytes: 10,
};

function imageDir(manifest: unknown): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-manifest-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'vmlinuz'), 'k');
  writeFileSync(path.join(dir, 'initrd.img'), 'i');
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

describe('guest image manifest', () => {
  it('resolves kernel and initrd to absolute paths', () => {
    const dir = imageDir(valid);
    const img = readGuestManifest(dir);
    expect(img.kernelPath).toBe(path.join(dir, 'vmlinuz'));
    expect(img.initrdPath).toBe(path.join(dir, 'initrd.img'));
    expect(img.kernelParams).toEqual(['console=ttyS0', 'panic=-1']);
  });

  it('tells the user to build the image when it is missing', () => {
    expect(() => readGuestManifest('/nonexistent/vessel')).toThrow(/npm run build:guest/);
  });

  it('rejects manifests that point outside their directory', () => {
    const dir = imageDir({ ...valid, kernel: '../../etc/passwd' });
    expect(() => readGuestManifest(dir)).toThrow(expect.objectContaining({ code: 'E_CORRUPT_STATE' }));
  });

  it('honours VESSEL_GUEST_DIR', () => {
    expect(guestImageDir({ VESSEL_GUEST_DIR: '/tmp/x' })).toBe('/tmp/x');
    expect(guestImageDir({})).toMatch(/build\/guest$/);
  });
});
