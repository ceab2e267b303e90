// Original file: core/agent/proto/agent.proto

import type { ARPNeighbor as _vessel_agent_v1_ARPNeighbor, ARPNeighbor__Output as _vessel_agent_v1_ARPNeighbor__Output } from '../../../vessel/agent/v1/ARPNeighbor.js';

export interface ARPNeighbors {
  'ARPNeighbors'?: (_vessel_agent_v1_ARPNeighbor)[];
}

export interface ARPNeighbors__Output {
  'ARPNeighbors': (_vessel_agent_v1_ARPNeighbor__Output)[];
}
