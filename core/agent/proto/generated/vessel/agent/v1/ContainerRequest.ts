// Original file: core/agent/proto/agent.proto


export interface ContainerRequest {
  'containerId'?: (string);
}

export interface ContainerRequest__Output {
  'containerId': (string);
}
