// The greeting that starts every host connection to the guest agent, before
// any HTTP/2 byte, in both directions.
//
// The agent's virtio-serial port is one byte stream shared by every host
// connection in turn, and neither side learns exactly when QEMU switches from
// one host connection to the next. So the host opens with a random hello line;
// the guest starts a new gRPC connection where it finds one, and echoes the
// line before answering. Bytes the guest wrote for an earlier host that reach
// this one first are skipped by the host up to its own echo.
//   "\0vessel-hello " + 32 lowercase hex digits + "\n"
import { randomBytes } from 'node:crypto';

export const HELLO_PREFIX = Buffer.from('\0vessel-hello ', 'latin1');
const NONCE_HEX = 32;
export const HELLO_BYTES = HELLO_PREFIX.length + NONCE_HEX + 1;

export function newHello(): Buffer {
  return Buffer.concat([HELLO_PREFIX, Buffer.from(randomBytes(NONCE_HEX / 2).toString('hex'), 'latin1'), Buffer.from('\n')]);
}

/** Whether buf[at…] holds a complete, well-formed hello line. */
export function isHelloAt(buf: Buffer, at: number): boolean {
  if (buf.length - at < HELLO_BYTES || buf.compare(HELLO_PREFIX, 0, HELLO_PREFIX.length, at, at + HELLO_PREFIX.length) !== 0) return false;
  for (let i = at + HELLO_PREFIX.length; i < at + HELLO_BYTES - 1; i++) {
    const c = buf[i] ?? 0;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return buf[at + HELLO_BYTES - 1] === 0x0a;
}
