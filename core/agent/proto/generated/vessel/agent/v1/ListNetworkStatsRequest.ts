// Original file: core/agent/proto/agent.proto


export interface ListNetworkStatsRequest {
}

export interface ListNetworkStatsRequest__Output {
}
