// Original file: core/agent/proto/agent.proto

import type { IPFamily as _vessel_agent_v1_IPFamily, IPFamily__Output as _vessel_agent_v1_IPFamily__Output } from '../../../vessel/agent/v1/IPFamily.js';

export interface IPAddress {
  'family'?: (_vessel_agent_v1_IPFamily);
  'address'?: (string);
  'mask'?: (string);
}

export interface IPAddress__Output {
  'family': (_vessel_agent_v1_IPFamily__Output);
  'address': (string);
  'mask': (string);
}
