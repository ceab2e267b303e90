// Original file: core/agent/proto/agent.proto

import type { ARPNeighbors as _vessel_agent_v1_ARPNeighbors, ARPNeighbors__Output as _vessel_agent_v1_ARPNeighbors__Output } from '../../../vessel/agent/v1/ARPNeighbors.js';

export interface AddARPNeighborsRequest {
  'neighbors'?: (_vessel_agent_v1_ARPNeighbors | null);
}

export interface AddARPNeighborsRequest__Output {
  'neighbors': (_vessel_agent_v1_ARPNeighbors__Output | null);
}
