// Original file: core/agent/proto/agent.proto

import type { NetworkStats as _vessel_agent_v1_NetworkStats, NetworkStats__Output as _vessel_agent_v1_NetworkStats__Output } from '../../../vessel/agent/v1/NetworkStats.js';

export interface NetworkStatsResponse {
  'stats'?: (_vessel_agent_v1_NetworkStats)[];
}

export interface NetworkStatsResponse__Output {
  'stats': (_vessel_agent_v1_NetworkStats__Output)[];
}
