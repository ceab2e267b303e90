// Original file: core/agent/proto/agent.proto


export interface ProcessInfo {
  'pid'?: (number);
  'cmdline'?: (string);
}

export interface ProcessInfo__Output {
  'pid': (number);
  'cmdline': (string);
}
