// gRPC status codes (the wire values every gRPC implementation shares) and the
// error a guest handler throws to answer with one. Here, not taken from
// grpc-js, so neither the guest agent nor the channel owner loads a gRPC
// library for them.
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;
export type Status = (typeof Status)[keyof typeof Status];

export class RpcError extends Error {
  constructor(readonly code: Status, message: string) {
    super(message);
  }
}
