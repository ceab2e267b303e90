// Original file: core/agent/proto/agent.proto


export interface MountBlockDeviceResponse {
  'blockDevice'?: (string);
}

export interface MountBlockDeviceResponse__Output {
  'blockDevice': (string);
}
