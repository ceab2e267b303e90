// Original file: core/agent/proto/agent.proto


export interface GuestIdentityResponse {
  'hostname'?: (string);
  'machineId'?: (string);
  'bootId'?: (string);
  'urandomSample'?: (Buffer | Uint8Array | string);
}

export interface GuestIdentityResponse__Output {
  'hostname': (string);
  'machineId': (string);
  'bootId': (string);
  'urandomSample': (Buffer);
}
