import { describe, expect, it } from 'vitest';
import { passtArgs, userBackend } from './passt.js';

describe('passt (user-mode networking helper)', () => {
  it('gives the guest slirp\'s addresses, maps the gateway to the host, forwards DNS sent to .3, and one -t/-u per forward', () => {
    const args = passtArgs('/run/s/passt.sock', [
      { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' },
    ], { root: false, logFile: '/run/s/passt.log' });
    expect(args).toEqual(expect.arrayContaining(['--one-off', '--foreground', '--socket', '/run/s/passt.sock', '--address', '10.0.2.15', '--gateway', '10.0.2.2', '--dns-forward', '10.0.2.3']));
    expect(args.slice(-4)).toEqual(['-t', '127.0.0.1/8080:80', '-u', '127.0.0.1/5353:53']);
    expect(args).not.toContain('--runas');
    // As root passt would drop to nobody, which cannot bind in Vessel's 0700 run dir.
    expect(passtArgs('/s', [], { root: true, logFile: '/l' })).toEqual(expect.arrayContaining(['--runas', '0:0']));
    expect(() => passtArgs('/s', [{ hostIp: '127.0.0.1 -x', hostPort: 1, containerPort: 1, protocol: 'tcp' }], { root: false, logFile: '/l' })).toThrow(/invalid host IP/);
  });

  it('without a passt binary user mode falls back to QEMU slirp and says why', async () => {
    const r = await userBackend({ VESSEL_PASST: '/nonexistent/passt' });
    expect(r.backend).toBe('slirp');
    expect(r.reason).toMatch(/passt is not installed \(\/nonexistent\/passt; apt-get install passt\)/);
  });
});
