// Original file: core/agent/proto/agent.proto


export interface FindPciDeviceRequest {
  'pciPath'?: (string);
  'timeoutMs'?: (number);
  'bindVfio'?: (boolean);
}

export interface FindPciDeviceRequest__Output {
  'pciPath': (string);
  'timeoutMs': (number);
  'bindVfio': (boolean);
}
