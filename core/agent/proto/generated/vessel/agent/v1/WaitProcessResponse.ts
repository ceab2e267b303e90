// Original file: core/agent/proto/agent.proto


export interface WaitProcessResponse {
  'exitStatus'?: (number);
  'signal'?: (number);
  'oomKilled'?: (boolean);
  'error'?: (string);
}

export interface WaitProcessResponse__Output {
  'exitStatus': (number);
  'signal': (number);
  'oomKilled': (boolean);
  'error': (string);
}
