// Original file: core/agent/proto/agent.proto


export interface UnmountBlockDeviceRequest {
  'containerId'?: (string);
  'mountPoint'?: (string);
}

export interface UnmountBlockDeviceRequest__Output {
  'containerId': (string);
  'mountPoint': (string);
}
