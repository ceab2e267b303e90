// Original file: core/agent/proto/agent.proto


export interface ListInterfacesRequest {
}

export interface ListInterfacesRequest__Output {
}
