// Original file: core/agent/proto/agent.proto


export interface RemoveContainerRequest {
  'containerId'?: (string);
  'force'?: (boolean);
}

export interface RemoveContainerRequest__Output {
  'containerId': (string);
  'force': (boolean);
}
