import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { VesselError } from '../contract/index.js';
import { resolveStoreRoot } from './index.js';

describe('resolveStoreRoot', () => {
  it('lets VESSEL_ROOT override everything, even for root', () => {
    expect(resolveStoreRoot({ VESSEL_ROOT: '/tmp/v', XDG_DATA_HOME: '/x', HOME: '/h' }, 1000)).toBe('/tmp/v');
    expect(resolveStoreRoot({ VESSEL_ROOT: '/tmp/v' }, 0)).toBe('/tmp/v');
  });

  it('rejects a relative VESSEL_ROOT', () => {
    let caught: unknown;
    try {
      resolveStoreRoot({ VESSEL_ROOT: 'rel/dir' }, 1000);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(VesselError);
    expect((caught as VesselError).code).toBe('E_INVALID_ARGUMENT');
    expect((caught as VesselError).message).toContain('"rel/dir"');
  });

  it('uses /var/lib/vessel for root', () => {
    expect(resolveStoreRoot({ HOME: '/root', XDG_DATA_HOME: '/x' }, 0)).toBe('/var/lib/vessel');
    expect(resolveStoreRoot({ VESSEL_ROOT: '' }, 0)).toBe('/var/lib/vessel');
  });

  it('uses XDG_DATA_HOME, then HOME/.local/share, when rootless', () => {
    expect(resolveStoreRoot({ XDG_DATA_HOME: '/data', HOME: '/home/me' }, 1000)).toBe('/data/vessel');
    expect(resolveStoreRoot({ HOME: '/home/me' }, 1000)).toBe('/home/me/.local/share/vessel');
    expect(resolveStoreRoot({ XDG_DATA_HOME: '', HOME: '/home/me' }, 1000)).toBe('/home/me/.local/share/vessel');
    expect(resolveStoreRoot({ XDG_DATA_HOME: 'relative', HOME: '/home/me' }, 1000)).toBe('/home/me/.local/share/vessel');
    expect(resolveStoreRoot({}, 1000)).toBe(`${homedir()}/.local/share/vessel`);
  });

  it('defaults to the real environment', () => {
    expect(typeof resolveStoreRoot()).toBe('string');
  });
});
