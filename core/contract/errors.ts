import { z } from 'zod';

/**
 * Stable error codes. They are part of the API contract: the CLI prints them,
 * the UI branches on them, and they survive the IPC/WebSocket trip.
 */
export const ErrorCode = z.enum([
  'E_INVALID_ARGUMENT',
  'E_INVALID_ID',
  'E_INVALID_STATE',
  'E_NOT_FOUND',
  'E_ALREADY_EXISTS',
  'E_BUSY',
  'E_CORRUPT_STATE',
  'E_HYPERVISOR',
  'E_AGENT',
  'E_TIMEOUT',
  'E_MISSING_DEPENDENCY',
  'E_UNSUPPORTED',
  'E_PERMISSION',
  'E_INTERNAL',
  'E_NETWORK',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** The wire shape of an error: what crosses process boundaries. */
export const SerializedError = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type SerializedError = z.infer<typeof SerializedError>;

/** A typed error with a stable code and a message a user can act on. */
export class VesselError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VesselError';
    this.code = code;
    this.details = details;
  }

  toJSON(): SerializedError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromJSON(value: unknown): VesselError {
    const parsed = SerializedError.safeParse(value);
    if (!parsed.success) return new VesselError('E_INTERNAL', 'malformed error from the other side');
    return new VesselError(parsed.data.code, parsed.data.message, parsed.data.details);
  }
}

export function isVesselError(value: unknown): value is VesselError {
  return value instanceof VesselError;
}

/** Wrap anything thrown into a VesselError, keeping typed ones as they are. */
export function toVesselError(value: unknown, fallback: ErrorCode = 'E_INTERNAL'): VesselError {
  if (value instanceof VesselError) return value;
  if (value instanceof Error) return new VesselError(fallback, value.message, undefined, { cause: value });
  return new VesselError(fallback, String(value));
}
