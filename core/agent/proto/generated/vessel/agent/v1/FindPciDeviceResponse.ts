// Original file: core/agent/proto/agent.proto


export interface FindPciDeviceResponse {
  'address'?: (string);
  'vendorId'?: (string);
  'deviceId'?: (string);
  'driver'?: (string);
  'blockDevice'?: (string);
  'hasVfioGroup'?: (boolean);
  'vfioGroup'?: (number);
  'vfioMajor'?: (number);
  'vfioMinor'?: (number);
}

export interface FindPciDeviceResponse__Output {
  'address': (string);
  'vendorId': (string);
  'deviceId': (string);
  'driver': (string);
  'blockDevice': (string);
  'hasVfioGroup': (boolean);
  'vfioGroup': (number);
  'vfioMajor': (number);
  'vfioMinor': (number);
}
