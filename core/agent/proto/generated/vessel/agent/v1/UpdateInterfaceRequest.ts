// Original file: core/agent/proto/agent.proto

import type { Interface as _vessel_agent_v1_Interface, Interface__Output as _vessel_agent_v1_Interface__Output } from '../../../vessel/agent/v1/Interface.js';

export interface UpdateInterfaceRequest {
  'interface'?: (_vessel_agent_v1_Interface | null);
}

export interface UpdateInterfaceRequest__Output {
  'interface': (_vessel_agent_v1_Interface__Output | null);
}
