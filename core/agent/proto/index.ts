// The agent protocol as loaded at runtime by both ends (host client, guest agent).
// The descriptor is embedded (generated/descriptor.ts), so nothing reads a .proto file.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { agentProtoDescriptor } from './generated/descriptor.js';
import type { ProtoGrpcType } from './generated/agent.js';

export type { ProtoGrpcType } from './generated/agent.js';
export type { GuestDetailsResponse, GuestDetailsResponse__Output } from './generated/vessel/agent/v1/GuestDetailsResponse.js';
export type { HealthClient, HealthHandlers } from './generated/vessel/agent/v1/Health.js';
export type { AgentServiceClient, AgentServiceHandlers } from './generated/vessel/agent/v1/AgentService.js';

/** Options matching the ones the generated types were made with (see agent.proto). */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

export { HELLO_BYTES, HELLO_PREFIX, isHelloAt, newHello } from './hello.js';
export { MAX_AGENT_MESSAGE_BYTES } from './limits.js';

let cached: ProtoGrpcType | undefined;

export function loadAgentProto(): ProtoGrpcType {
  if (!cached) {
    const definition = protoLoader.fromJSON(agentProtoDescriptor as unknown as Parameters<typeof protoLoader.fromJSON>[0], PROTO_LOADER_OPTIONS);
    cached = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return cached;
}
