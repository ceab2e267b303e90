import { VesselError } from '../contract/index.js';

export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Turn an unexpected filesystem error into a VesselError naming what we were doing and where. */
export function fsError(err: unknown, doing: string, path: string): VesselError {
  if (err instanceof VesselError) return err;
  const code = errnoCode(err);
  const reason = err instanceof Error ? err.message : String(err);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new VesselError('E_PERMISSION', `cannot ${doing} ${path}: ${reason}; check the owner and permissions of the Vessel store (set VESSEL_ROOT to use another one)`, { path }, { cause: err });
  }
  return new VesselError('E_INTERNAL', `cannot ${doing} ${path}: ${reason}`, { path }, { cause: err });
}
