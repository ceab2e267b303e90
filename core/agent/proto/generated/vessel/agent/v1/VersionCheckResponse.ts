// Original file: core/agent/proto/agent.proto


export interface VersionCheckResponse {
  'grpcVersion'?: (string);
  'agentVersion'?: (string);
}

export interface VersionCheckResponse__Output {
  'grpcVersion': (string);
  'agentVersion': (string);
}
