// Original file: core/agent/proto/agent.proto

import type { ProcessInfo as _vessel_agent_v1_ProcessInfo, ProcessInfo__Output as _vessel_agent_v1_ProcessInfo__Output } from '../../../vessel/agent/v1/ProcessInfo.js';

export interface ListProcessesResponse {
  'processes'?: (_vessel_agent_v1_ProcessInfo)[];
}

export interface ListProcessesResponse__Output {
  'processes': (_vessel_agent_v1_ProcessInfo__Output)[];
}
