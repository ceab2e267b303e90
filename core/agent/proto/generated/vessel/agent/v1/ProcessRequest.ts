// Original file: core/agent/proto/agent.proto


export interface ProcessRequest {
  'containerId'?: (string);
  'execId'?: (string);
}

export interface ProcessRequest__Output {
  'containerId': (string);
  'execId': (string);
}
