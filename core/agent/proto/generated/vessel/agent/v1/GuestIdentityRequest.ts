// Original file: core/agent/proto/agent.proto


export interface GuestIdentityRequest {
}

export interface GuestIdentityRequest__Output {
}
