// Original file: core/agent/proto/agent.proto


export interface ListRoutesRequest {
}

export interface ListRoutesRequest__Output {
}
