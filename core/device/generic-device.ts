import { statSync } from 'node:fs';
import path from 'node:path';
import { VesselError } from '../contract/index.js';

/**
 * Kata's generic device: `--device HOSTPATH[:CONTAINERPATH]` passes a host
 * device node into a container. The container runs in the guest, so what it
 * gets is the guest's device with the same type and numbers (crun makes the
 * node and allows it in the device cgroup): right for the kernel's standard
 * character devices (/dev/fuse, /dev/net/tun, /dev/null…). A disk is not a
 * generic device here: hot plug it with `vessel block attach`.
 */

export interface GenericDevice {
  hostPath: string;
  containerPath: string;
  type: 'c';
  major: number;
  minor: number;
  fileMode: number;
}

/** Linux's new_decode_dev (64-bit dev_t as Node reports st_rdev). */
export function decodeDev(rdev: number): { major: number; minor: number } {
  const big = BigInt(rdev);
  const major = Number(((big >> 8n) & 0xfffn) | ((big >> 32n) & ~0xfffn));
  const minor = Number((big & 0xffn) | ((big >> 12n) & ~0xffn));
  return { major, minor };
}

export function parseDeviceSpec(spec: string): GenericDevice {
  const [hostPath = '', containerPath, extra] = spec.split(':');
  if (extra !== undefined || !path.isAbsolute(hostPath) || (containerPath !== undefined && !path.isAbsolute(containerPath))) {
    throw new VesselError('E_INVALID_ARGUMENT', `--device "${spec}": expected HOSTPATH[:CONTAINERPATH], both absolute, e.g. /dev/fuse or /dev/fuse:/dev/fuse`);
  }
  let st;
  try {
    st = statSync(hostPath);
  } catch {
    throw new VesselError('E_NOT_FOUND', `--device: ${hostPath} does not exist on this host`);
  }
  if (st.isBlockDevice()) throw new VesselError('E_INVALID_ARGUMENT', `--device: ${hostPath} is a block device: hot plug disks with 'vessel block attach SANDBOX ${hostPath} --container C --path P'`);
  if (!st.isCharacterDevice()) throw new VesselError('E_INVALID_ARGUMENT', `--device: ${hostPath} is not a device node`);
  const { major, minor } = decodeDev(st.rdev);
  return { hostPath, containerPath: path.normalize(containerPath ?? hostPath), type: 'c', major, minor, fileMode: st.mode & 0o777 };
}

/** The spec with the devices added to linux.devices and allowed in the device cgroup. */
export function withDevices(spec: Record<string, unknown>, devices: GenericDevice[]): Record<string, unknown> {
  if (devices.length === 0) return spec;
  const linux = { ...((spec.linux as Record<string, unknown> | undefined) ?? {}) };
  const resources = { ...((linux.resources as Record<string, unknown> | undefined) ?? {}) };
  linux.devices = [...((linux.devices as unknown[] | undefined) ?? []), ...devices.map((d) => ({ path: d.containerPath, type: d.type, major: d.major, minor: d.minor, fileMode: d.fileMode, uid: 0, gid: 0 }))];
  resources.devices = [...((resources.devices as unknown[] | undefined) ?? []), ...devices.map((d) => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access: 'rwm' }))];
  linux.resources = resources;
  return { ...spec, linux };
}
