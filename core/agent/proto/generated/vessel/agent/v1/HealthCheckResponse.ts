// Original file: core/agent/proto/agent.proto


// Original file: core/agent/proto/agent.proto

export const _vessel_agent_v1_HealthCheckResponse_ServingStatus = {
  UNKNOWN: 'UNKNOWN',
  SERVING: 'SERVING',
  NOT_SERVING: 'NOT_SERVING',
} as const;

export type _vessel_agent_v1_HealthCheckResponse_ServingStatus =
  | 'UNKNOWN'
  | 0
  | 'SERVING'
  | 1
  | 'NOT_SERVING'
  | 2

export type _vessel_agent_v1_HealthCheckResponse_ServingStatus__Output = typeof _vessel_agent_v1_HealthCheckResponse_ServingStatus[keyof typeof _vessel_agent_v1_HealthCheckResponse_ServingStatus]

export interface HealthCheckResponse {
  'status'?: (_vessel_agent_v1_HealthCheckResponse_ServingStatus);
}

export interface HealthCheckResponse__Output {
  'status': (_vessel_agent_v1_HealthCheckResponse_ServingStatus__Output);
}
