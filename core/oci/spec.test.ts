import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { VesselError } from '../contract/index.js';
import type { ErrorCode } from '../contract/index.js';
import { loadBundle, parseOciConfig } from './index.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');

function caught(fn: () => unknown, code: ErrorCode = 'E_INVALID_ARGUMENT'): VesselError {
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  expect(error, 'expected a VesselError').toBeInstanceOf(VesselError);
  const e = error as VesselError;
  expect(e.code).toBe(code);
  return e;
}

describe('parseOciConfig', () => {
  it('accepts the config.json that `crun spec` generates, capabilities in object form', () => {
    const spec = parseOciConfig(fixture('crun-spec.json'), 'crun-spec.json');
    expect(spec.ociVersion).toBe('1.0.0');
    expect(spec.process?.args).toEqual(['sh']);
    expect(spec.process?.capabilities?.bounding).toEqual(['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
    expect(spec.process?.capabilities?.inheritable).toEqual([]);
    expect(spec.root).toEqual({ path: 'rootfs', readonly: true });
    expect(spec.linux?.namespaces?.map((n) => n.type)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount']);
  });

  it('normalises the rc4 list of capabilities to every set of the object form', () => {
    const spec = parseOciConfig(fixture('rc4-capabilities.json'));
    const list = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
    expect(spec.process?.capabilities).toEqual({ bounding: list, effective: list, inheritable: list, permitted: list, ambient: list });
  });

  it('keeps fields it does not model, for crun in the guest', () => {
    const spec = parseOciConfig(fixture('shm-netns.json'));
    const linux = spec.linux as Record<string, unknown>;
    expect(linux.seccomp).toEqual({ defaultAction: 'SCMP_ACT_ALLOW' });
    expect((spec.process as Record<string, unknown>).selinuxLabel).toBe('system_u:system_r:container_t:s0');
    const rc4 = parseOciConfig(fixture('rc4-capabilities.json')) as Record<string, unknown>;
    expect(rc4.platform).toEqual({ os: 'linux', arch: 'amd64' });
    // A round trip through JSON keeps them too.
    expect(JSON.parse(JSON.stringify(spec)).linux.sysctl).toEqual({ 'net.ipv4.ip_forward': '1' });
  });

  it('rejects malformed JSON, naming the file and the line', () => {
    const e = caught(() => parseOciConfig(fixture('malformed.json'), '/bundles/b1/config.json'));
    expect(e.message).toContain('/bundles/b1/config.json');
    expect(e.message).toContain('not valid JSON');
    expect(e.message).toMatch(/line 5/);
  });

  it('rejects a malformed env entry, naming the file, the JSON path and the entry', () => {
    const e = caught(() => parseOciConfig(fixture('bad-env.json'), 'bad-env.json'));
    expect(e.message).toContain('bad-env.json');
    expect(e.message).toContain('process.env[1]');
    expect(e.message).toContain('"JUST_A_NAME"');
    expect(e.details?.path).toBe('process.env[1]');
  });

  it('rejects a device of type x, naming the device path and its type', () => {
    const e = caught(() => parseOciConfig(fixture('bad-device.json'), 'bad-device.json'));
    expect(e.message).toContain('linux.devices[1].type');
    expect(e.message).toContain('"/dev/weird0"');
    expect(e.message).toContain('type "x"');
  });

  it('names the JSON path of the first schema problem', () => {
    const text = JSON.stringify({ ociVersion: '1.0.2', process: { user: { uid: -1, gid: 0 }, cwd: '/', args: ['sh'] } });
    const e = caught(() => parseOciConfig(text, 'c.json'));
    expect(e.message).toMatch(/^invalid OCI config c\.json: at process\.user\.uid: /);
    expect(caught(() => parseOciConfig('[]', 'c.json')).message).toContain('JSON object');
    expect(caught(() => parseOciConfig('{}', 'c.json')).message).toContain('at ociVersion');
    const caps = JSON.stringify({ ociVersion: '1', process: { user: { uid: 0, gid: 0 }, cwd: '/', capabilities: ['CAP_CHOWN', 'chown'] } });
    expect(caught(() => parseOciConfig(caps)).message).toContain('process.capabilities[1]');
    const ns = JSON.stringify({ ociVersion: '1', linux: { namespaces: [{ type: 'net' }] } });
    expect(caught(() => parseOciConfig(ns)).message).toContain('linux.namespaces[0].type');
  });

  it('accepts unlimited rlimits beyond 2^53', () => {
    const text = '{"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"cwd":"/","rlimits":[{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":18446744073709551615}]}}';
    expect(parseOciConfig(text).process?.rlimits?.[0]?.type).toBe('RLIMIT_CORE');
  });
});

describe('loadBundle', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function bundle(config: string, withRootfs = true): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-oci-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'config.json'), config);
    if (withRootfs) mkdirSync(path.join(dir, 'rootfs'));
    return dir;
  }

  it('reads config.json and resolves root.path against the bundle', () => {
    const dir = bundle(fixture('crun-spec.json'));
    const b = loadBundle(dir);
    expect(b.bundlePath).toBe(dir);
    expect(b.configPath).toBe(path.join(dir, 'config.json'));
    expect(b.rootfsPath).toBe(path.join(dir, 'rootfs'));
    expect(b.spec.hostname).toBe('crun');
  });

  it('says when the root filesystem is missing', () => {
    const dir = bundle(fixture('crun-spec.json'), false);
    const e = caught(() => loadBundle(dir), 'E_NOT_FOUND');
    expect(e.message).toContain(path.join(dir, 'rootfs'));
  });

  it('says when there is no config.json, or no bundle', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-oci-'));
    dirs.push(dir);
    expect(caught(() => loadBundle(dir), 'E_NOT_FOUND').message).toContain('no config.json');
    caught(() => loadBundle(path.join(dir, 'nope')), 'E_NOT_FOUND');
  });

  it('names the config file when it is malformed', () => {
    const dir = bundle(fixture('malformed.json'));
    expect(caught(() => loadBundle(dir)).message).toContain(path.join(dir, 'config.json'));
  });
});
