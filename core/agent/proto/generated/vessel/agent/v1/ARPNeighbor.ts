// Original file: core/agent/proto/agent.proto

import type { IPAddress as _vessel_agent_v1_IPAddress, IPAddress__Output as _vessel_agent_v1_IPAddress__Output } from '../../../vessel/agent/v1/IPAddress.js';

export interface ARPNeighbor {
  'toIPAddress'?: (_vessel_agent_v1_IPAddress | null);
  'device'?: (string);
  'lladdr'?: (string);
  'state'?: (number);
  'flags'?: (number);
}

export interface ARPNeighbor__Output {
  'toIPAddress': (_vessel_agent_v1_IPAddress__Output | null);
  'device': (string);
  'lladdr': (string);
  'state': (number);
  'flags': (number);
}
