// Original file: core/agent/proto/agent.proto


export interface UpdateContainerRequest {
  'containerId'?: (string);
  'resourcesJson'?: (Buffer | Uint8Array | string);
}

export interface UpdateContainerRequest__Output {
  'containerId': (string);
  'resourcesJson': (Buffer);
}
