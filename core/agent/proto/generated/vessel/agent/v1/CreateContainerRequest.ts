// Original file: core/agent/proto/agent.proto

import type { Storage as _vessel_agent_v1_Storage, Storage__Output as _vessel_agent_v1_Storage__Output } from '../../../vessel/agent/v1/Storage.js';

export interface CreateContainerRequest {
  'containerId'?: (string);
  'execId'?: (string);
  'ociSpecJson'?: (Buffer | Uint8Array | string);
  'rootfs'?: (string);
  'rootfsStorage'?: (_vessel_agent_v1_Storage | null);
}

export interface CreateContainerRequest__Output {
  'containerId': (string);
  'execId': (string);
  'ociSpecJson': (Buffer);
  'rootfs': (string);
  'rootfsStorage': (_vessel_agent_v1_Storage__Output | null);
}
