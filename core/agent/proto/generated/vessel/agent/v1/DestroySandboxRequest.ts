// Original file: core/agent/proto/agent.proto


export interface DestroySandboxRequest {
  'sandboxId'?: (string);
}

export interface DestroySandboxRequest__Output {
  'sandboxId': (string);
}
