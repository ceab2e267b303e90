// Original file: core/agent/proto/agent.proto


export interface WriteStreamRequest {
  'containerId'?: (string);
  'execId'?: (string);
  'data'?: (Buffer | Uint8Array | string);
}

export interface WriteStreamRequest__Output {
  'containerId': (string);
  'execId': (string);
  'data': (Buffer);
}
