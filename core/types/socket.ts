import { z } from 'zod';
import { invalidArgument, isAbsolutePath, quote } from './internal.js';

/**
 * A host unix socket handed to the guest (virtio-serial port), as
 * virtcontainers' types.Socket. Written `deviceId:id:hostPath:name`: exactly
 * four ':'-separated fields, none empty, so none of them may contain ':'.
 */
const FIELD = /^[^:\s\0]+$/;
const fieldMessage = 'must be non-empty and contain no ":", whitespace or NUL';

export const Socket = z.object({
  deviceId: z.string().regex(FIELD, `the device ID ${fieldMessage}`),
  id: z.string().regex(FIELD, `the ID ${fieldMessage}`),
  hostPath: z
    .string()
    .regex(FIELD, `the host path ${fieldMessage}`)
    .refine(isAbsolutePath, 'the host path must be absolute (start with "/")'),
  name: z.string().regex(FIELD, `the name ${fieldMessage}`),
});
export type Socket = z.infer<typeof Socket>;

const EXPECTED = 'expected "deviceId:id:hostPath:name", e.g. "channel0:agent:/run/vessel/agent.sock:agent.0"';

export function parseSocket(input: string): Socket {
  const fields = input.split(':');
  if (fields.length !== 4) {
    throw invalidArgument(`invalid socket ${quote(input)}: found ${fields.length} field(s), ${EXPECTED}`, { input });
  }
  const [deviceId, id, hostPath, name] = fields as [string, string, string, string];
  const named: Array<[string, string]> = [
    ['device ID', deviceId],
    ['ID', id],
    ['host path', hostPath],
    ['name', name],
  ];
  for (const [label, value] of named) {
    if (!FIELD.test(value)) {
      throw invalidArgument(`invalid socket ${quote(input)}: the ${label} ${quote(value)} ${fieldMessage} (${EXPECTED})`, { input });
    }
  }
  if (!isAbsolutePath(hostPath)) {
    throw invalidArgument(`invalid socket ${quote(input)}: the host path ${quote(hostPath)} must be absolute (${EXPECTED})`, { input });
  }
  return { deviceId, id, hostPath, name };
}

export function formatSocket(socket: Socket): string {
  return `${socket.deviceId}:${socket.id}:${socket.hostPath}:${socket.name}`;
}

/** A whitespace-separated list of sockets, as virtcontainers' Sockets.Set. */
export function parseSocketList(input: string): Socket[] {
  const trimmed = input.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/).map(parseSocket);
}

export function formatSocketList(sockets: readonly Socket[]): string {
  return sockets.map(formatSocket).join(' ');
}
