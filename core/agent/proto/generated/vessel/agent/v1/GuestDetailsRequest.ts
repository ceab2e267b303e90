// Original file: core/agent/proto/agent.proto


export interface GuestDetailsRequest {
}

export interface GuestDetailsRequest__Output {
}
