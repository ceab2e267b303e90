// Original file: core/agent/proto/agent.proto


export interface MountBlockDeviceRequest {
  'containerId'?: (string);
  'pciPath'?: (string);
  'mountPoint'?: (string);
  'readOnly'?: (boolean);
  'fsType'?: (string);
  'timeoutMs'?: (number);
}

export interface MountBlockDeviceRequest__Output {
  'containerId': (string);
  'pciPath': (string);
  'mountPoint': (string);
  'readOnly': (boolean);
  'fsType': (string);
  'timeoutMs': (number);
}
