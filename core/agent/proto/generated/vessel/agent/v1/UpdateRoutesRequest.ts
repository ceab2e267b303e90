// Original file: core/agent/proto/agent.proto

import type { Routes as _vessel_agent_v1_Routes, Routes__Output as _vessel_agent_v1_Routes__Output } from '../../../vessel/agent/v1/Routes.js';

export interface UpdateRoutesRequest {
  'routes'?: (_vessel_agent_v1_Routes | null);
}

export interface UpdateRoutesRequest__Output {
  'routes': (_vessel_agent_v1_Routes__Output | null);
}
