// Original file: core/agent/proto/agent.proto


export interface ExecProcessRequest {
  'containerId'?: (string);
  'execId'?: (string);
  'processJson'?: (Buffer | Uint8Array | string);
}

export interface ExecProcessRequest__Output {
  'containerId': (string);
  'execId': (string);
  'processJson': (Buffer);
}
