// Original file: core/agent/proto/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CheckRequest as _vessel_agent_v1_CheckRequest, CheckRequest__Output as _vessel_agent_v1_CheckRequest__Output } from '../../../vessel/agent/v1/CheckRequest.js';
import type { HealthCheckResponse as _vessel_agent_v1_HealthCheckResponse, HealthCheckResponse__Output as _vessel_agent_v1_HealthCheckResponse__Output } from '../../../vessel/agent/v1/HealthCheckResponse.js';
import type { VersionCheckResponse as _vessel_agent_v1_VersionCheckResponse, VersionCheckResponse__Output as _vessel_agent_v1_VersionCheckResponse__Output } from '../../../vessel/agent/v1/VersionCheckResponse.js';

export interface HealthClient extends grpc.Client {
  Check(argument: _vessel_agent_v1_CheckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  Check(argument: _vessel_agent_v1_CheckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  Check(argument: _vessel_agent_v1_CheckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  Check(argument: _vessel_agent_v1_CheckRequest, callback: grpc.requestCallback<_vessel_agent_v1_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  check(argument: _vessel_agent_v1_CheckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  check(argument: _vessel_agent_v1_CheckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  check(argument: _vessel_agent_v1_CheckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  check(argument: _vessel_agent_v1_CheckRequest, callback: grpc.requestCallback<_vessel_agent_v1_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  
  Version(argument: _vessel_agent_v1_CheckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_VersionCheckResponse__Output>): grpc.ClientUnaryCall;
  Version(argument: _vessel_agent_v1_CheckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_VersionCheckResponse__Output>): grpc.ClientUnaryCall;
  Version(argument: _vessel_agent_v1_CheckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_VersionCheckResponse__Output>): grpc.ClientUnaryCall;
  Version(argument: _vessel_agent_v1_CheckRequest, callback: grpc.requestCallback<_vessel_agent_v1_VersionCheckResponse__Output>): grpc.ClientUnaryCall;
  version(argument: _vessel_agent_v1_CheckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_VersionCheckResponse__Output>): grpc.ClientUnaryCall;
  version(argument: _vessel_agent_v1_CheckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_VersionCheckResponse__Output>): grpc.ClientUnaryCall;
  version(argument: _vessel_agent_v1_CheckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_VersionCheckResponse__Output>): grpc.ClientUnaryCall;
  version(argument: _vessel_agent_v1_CheckRequest, callback: grpc.requestCallback<_vessel_agent_v1_VersionCheckResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface HealthHandlers extends grpc.UntypedServiceImplementation {
  Check: grpc.handleUnaryCall<_vessel_agent_v1_CheckRequest__Output, _vessel_agent_v1_HealthCheckResponse>;
  
  Version: grpc.handleUnaryCall<_vessel_agent_v1_CheckRequest__Output, _vessel_agent_v1_VersionCheckResponse>;
  
}

export interface HealthDefinition extends grpc.ServiceDefinition {
  Check: MethodDefinition<_vessel_agent_v1_CheckRequest, _vessel_agent_v1_HealthCheckResponse, _vessel_agent_v1_CheckRequest__Output, _vessel_agent_v1_HealthCheckResponse__Output>
  Version: MethodDefinition<_vessel_agent_v1_CheckRequest, _vessel_agent_v1_VersionCheckResponse, _vessel_agent_v1_CheckRequest__Output, _vessel_agent_v1_VersionCheckResponse__Output>
}
