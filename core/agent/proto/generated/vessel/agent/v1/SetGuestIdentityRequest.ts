// Original file: core/agent/proto/agent.proto


export interface SetGuestIdentityRequest {
  'machineId'?: (string);
}

export interface SetGuestIdentityRequest__Output {
  'machineId': (string);
}
