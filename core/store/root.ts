import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { VesselError } from '../contract/index.js';

/**
 * Where Vessel keeps sandboxes on disk, in this order:
 *
 * 1. `VESSEL_ROOT`, when set and non-empty (tests and custom installs). It must
 *    be absolute: a relative root would move with the working directory.
 * 2. uid 0: `/var/lib/vessel` (system-wide, like /var/lib/containers).
 * 3. anyone else: `$XDG_DATA_HOME/vessel`, or `$HOME/.local/share/vessel`
 *    when XDG_DATA_HOME is unset, empty or relative (the XDG Base Directory
 *    spec says to ignore a relative value).
 *
 * Pass `uid = -1` where getuid does not exist (not Linux); that is treated as
 * rootless.
 */
export function resolveStoreRoot(env: NodeJS.ProcessEnv = process.env, uid: number = process.getuid?.() ?? -1): string {
  const override = env['VESSEL_ROOT'];
  if (override !== undefined && override !== '') {
    if (!isAbsolute(override)) {
      throw new VesselError('E_INVALID_ARGUMENT', `VESSEL_ROOT must be an absolute path, got ${JSON.stringify(override)}`, {
        VESSEL_ROOT: override,
      });
    }
    return override;
  }
  if (uid === 0) return '/var/lib/vessel';
  const xdg = env['XDG_DATA_HOME'];
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'vessel');
  const home = env['HOME'] !== undefined && isAbsolute(env['HOME']) ? env['HOME'] : homedir();
  return join(home, '.local', 'share', 'vessel');
}
