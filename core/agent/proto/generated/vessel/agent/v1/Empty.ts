// Original file: core/agent/proto/agent.proto


export interface Empty {
}

export interface Empty__Output {
}
