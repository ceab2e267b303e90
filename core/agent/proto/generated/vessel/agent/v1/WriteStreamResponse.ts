// Original file: core/agent/proto/agent.proto


export interface WriteStreamResponse {
  'len'?: (number);
}

export interface WriteStreamResponse__Output {
  'len': (number);
}
