// Original file: core/agent/proto/agent.proto

import type { IPFamily as _vessel_agent_v1_IPFamily, IPFamily__Output as _vessel_agent_v1_IPFamily__Output } from '../../../vessel/agent/v1/IPFamily.js';

export interface Route {
  'dest'?: (string);
  'gateway'?: (string);
  'device'?: (string);
  'source'?: (string);
  'scope'?: (number);
  'family'?: (_vessel_agent_v1_IPFamily);
  'flags'?: (number);
  'mtu'?: (number);
}

export interface Route__Output {
  'dest': (string);
  'gateway': (string);
  'device': (string);
  'source': (string);
  'scope': (number);
  'family': (_vessel_agent_v1_IPFamily__Output);
  'flags': (number);
  'mtu': (number);
}
