// Original file: core/agent/proto/agent.proto


export interface ReseedRandomDevRequest {
  'data'?: (Buffer | Uint8Array | string);
}

export interface ReseedRandomDevRequest__Output {
  'data': (Buffer);
}
