// Original file: core/agent/proto/agent.proto


export interface CreateContainerRequest {
  'containerId'?: (string);
  'execId'?: (string);
  'ociSpecJson'?: (Buffer | Uint8Array | string);
  'rootfs'?: (string);
}

export interface CreateContainerRequest__Output {
  'containerId': (string);
  'execId': (string);
  'ociSpecJson': (Buffer);
  'rootfs': (string);
}
