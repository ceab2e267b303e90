// Original file: core/agent/proto/agent.proto


export interface CheckRequest {
  'service'?: (string);
}

export interface CheckRequest__Output {
  'service': (string);
}
