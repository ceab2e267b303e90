import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AgentServiceClient as _vessel_agent_v1_AgentServiceClient, AgentServiceDefinition as _vessel_agent_v1_AgentServiceDefinition } from './vessel/agent/v1/AgentService.js';
import type { CheckRequest as _vessel_agent_v1_CheckRequest, CheckRequest__Output as _vessel_agent_v1_CheckRequest__Output } from './vessel/agent/v1/CheckRequest.js';
import type { CreateSandboxRequest as _vessel_agent_v1_CreateSandboxRequest, CreateSandboxRequest__Output as _vessel_agent_v1_CreateSandboxRequest__Output } from './vessel/agent/v1/CreateSandboxRequest.js';
import type { DestroySandboxRequest as _vessel_agent_v1_DestroySandboxRequest, DestroySandboxRequest__Output as _vessel_agent_v1_DestroySandboxRequest__Output } from './vessel/agent/v1/DestroySandboxRequest.js';
import type { Empty as _vessel_agent_v1_Empty, Empty__Output as _vessel_agent_v1_Empty__Output } from './vessel/agent/v1/Empty.js';
import type { GuestDetailsRequest as _vessel_agent_v1_GuestDetailsRequest, GuestDetailsRequest__Output as _vessel_agent_v1_GuestDetailsRequest__Output } from './vessel/agent/v1/GuestDetailsRequest.js';
import type { GuestDetailsResponse as _vessel_agent_v1_GuestDetailsResponse, GuestDetailsResponse__Output as _vessel_agent_v1_GuestDetailsResponse__Output } from './vessel/agent/v1/GuestDetailsResponse.js';
import type { HealthClient as _vessel_agent_v1_HealthClient, HealthDefinition as _vessel_agent_v1_HealthDefinition } from './vessel/agent/v1/Health.js';
import type { HealthCheckResponse as _vessel_agent_v1_HealthCheckResponse, HealthCheckResponse__Output as _vessel_agent_v1_HealthCheckResponse__Output } from './vessel/agent/v1/HealthCheckResponse.js';
import type { SetGuestDateTimeRequest as _vessel_agent_v1_SetGuestDateTimeRequest, SetGuestDateTimeRequest__Output as _vessel_agent_v1_SetGuestDateTimeRequest__Output } from './vessel/agent/v1/SetGuestDateTimeRequest.js';
import type { VersionCheckResponse as _vessel_agent_v1_VersionCheckResponse, VersionCheckResponse__Output as _vessel_agent_v1_VersionCheckResponse__Output } from './vessel/agent/v1/VersionCheckResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  vessel: {
    agent: {
      v1: {
        AgentService: SubtypeConstructor<typeof grpc.Client, _vessel_agent_v1_AgentServiceClient> & { service: _vessel_agent_v1_AgentServiceDefinition }
        CheckRequest: MessageTypeDefinition<_vessel_agent_v1_CheckRequest, _vessel_agent_v1_CheckRequest__Output>
        CreateSandboxRequest: MessageTypeDefinition<_vessel_agent_v1_CreateSandboxRequest, _vessel_agent_v1_CreateSandboxRequest__Output>
        DestroySandboxRequest: MessageTypeDefinition<_vessel_agent_v1_DestroySandboxRequest, _vessel_agent_v1_DestroySandboxRequest__Output>
        Empty: MessageTypeDefinition<_vessel_agent_v1_Empty, _vessel_agent_v1_Empty__Output>
        GuestDetailsRequest: MessageTypeDefinition<_vessel_agent_v1_GuestDetailsRequest, _vessel_agent_v1_GuestDetailsRequest__Output>
        GuestDetailsResponse: MessageTypeDefinition<_vessel_agent_v1_GuestDetailsResponse, _vessel_agent_v1_GuestDetailsResponse__Output>
        Health: SubtypeConstructor<typeof grpc.Client, _vessel_agent_v1_HealthClient> & { service: _vessel_agent_v1_HealthDefinition }
        HealthCheckResponse: MessageTypeDefinition<_vessel_agent_v1_HealthCheckResponse, _vessel_agent_v1_HealthCheckResponse__Output>
        SetGuestDateTimeRequest: MessageTypeDefinition<_vessel_agent_v1_SetGuestDateTimeRequest, _vessel_agent_v1_SetGuestDateTimeRequest__Output>
        VersionCheckResponse: MessageTypeDefinition<_vessel_agent_v1_VersionCheckResponse, _vessel_agent_v1_VersionCheckResponse__Output>
      }
    }
  }
}

