// Original file: core/agent/proto/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CreateSandboxRequest as _vessel_agent_v1_CreateSandboxRequest, CreateSandboxRequest__Output as _vessel_agent_v1_CreateSandboxRequest__Output } from '../../../vessel/agent/v1/CreateSandboxRequest.js';
import type { DestroySandboxRequest as _vessel_agent_v1_DestroySandboxRequest, DestroySandboxRequest__Output as _vessel_agent_v1_DestroySandboxRequest__Output } from '../../../vessel/agent/v1/DestroySandboxRequest.js';
import type { Empty as _vessel_agent_v1_Empty, Empty__Output as _vessel_agent_v1_Empty__Output } from '../../../vessel/agent/v1/Empty.js';
import type { GuestDetailsRequest as _vessel_agent_v1_GuestDetailsRequest, GuestDetailsRequest__Output as _vessel_agent_v1_GuestDetailsRequest__Output } from '../../../vessel/agent/v1/GuestDetailsRequest.js';
import type { GuestDetailsResponse as _vessel_agent_v1_GuestDetailsResponse, GuestDetailsResponse__Output as _vessel_agent_v1_GuestDetailsResponse__Output } from '../../../vessel/agent/v1/GuestDetailsResponse.js';
import type { SetGuestDateTimeRequest as _vessel_agent_v1_SetGuestDateTimeRequest, SetGuestDateTimeRequest__Output as _vessel_agent_v1_SetGuestDateTimeRequest__Output } from '../../../vessel/agent/v1/SetGuestDateTimeRequest.js';

export interface AgentServiceClient extends grpc.Client {
  CreateSandbox(argument: _vessel_agent_v1_CreateSandboxRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  CreateSandbox(argument: _vessel_agent_v1_CreateSandboxRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  CreateSandbox(argument: _vessel_agent_v1_CreateSandboxRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  CreateSandbox(argument: _vessel_agent_v1_CreateSandboxRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  createSandbox(argument: _vessel_agent_v1_CreateSandboxRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  createSandbox(argument: _vessel_agent_v1_CreateSandboxRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  createSandbox(argument: _vessel_agent_v1_CreateSandboxRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  createSandbox(argument: _vessel_agent_v1_CreateSandboxRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  DestroySandbox(argument: _vessel_agent_v1_DestroySandboxRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  DestroySandbox(argument: _vessel_agent_v1_DestroySandboxRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  DestroySandbox(argument: _vessel_agent_v1_DestroySandboxRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  DestroySandbox(argument: _vessel_agent_v1_DestroySandboxRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  destroySandbox(argument: _vessel_agent_v1_DestroySandboxRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  destroySandbox(argument: _vessel_agent_v1_DestroySandboxRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  destroySandbox(argument: _vessel_agent_v1_DestroySandboxRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  destroySandbox(argument: _vessel_agent_v1_DestroySandboxRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  GetGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  GetGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  GetGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  GetGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  getGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  getGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  getGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  getGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  
  SetGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  SetGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  SetGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  SetGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  setGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  setGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  setGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  setGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
}

export interface AgentServiceHandlers extends grpc.UntypedServiceImplementation {
  CreateSandbox: grpc.handleUnaryCall<_vessel_agent_v1_CreateSandboxRequest__Output, _vessel_agent_v1_Empty>;
  
  DestroySandbox: grpc.handleUnaryCall<_vessel_agent_v1_DestroySandboxRequest__Output, _vessel_agent_v1_Empty>;
  
  GetGuestDetails: grpc.handleUnaryCall<_vessel_agent_v1_GuestDetailsRequest__Output, _vessel_agent_v1_GuestDetailsResponse>;
  
  SetGuestDateTime: grpc.handleUnaryCall<_vessel_agent_v1_SetGuestDateTimeRequest__Output, _vessel_agent_v1_Empty>;
  
}

export interface AgentServiceDefinition extends grpc.ServiceDefinition {
  CreateSandbox: MethodDefinition<_vessel_agent_v1_CreateSandboxRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_CreateSandboxRequest__Output, _vessel_agent_v1_Empty__Output>
  DestroySandbox: MethodDefinition<_vessel_agent_v1_DestroySandboxRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_DestroySandboxRequest__Output, _vessel_agent_v1_Empty__Output>
  GetGuestDetails: MethodDefinition<_vessel_agent_v1_GuestDetailsRequest, _vessel_agent_v1_GuestDetailsResponse, _vessel_agent_v1_GuestDetailsRequest__Output, _vessel_agent_v1_GuestDetailsResponse__Output>
  SetGuestDateTime: MethodDefinition<_vessel_agent_v1_SetGuestDateTimeRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_SetGuestDateTimeRequest__Output, _vessel_agent_v1_Empty__Output>
}
