import { describe, expect, it } from 'vitest';
import { parseExposedPort, parsePortFlag, suggestPortForwards } from '../contract/exposed-ports.js';

describe('ExposedPorts as port-forward suggestions', () => {
  it('suggests the same host port, or +8000 for a privileged one, on 127.0.0.1', () => {
    const s = suggestPortForwards(['80/tcp', '5432/tcp', '53/udp']);
    expect(s.map((x) => x.flag)).toEqual(['8080:80/tcp', '5432:5432/tcp', '8053:53/udp']);
    expect(s[0]?.mapping).toEqual({ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' });
  });

  it('leaves out ports already forwarded (same container port and protocol) and duplicates', () => {
    const s = suggestPortForwards(['80/tcp', '80', '80/udp'], [{ containerPort: 80, protocol: 'tcp' }]);
    expect(s.map((x) => x.flag)).toEqual(['8080:80/udp']);
  });

  it('skips what -p cannot forward', () => {
    expect(parseExposedPort('132/sctp')).toBeNull();
    expect(parseExposedPort('8000-8010/tcp')).toBeNull();
    expect(parseExposedPort('0/tcp')).toBeNull();
    expect(parseExposedPort('70000')).toBeNull();
    expect(parseExposedPort('8080')).toEqual({ port: 8080, protocol: 'tcp' });
    expect(suggestPortForwards(['junk', '132/sctp'])).toEqual([]);
  });

  it('parses a typed -p value or says what is wrong', () => {
    expect(parsePortFlag('8080:80')).toEqual({ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' });
    expect(parsePortFlag('0.0.0.0:53:53/udp')).toEqual({ hostIp: '0.0.0.0', hostPort: 53, containerPort: 53, protocol: 'udp' });
    expect(parsePortFlag('80')).toMatch(/hostport:containerport/);
    expect(parsePortFlag('99999:80')).toMatch(/1 – 65535/);
    expect(parsePortFlag('300.1.1.1:80:80')).toMatch(/not an IPv4/);
  });
});
