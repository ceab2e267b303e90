// Original file: core/agent/proto/agent.proto

import type { Interface as _vessel_agent_v1_Interface, Interface__Output as _vessel_agent_v1_Interface__Output } from '../../../vessel/agent/v1/Interface.js';

export interface Interfaces {
  'Interfaces'?: (_vessel_agent_v1_Interface)[];
}

export interface Interfaces__Output {
  'Interfaces': (_vessel_agent_v1_Interface__Output)[];
}
