import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VesselError } from '../contract/index.js';
import { imageProcess, resolveUser } from './image-spec.js';
import { formatReference, parseReference, shortName } from './reference.js';
import { findCredentials } from './auth.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'vessel-i11-spec-'));
mkdirSync(path.join(root, 'etc'));
writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/var/www:/bin/sh\n');
writeFileSync(path.join(root, 'etc', 'group'), 'root:x:0:\nwww:x:33:\nlog:x:4:www\n');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof VesselError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return 'no error';
}

describe('image config applied as docker applies it', () => {
  const config = { config: { Entrypoint: ['/entry'], Cmd: ['--serve'], Env: ['A=1', 'PATH=/opt/bin'], WorkingDir: '/srv', User: 'www', StopSignal: 'SIGQUIT', ExposedPorts: { '80/tcp': {} } } };

  it('Entrypoint + Cmd, Env, WorkingDir, User and StopSignal from the image', () => {
    const p = imageProcess(config, root, {}, 'img');
    expect(p.args).toEqual(['/entry', '--serve']);
    expect(p.env).toEqual(['A=1', 'PATH=/opt/bin']);
    expect(p.cwd).toBe('/srv');
    expect(p.user).toEqual({ uid: 33, gid: 33, additionalGids: [4] });
    expect(p.stopSignal).toBe('SIGQUIT');
    expect(p.exposedPorts).toEqual(['80/tcp']);
  });

  it('a command replaces Cmd; --entrypoint replaces Entrypoint and drops Cmd; -e, -w, -u override', () => {
    expect(imageProcess(config, root, { args: ['--debug'] }, 'img').args).toEqual(['/entry', '--debug']);
    expect(imageProcess(config, root, { entrypoint: ['/bin/sh'] }, 'img').args).toEqual(['/bin/sh']);
    expect(imageProcess(config, root, { entrypoint: [], args: ['ls'] }, 'img').args).toEqual(['ls']);
    const p = imageProcess(config, root, { env: ['A=2', 'B=3'], cwd: '/tmp', user: '1000:33' }, 'img');
    expect(p.env).toEqual(['A=2', 'PATH=/opt/bin', 'B=3']);
    expect(p.cwd).toBe('/tmp');
    expect(p.user).toEqual({ uid: 1000, gid: 33 });
  });

  it('gives a default PATH, and clear errors for no command and unknown users', () => {
    expect(imageProcess({ config: { Cmd: ['sh'] } }, root, {}, 'img').env[0]).toMatch(/^PATH=\/usr\/local\/sbin/);
    expect(code(() => imageProcess({}, root, {}, 'img'))).toMatch(/^E_INVALID_ARGUMENT: image img has no Entrypoint or Cmd/);
    expect(code(() => resolveUser('nobody', root))).toMatch(/user "nobody" is not in the image's \/etc\/passwd/);
    expect(code(() => resolveUser('www:nogroup', root))).toMatch(/group "nogroup" is not in the image's \/etc\/group/);
  });
});

describe('references and credentials', () => {
  it('round-trips and shortens names as docker shows them', () => {
    expect(formatReference(parseReference('debian:12'))).toBe('docker.io/library/debian:12');
    expect(shortName(parseReference('docker.io/library/debian:12'))).toBe('debian:12');
    expect(shortName(parseReference('127.0.0.1:5000/a/b:1'))).toBe('127.0.0.1:5000/a/b:1');
    expect(code(() => parseReference('Debian'))).toMatch(/^E_INVALID_ARGUMENT: invalid image reference "Debian"/);
  });

  it('reads auth.json / config.json entries (auth or username+password), Docker Hub under its legacy key', () => {
    const f = path.join(root, 'auth.json');
    writeFileSync(f, JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('me:pw').toString('base64') }, 'r.example:5000': { username: 'u', password: 'p:q' } } }));
    expect(findCredentials('docker.io', [f])).toEqual({ username: 'me', password: 'pw' });
    expect(findCredentials('r.example:5000', [f])).toEqual({ username: 'u', password: 'p:q' });
    expect(findCredentials('other.example', [f])).toBeNull();
    writeFileSync(f, 'not json');
    expect(code(() => findCredentials('docker.io', [f]))).toMatch(/is not valid JSON/);
  });
});
