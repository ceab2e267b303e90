import { describe, expect, it } from 'vitest';
import { MAX_MEMORY_MIB, MAX_VCPUS, MIN_MEMORY_MIB, VesselError } from '../contract/index.js';
import type { ErrorCode } from '../contract/index.js';
import {
  Cmd,
  assertGuestCid,
  formatAgentVsockAddress,
  formatEnvList,
  formatMemorySize,
  formatSocket,
  formatSocketList,
  formatVolume,
  formatVolumeList,
  isGuestCid,
  parseAgentVsockAddress,
  parseCmd,
  parseEnvList,
  parseEnvVar,
  parseHybridVsockAddress,
  parseMemoryMiB,
  parseMemorySize,
  parseResources,
  parseSocket,
  parseSocketList,
  parseVcpus,
  parseVolume,
  parseVolumeList,
  parseVsockAddress,
} from './index.js';

function expectVesselError(fn: () => unknown, code: ErrorCode = 'E_INVALID_ARGUMENT'): VesselError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a VesselError to be thrown').toBeInstanceOf(VesselError);
  const err = caught as VesselError;
  expect(err.code).toBe(code);
  return err;
}

describe('volumes (tag:hostpath)', () => {
  it.each([
    ['shared:/home/me/project', { mountTag: 'shared', hostPath: '/home/me/project' }],
    ['a.b_c-1:/', { mountTag: 'a.b_c-1', hostPath: '/' }],
    ['t:/path/with:colon', { mountTag: 't', hostPath: '/path/with:colon' }],
  ])('parses %j', (input, expected) => {
    expect(parseVolume(input)).toEqual(expected);
    expect(formatVolume(parseVolume(input))).toBe(input);
  });

  it.each([
    ['no-colon', 'expected "tag:hostpath"'],
    [':/abs', 'mount tag ""'],
    ['bad tag:/abs', 'mount tag "bad tag"'],
    ['tag/x:/abs', 'mount tag "tag/x"'],
    ['tag:relative/path', 'host path "relative/path" must be absolute'],
    ['tag:', 'host path "" must be absolute'],
    ['tag:/a\0b', 'must be absolute'],
  ])('rejects %j', (input, fragment) => {
    const err = expectVesselError(() => parseVolume(input));
    expect(err.message).toContain(JSON.stringify(input));
    expect(err.message).toContain(fragment);
  });

  it('parses and formats a space-separated list', () => {
    const list = parseVolumeList('a:/x  b:/y\tc:/z ');
    expect(list.map((v) => v.mountTag)).toEqual(['a', 'b', 'c']);
    expect(formatVolumeList(list)).toBe('a:/x b:/y c:/z');
    expect(parseVolumeList('')).toEqual([]);
    expect(parseVolumeList('   ')).toEqual([]);
  });

  it('rejects a list with a bad entry or a duplicate tag', () => {
    expect(expectVesselError(() => parseVolumeList('a:/x b:rel')).message).toContain('"b:rel"');
    expect(expectVesselError(() => parseVolumeList('a:/x a:/y')).message).toContain('mount tag "a" is used twice');
  });
});

describe('sockets (deviceId:id:hostPath:name)', () => {
  it('parses and formats', () => {
    const s = parseSocket('channel0:agent:/run/vessel/agent.sock:agent.0');
    expect(s).toEqual({ deviceId: 'channel0', id: 'agent', hostPath: '/run/vessel/agent.sock', name: 'agent.0' });
    expect(formatSocket(s)).toBe('channel0:agent:/run/vessel/agent.sock:agent.0');
  });

  it.each([
    ['a:b:/c', 'found 3 field(s)'],
    ['a:b:/c:d:e', 'found 5 field(s)'],
    [':b:/c:d', 'the device ID ""'],
    ['a::/c:d', 'the ID ""'],
    ['a:b:/c:', 'the name ""'],
    ['a:b:rel:d', 'the host path "rel" must be absolute'],
    ['a b:b:/c:d', 'the device ID "a b"'],
    ['', 'found 1 field(s)'],
  ])('rejects %j', (input, fragment) => {
    const err = expectVesselError(() => parseSocket(input));
    expect(err.message).toContain(JSON.stringify(input));
    expect(err.message).toContain(fragment);
  });

  it('parses a list', () => {
    const list = parseSocketList('d1:i1:/p1:n1 d2:i2:/p2:n2');
    expect(list).toHaveLength(2);
    expect(formatSocketList(list)).toBe('d1:i1:/p1:n1 d2:i2:/p2:n2');
    expect(parseSocketList(' ')).toEqual([]);
    expectVesselError(() => parseSocketList('d1:i1:/p1:n1 broken'));
  });
});

describe('vsock addresses', () => {
  it.each([
    ['vsock://3:1024', { scheme: 'vsock', cid: 3, port: 1024 }],
    ['vsock://2:0', { scheme: 'vsock', cid: 2, port: 0 }],
    ['vsock://4294967295:4294967295', { scheme: 'vsock', cid: 4294967295, port: 4294967295 }],
  ])('parses %j', (input, expected) => {
    expect(parseVsockAddress(input)).toEqual(expected);
    expect(parseAgentVsockAddress(input)).toEqual(expected);
    expect(formatAgentVsockAddress(parseVsockAddress(input))).toBe(input);
  });

  it.each([
    ['vsock://0:1024', 'CID 0 is reserved'],
    ['vsock://1:1024', 'CID 1 is reserved'],
    ['vsock://4294967296:1', 'CID "4294967296"'],
    ['vsock://3:4294967296', 'port "4294967296"'],
    ['vsock://-1:1024', 'CID "-1"'],
    ['vsock://03:1024', 'CID "03"'],
    ['vsock://0x3:1024', 'CID "0x3"'],
    ['vsock://3', 'expected "vsock://CID:PORT"'],
    ['vsock://3:1:2', 'expected "vsock://CID:PORT"'],
    ['vsock://:1024', 'CID ""'],
    ['vsock://3:', 'port ""'],
    ['unix:///x:3', 'expected "vsock://CID:PORT"'],
  ])('rejects %j', (input, fragment) => {
    const err = expectVesselError(() => parseVsockAddress(input));
    expect(err.message).toContain(JSON.stringify(input));
    expect(err.message).toContain(fragment);
  });

  it('parses hybrid vsock, the port after the last ":"', () => {
    expect(parseHybridVsockAddress('hvsock:///run/vessel/sbx/vsock.sock:1024')).toEqual({
      scheme: 'hvsock',
      path: '/run/vessel/sbx/vsock.sock',
      port: 1024,
    });
    const withColon = parseAgentVsockAddress('hvsock:///run/a:b.sock:5');
    expect(withColon).toEqual({ scheme: 'hvsock', path: '/run/a:b.sock', port: 5 });
    expect(formatAgentVsockAddress(withColon)).toBe('hvsock:///run/a:b.sock:5');
  });

  it.each([
    ['hvsock://relative.sock:1024', 'must be absolute'],
    ['hvsock:///run/x.sock', 'missing ":PORT"'],
    ['hvsock://x.sock:12', 'socket path "x.sock" must be absolute'],
    ['hvsock:///run/x.sock:', 'port ""'],
    ['hvsock:///run/x.sock:99999999999', 'port "99999999999"'],
    [`hvsock:///${'a'.repeat(107)}:1`, 'at most 107'],
    ['vsock:///run/x.sock:1', 'CID'],
  ])('rejects hybrid %j', (input, fragment) => {
    const err = expectVesselError(() => parseAgentVsockAddress(input));
    expect(err.message).toContain(fragment);
  });

  it('rejects an unknown scheme', () => {
    expect(expectVesselError(() => parseAgentVsockAddress('tcp://1.2.3.4:5')).message).toContain('"tcp://1.2.3.4:5"');
  });

  it('knows which CIDs name a guest', () => {
    expect([0, 1, 2, 3, 4294967294, 4294967295, 3.5].map(isGuestCid)).toEqual([false, false, false, true, true, false, false]);
    expect(() => assertGuestCid(3)).not.toThrow();
    expect(expectVesselError(() => assertGuestCid(2)).message).toContain('from 3 to 4294967294');
  });
});

describe('environment variables', () => {
  it.each([
    ['K=V', { key: 'K', value: 'V' }],
    ['K=', { key: 'K', value: '' }],
    ['K=a=b=c', { key: 'K', value: 'a=b=c' }],
    ['lower.case-key=x y', { key: 'lower.case-key', value: 'x y' }],
  ])('parses %j', (input, expected) => {
    expect(parseEnvVar(input)).toEqual(expected);
  });

  it.each([
    ['NOEQUALS', 'no "=" found'],
    ['=value', 'the key is empty'],
    ['', 'no "=" found'],
    ['K\0=V', 'NUL'],
    ['K=V\0', 'NUL'],
  ])('rejects %j', (input, fragment) => {
    const err = expectVesselError(() => parseEnvVar(input));
    expect(err.message).toContain(JSON.stringify(input));
    expect(err.message).toContain(fragment);
  });

  it('parses a list, keeping order and naming the bad index', () => {
    expect(formatEnvList(parseEnvList(['A=1', 'B=2=3', 'A=4']))).toEqual(['A=1', 'B=2=3', 'A=4']);
    const err = expectVesselError(() => parseEnvList(['A=1', 'oops']));
    expect(err.message).toContain('environment entry 1');
    expect(err.message).toContain('"oops"');
  });
});

describe('commands', () => {
  it('applies defaults and normalises env', () => {
    const cmd = parseCmd({ args: ['/bin/sh', '-c', 'echo hi'], env: ['PATH=/usr/bin', { key: 'A', value: 'b=c' }] });
    expect(cmd).toEqual({
      args: ['/bin/sh', '-c', 'echo hi'],
      env: [
        { key: 'PATH', value: '/usr/bin' },
        { key: 'A', value: 'b=c' },
      ],
      workdir: '/',
      supplementaryGroups: [],
      interactive: false,
      detach: false,
      noNewPrivileges: false,
    });
  });

  it('accepts every field', () => {
    const cmd = parseCmd({
      args: ['top'],
      workdir: '/srv',
      user: '1000',
      primaryGroup: 'users',
      supplementaryGroups: ['wheel', '27'],
      interactive: true,
      console: '/dev/pts/3',
      detach: true,
      noNewPrivileges: true,
      capabilities: { bounding: ['CAP_NET_ADMIN'], effective: ['CAP_NET_ADMIN'] },
    });
    expect(cmd.capabilities).toEqual({ bounding: ['CAP_NET_ADMIN'], effective: ['CAP_NET_ADMIN'], inheritable: [], permitted: [], ambient: [] });
    expect(Cmd.parse(cmd)).toEqual(cmd);
  });

  it.each([
    [{ args: [] }, 'at least the program'],
    [{ args: [''] }, 'args[0]'],
    [{}, 'args'],
    [{ args: ['x'], workdir: 'relative' }, 'workdir must be an absolute path'],
    [{ args: ['x'], env: ['NOEQ'] }, 'no "=" found'],
    [{ args: ['x'], env: [{ key: 'A=B', value: '' }] }, 'must not contain "="'],
    [{ args: ['x'], user: '' }, 'user'],
    [{ args: ['x'], user: 'a:b' }, 'user'],
    [{ args: ['x'], capabilities: { bounding: ['NET_ADMIN'] } }, 'CAP_NET_ADMIN'],
    [{ args: ['x'], interactive: 'yes' }, 'interactive'],
    [{ args: ['x'], unknownField: 1 }, 'unknownField'],
    ['not an object', 'command'],
  ])('rejects %j', (input, fragment) => {
    const err = expectVesselError(() => parseCmd(input));
    expect(err.message).toMatch(/^invalid command: /);
    expect(err.message).toContain(fragment);
  });
});

describe('resources', () => {
  it.each([
    ['512M', 512],
    ['512Mi', 512],
    ['512MiB', 512],
    ['512MB', 512],
    ['512m', 512],
    ['512', 512],
    ['2G', 2048],
    ['2Gi', 2048],
    ['1.5G', 1536],
    ['1T', 1048576],
    ['1048576K', 1024],
    [' 64 M ', 64],
    [256, 256],
  ])('parses memory %j as %d MiB', (input, mib) => {
    expect(parseMemorySize(input)).toBe(mib);
  });

  it.each([
    ['-512M', 'expected a positive size'],
    ['0', 'greater than zero'],
    ['0G', 'greater than zero'],
    ['', 'expected a positive size'],
    ['lots', 'expected a positive size'],
    ['512B', 'expected a positive size'],
    ['512X', 'expected a positive size'],
    ['100K', 'not a whole number of MiB'],
    ['0.5M', 'not a whole number of MiB'],
    [0, 'greater than zero'],
    [-1, 'greater than zero'],
    [1.5, 'whole number'],
  ])('rejects memory %j', (input, fragment) => {
    const err = expectVesselError(() => parseMemorySize(input));
    expect(err.message).toContain(fragment);
    if (typeof input === 'string') expect(err.message).toContain(JSON.stringify(input));
  });

  it('parses vCPUs', () => {
    expect(parseVcpus('2')).toBe(2);
    expect(parseVcpus(4)).toBe(4);
    for (const bad of ['0', '-1', '1.5', 'two', '', 0, -2, 1.5]) {
      expect(expectVesselError(() => parseVcpus(bad)).message).toContain('invalid vCPU count');
    }
  });

  it('checks bounds from the contract', () => {
    expect(parseResources({ vcpus: '2', memory: '2G' })).toEqual({ vcpus: 2, memoryMiB: 2048 });
    expect(parseResources({ vcpus: MAX_VCPUS, memory: MIN_MEMORY_MIB })).toEqual({ vcpus: MAX_VCPUS, memoryMiB: MIN_MEMORY_MIB });
    expect(parseResources({ vcpus: 1, memory: MAX_MEMORY_MIB })).toEqual({ vcpus: 1, memoryMiB: MAX_MEMORY_MIB });
    expect(expectVesselError(() => parseResources({ vcpus: MAX_VCPUS + 1, memory: '1G' })).message).toContain(`at most ${MAX_VCPUS}`);
    expect(expectVesselError(() => parseResources({ vcpus: 1, memory: '32M' })).message).toContain(`at least ${MIN_MEMORY_MIB} MiB`);
    expect(expectVesselError(() => parseResources({ vcpus: 1, memory: '512G' })).message).toContain(`at most ${MAX_MEMORY_MIB} MiB`);
  });

  it('exports parseMemoryMiB as an alias', () => {
    expect(parseMemoryMiB('1Gi')).toBe(1024);
  });

  it('formats memory', () => {
    expect(formatMemorySize(512)).toBe('512M');
    expect(formatMemorySize(2048)).toBe('2G');
  });
});
