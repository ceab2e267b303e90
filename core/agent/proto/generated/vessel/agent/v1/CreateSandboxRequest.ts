// Original file: core/agent/proto/agent.proto


export interface CreateSandboxRequest {
  'sandboxId'?: (string);
  'hostname'?: (string);
  'dns'?: (string)[];
  'shareOnDemand'?: (boolean);
  'previousSandboxId'?: (string);
}

export interface CreateSandboxRequest__Output {
  'sandboxId': (string);
  'hostname': (string);
  'dns': (string)[];
  'shareOnDemand': (boolean);
  'previousSandboxId': (string);
}
