// Original file: core/agent/proto/agent.proto


export interface Storage {
  'driver'?: (string);
  'driverOptions'?: (string)[];
  'source'?: (string);
  'fstype'?: (string);
  'options'?: (string)[];
  'mountPoint'?: (string);
}

export interface Storage__Output {
  'driver': (string);
  'driverOptions': (string)[];
  'source': (string);
  'fstype': (string);
  'options': (string)[];
  'mountPoint': (string);
}
