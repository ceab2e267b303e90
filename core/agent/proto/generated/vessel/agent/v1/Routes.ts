// Original file: core/agent/proto/agent.proto

import type { Route as _vessel_agent_v1_Route, Route__Output as _vessel_agent_v1_Route__Output } from '../../../vessel/agent/v1/Route.js';

export interface Routes {
  'Routes'?: (_vessel_agent_v1_Route)[];
}

export interface Routes__Output {
  'Routes': (_vessel_agent_v1_Route__Output)[];
}
