// Original file: core/agent/proto/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddARPNeighborsRequest as _vessel_agent_v1_AddARPNeighborsRequest, AddARPNeighborsRequest__Output as _vessel_agent_v1_AddARPNeighborsRequest__Output } from '../../../vessel/agent/v1/AddARPNeighborsRequest.js';
import type { ContainerRequest as _vessel_agent_v1_ContainerRequest, ContainerRequest__Output as _vessel_agent_v1_ContainerRequest__Output } from '../../../vessel/agent/v1/ContainerRequest.js';
import type { CreateContainerRequest as _vessel_agent_v1_CreateContainerRequest, CreateContainerRequest__Output as _vessel_agent_v1_CreateContainerRequest__Output } from '../../../vessel/agent/v1/CreateContainerRequest.js';
import type { CreateSandboxRequest as _vessel_agent_v1_CreateSandboxRequest, CreateSandboxRequest__Output as _vessel_agent_v1_CreateSandboxRequest__Output } from '../../../vessel/agent/v1/CreateSandboxRequest.js';
import type { DestroySandboxRequest as _vessel_agent_v1_DestroySandboxRequest, DestroySandboxRequest__Output as _vessel_agent_v1_DestroySandboxRequest__Output } from '../../../vessel/agent/v1/DestroySandboxRequest.js';
import type { Empty as _vessel_agent_v1_Empty, Empty__Output as _vessel_agent_v1_Empty__Output } from '../../../vessel/agent/v1/Empty.js';
import type { ExecProcessRequest as _vessel_agent_v1_ExecProcessRequest, ExecProcessRequest__Output as _vessel_agent_v1_ExecProcessRequest__Output } from '../../../vessel/agent/v1/ExecProcessRequest.js';
import type { FindPciDeviceRequest as _vessel_agent_v1_FindPciDeviceRequest, FindPciDeviceRequest__Output as _vessel_agent_v1_FindPciDeviceRequest__Output } from '../../../vessel/agent/v1/FindPciDeviceRequest.js';
import type { FindPciDeviceResponse as _vessel_agent_v1_FindPciDeviceResponse, FindPciDeviceResponse__Output as _vessel_agent_v1_FindPciDeviceResponse__Output } from '../../../vessel/agent/v1/FindPciDeviceResponse.js';
import type { GuestDetailsRequest as _vessel_agent_v1_GuestDetailsRequest, GuestDetailsRequest__Output as _vessel_agent_v1_GuestDetailsRequest__Output } from '../../../vessel/agent/v1/GuestDetailsRequest.js';
import type { GuestDetailsResponse as _vessel_agent_v1_GuestDetailsResponse, GuestDetailsResponse__Output as _vessel_agent_v1_GuestDetailsResponse__Output } from '../../../vessel/agent/v1/GuestDetailsResponse.js';
import type { GuestIdentityRequest as _vessel_agent_v1_GuestIdentityRequest, GuestIdentityRequest__Output as _vessel_agent_v1_GuestIdentityRequest__Output } from '../../../vessel/agent/v1/GuestIdentityRequest.js';
import type { GuestIdentityResponse as _vessel_agent_v1_GuestIdentityResponse, GuestIdentityResponse__Output as _vessel_agent_v1_GuestIdentityResponse__Output } from '../../../vessel/agent/v1/GuestIdentityResponse.js';
import type { Interface as _vessel_agent_v1_Interface, Interface__Output as _vessel_agent_v1_Interface__Output } from '../../../vessel/agent/v1/Interface.js';
import type { Interfaces as _vessel_agent_v1_Interfaces, Interfaces__Output as _vessel_agent_v1_Interfaces__Output } from '../../../vessel/agent/v1/Interfaces.js';
import type { ListInterfacesRequest as _vessel_agent_v1_ListInterfacesRequest, ListInterfacesRequest__Output as _vessel_agent_v1_ListInterfacesRequest__Output } from '../../../vessel/agent/v1/ListInterfacesRequest.js';
import type { ListNetworkStatsRequest as _vessel_agent_v1_ListNetworkStatsRequest, ListNetworkStatsRequest__Output as _vessel_agent_v1_ListNetworkStatsRequest__Output } from '../../../vessel/agent/v1/ListNetworkStatsRequest.js';
import type { ListProcessesResponse as _vessel_agent_v1_ListProcessesResponse, ListProcessesResponse__Output as _vessel_agent_v1_ListProcessesResponse__Output } from '../../../vessel/agent/v1/ListProcessesResponse.js';
import type { ListRoutesRequest as _vessel_agent_v1_ListRoutesRequest, ListRoutesRequest__Output as _vessel_agent_v1_ListRoutesRequest__Output } from '../../../vessel/agent/v1/ListRoutesRequest.js';
import type { MountBlockDeviceRequest as _vessel_agent_v1_MountBlockDeviceRequest, MountBlockDeviceRequest__Output as _vessel_agent_v1_MountBlockDeviceRequest__Output } from '../../../vessel/agent/v1/MountBlockDeviceRequest.js';
import type { MountBlockDeviceResponse as _vessel_agent_v1_MountBlockDeviceResponse, MountBlockDeviceResponse__Output as _vessel_agent_v1_MountBlockDeviceResponse__Output } from '../../../vessel/agent/v1/MountBlockDeviceResponse.js';
import type { NetworkStatsResponse as _vessel_agent_v1_NetworkStatsResponse, NetworkStatsResponse__Output as _vessel_agent_v1_NetworkStatsResponse__Output } from '../../../vessel/agent/v1/NetworkStatsResponse.js';
import type { OnlineCPUMemRequest as _vessel_agent_v1_OnlineCPUMemRequest, OnlineCPUMemRequest__Output as _vessel_agent_v1_OnlineCPUMemRequest__Output } from '../../../vessel/agent/v1/OnlineCPUMemRequest.js';
import type { ProcessRequest as _vessel_agent_v1_ProcessRequest, ProcessRequest__Output as _vessel_agent_v1_ProcessRequest__Output } from '../../../vessel/agent/v1/ProcessRequest.js';
import type { ReadStreamRequest as _vessel_agent_v1_ReadStreamRequest, ReadStreamRequest__Output as _vessel_agent_v1_ReadStreamRequest__Output } from '../../../vessel/agent/v1/ReadStreamRequest.js';
import type { ReadStreamResponse as _vessel_agent_v1_ReadStreamResponse, ReadStreamResponse__Output as _vessel_agent_v1_ReadStreamResponse__Output } from '../../../vessel/agent/v1/ReadStreamResponse.js';
import type { RemoveContainerRequest as _vessel_agent_v1_RemoveContainerRequest, RemoveContainerRequest__Output as _vessel_agent_v1_RemoveContainerRequest__Output } from '../../../vessel/agent/v1/RemoveContainerRequest.js';
import type { ReseedRandomDevRequest as _vessel_agent_v1_ReseedRandomDevRequest, ReseedRandomDevRequest__Output as _vessel_agent_v1_ReseedRandomDevRequest__Output } from '../../../vessel/agent/v1/ReseedRandomDevRequest.js';
import type { Routes as _vessel_agent_v1_Routes, Routes__Output as _vessel_agent_v1_Routes__Output } from '../../../vessel/agent/v1/Routes.js';
import type { SetGuestDateTimeRequest as _vessel_agent_v1_SetGuestDateTimeRequest, SetGuestDateTimeRequest__Output as _vessel_agent_v1_SetGuestDateTimeRequest__Output } from '../../../vessel/agent/v1/SetGuestDateTimeRequest.js';
import type { SetGuestIdentityRequest as _vessel_agent_v1_SetGuestIdentityRequest, SetGuestIdentityRequest__Output as _vessel_agent_v1_SetGuestIdentityRequest__Output } from '../../../vessel/agent/v1/SetGuestIdentityRequest.js';
import type { SignalProcessRequest as _vessel_agent_v1_SignalProcessRequest, SignalProcessRequest__Output as _vessel_agent_v1_SignalProcessRequest__Output } from '../../../vessel/agent/v1/SignalProcessRequest.js';
import type { StatsContainerResponse as _vessel_agent_v1_StatsContainerResponse, StatsContainerResponse__Output as _vessel_agent_v1_StatsContainerResponse__Output } from '../../../vessel/agent/v1/StatsContainerResponse.js';
import type { TtyWinResizeRequest as _vessel_agent_v1_TtyWinResizeRequest, TtyWinResizeRequest__Output as _vessel_agent_v1_TtyWinResizeRequest__Output } from '../../../vessel/agent/v1/TtyWinResizeRequest.js';
import type { UnmountBlockDeviceRequest as _vessel_agent_v1_UnmountBlockDeviceRequest, UnmountBlockDeviceRequest__Output as _vessel_agent_v1_UnmountBlockDeviceRequest__Output } from '../../../vessel/agent/v1/UnmountBlockDeviceRequest.js';
import type { UpdateContainerRequest as _vessel_agent_v1_UpdateContainerRequest, UpdateContainerRequest__Output as _vessel_agent_v1_UpdateContainerRequest__Output } from '../../../vessel/agent/v1/UpdateContainerRequest.js';
import type { UpdateInterfaceRequest as _vessel_agent_v1_UpdateInterfaceRequest, UpdateInterfaceRequest__Output as _vessel_agent_v1_UpdateInterfaceRequest__Output } from '../../../vessel/agent/v1/UpdateInterfaceRequest.js';
import type { UpdateRoutesRequest as _vessel_agent_v1_UpdateRoutesRequest, UpdateRoutesRequest__Output as _vessel_agent_v1_UpdateRoutesRequest__Output } from '../../../vessel/agent/v1/UpdateRoutesRequest.js';
import type { WaitProcessResponse as _vessel_agent_v1_WaitProcessResponse, WaitProcessResponse__Output as _vessel_agent_v1_WaitProcessResponse__Output } from '../../../vessel/agent/v1/WaitProcessResponse.js';
import type { WriteStreamRequest as _vessel_agent_v1_WriteStreamRequest, WriteStreamRequest__Output as _vessel_agent_v1_WriteStreamRequest__Output } from '../../../vessel/agent/v1/WriteStreamRequest.js';
import type { WriteStreamResponse as _vessel_agent_v1_WriteStreamResponse, WriteStreamResponse__Output as _vessel_agent_v1_WriteStreamResponse__Output } from '../../../vessel/agent/v1/WriteStreamResponse.js';

export interface AgentServiceClient extends grpc.Client {
  AddARPNeighbors(argument: _vessel_agent_v1_AddARPNeighborsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  AddARPNeighbors(argument: _vessel_agent_v1_AddARPNeighborsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  AddARPNeighbors(argument: _vessel_agent_v1_AddARPNeighborsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  AddARPNeighbors(argument: _vessel_agent_v1_AddARPNeighborsRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  addArpNeighbors(argument: _vessel_agent_v1_AddARPNeighborsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  addArpNeighbors(argument: _vessel_agent_v1_AddARPNeighborsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  addArpNeighbors(argument: _vessel_agent_v1_AddARPNeighborsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  addArpNeighbors(argument: _vessel_agent_v1_AddARPNeighborsRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  CloseStdin(argument: _vessel_agent_v1_ProcessRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  CloseStdin(argument: _vessel_agent_v1_ProcessRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  CloseStdin(argument: _vessel_agent_v1_ProcessRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  CloseStdin(argument: _vessel_agent_v1_ProcessRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  closeStdin(argument: _vessel_agent_v1_ProcessRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  closeStdin(argument: _vessel_agent_v1_ProcessRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  closeStdin(argument: _vessel_agent_v1_ProcessRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  closeStdin(argument: _vessel_agent_v1_ProcessRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  CreateContainer(argument: _vessel_agent_v1_CreateContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  CreateContainer(argument: _vessel_agent_v1_CreateContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  CreateContainer(argument: _vessel_agent_v1_CreateContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  CreateContainer(argument: _vessel_agent_v1_CreateContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  createContainer(argument: _vessel_agent_v1_CreateContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  createContainer(argument: _vessel_agent_v1_CreateContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  createContainer(argument: _vessel_agent_v1_CreateContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  createContainer(argument: _vessel_agent_v1_CreateContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
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
  
  ExecProcess(argument: _vessel_agent_v1_ExecProcessRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  ExecProcess(argument: _vessel_agent_v1_ExecProcessRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  ExecProcess(argument: _vessel_agent_v1_ExecProcessRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  ExecProcess(argument: _vessel_agent_v1_ExecProcessRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  execProcess(argument: _vessel_agent_v1_ExecProcessRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  execProcess(argument: _vessel_agent_v1_ExecProcessRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  execProcess(argument: _vessel_agent_v1_ExecProcessRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  execProcess(argument: _vessel_agent_v1_ExecProcessRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  FindPciDevice(argument: _vessel_agent_v1_FindPciDeviceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_FindPciDeviceResponse__Output>): grpc.ClientUnaryCall;
  FindPciDevice(argument: _vessel_agent_v1_FindPciDeviceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_FindPciDeviceResponse__Output>): grpc.ClientUnaryCall;
  FindPciDevice(argument: _vessel_agent_v1_FindPciDeviceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_FindPciDeviceResponse__Output>): grpc.ClientUnaryCall;
  FindPciDevice(argument: _vessel_agent_v1_FindPciDeviceRequest, callback: grpc.requestCallback<_vessel_agent_v1_FindPciDeviceResponse__Output>): grpc.ClientUnaryCall;
  findPciDevice(argument: _vessel_agent_v1_FindPciDeviceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_FindPciDeviceResponse__Output>): grpc.ClientUnaryCall;
  findPciDevice(argument: _vessel_agent_v1_FindPciDeviceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_FindPciDeviceResponse__Output>): grpc.ClientUnaryCall;
  findPciDevice(argument: _vessel_agent_v1_FindPciDeviceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_FindPciDeviceResponse__Output>): grpc.ClientUnaryCall;
  findPciDevice(argument: _vessel_agent_v1_FindPciDeviceRequest, callback: grpc.requestCallback<_vessel_agent_v1_FindPciDeviceResponse__Output>): grpc.ClientUnaryCall;
  
  GetGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  GetGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  GetGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  GetGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  getGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  getGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  getGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  getGuestDetails(argument: _vessel_agent_v1_GuestDetailsRequest, callback: grpc.requestCallback<_vessel_agent_v1_GuestDetailsResponse__Output>): grpc.ClientUnaryCall;
  
  GetGuestIdentity(argument: _vessel_agent_v1_GuestIdentityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_GuestIdentityResponse__Output>): grpc.ClientUnaryCall;
  GetGuestIdentity(argument: _vessel_agent_v1_GuestIdentityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_GuestIdentityResponse__Output>): grpc.ClientUnaryCall;
  GetGuestIdentity(argument: _vessel_agent_v1_GuestIdentityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_GuestIdentityResponse__Output>): grpc.ClientUnaryCall;
  GetGuestIdentity(argument: _vessel_agent_v1_GuestIdentityRequest, callback: grpc.requestCallback<_vessel_agent_v1_GuestIdentityResponse__Output>): grpc.ClientUnaryCall;
  getGuestIdentity(argument: _vessel_agent_v1_GuestIdentityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_GuestIdentityResponse__Output>): grpc.ClientUnaryCall;
  getGuestIdentity(argument: _vessel_agent_v1_GuestIdentityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_GuestIdentityResponse__Output>): grpc.ClientUnaryCall;
  getGuestIdentity(argument: _vessel_agent_v1_GuestIdentityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_GuestIdentityResponse__Output>): grpc.ClientUnaryCall;
  getGuestIdentity(argument: _vessel_agent_v1_GuestIdentityRequest, callback: grpc.requestCallback<_vessel_agent_v1_GuestIdentityResponse__Output>): grpc.ClientUnaryCall;
  
  ListInterfaces(argument: _vessel_agent_v1_ListInterfacesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Interfaces__Output>): grpc.ClientUnaryCall;
  ListInterfaces(argument: _vessel_agent_v1_ListInterfacesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Interfaces__Output>): grpc.ClientUnaryCall;
  ListInterfaces(argument: _vessel_agent_v1_ListInterfacesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Interfaces__Output>): grpc.ClientUnaryCall;
  ListInterfaces(argument: _vessel_agent_v1_ListInterfacesRequest, callback: grpc.requestCallback<_vessel_agent_v1_Interfaces__Output>): grpc.ClientUnaryCall;
  listInterfaces(argument: _vessel_agent_v1_ListInterfacesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Interfaces__Output>): grpc.ClientUnaryCall;
  listInterfaces(argument: _vessel_agent_v1_ListInterfacesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Interfaces__Output>): grpc.ClientUnaryCall;
  listInterfaces(argument: _vessel_agent_v1_ListInterfacesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Interfaces__Output>): grpc.ClientUnaryCall;
  listInterfaces(argument: _vessel_agent_v1_ListInterfacesRequest, callback: grpc.requestCallback<_vessel_agent_v1_Interfaces__Output>): grpc.ClientUnaryCall;
  
  ListNetworkStats(argument: _vessel_agent_v1_ListNetworkStatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_NetworkStatsResponse__Output>): grpc.ClientUnaryCall;
  ListNetworkStats(argument: _vessel_agent_v1_ListNetworkStatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_NetworkStatsResponse__Output>): grpc.ClientUnaryCall;
  ListNetworkStats(argument: _vessel_agent_v1_ListNetworkStatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_NetworkStatsResponse__Output>): grpc.ClientUnaryCall;
  ListNetworkStats(argument: _vessel_agent_v1_ListNetworkStatsRequest, callback: grpc.requestCallback<_vessel_agent_v1_NetworkStatsResponse__Output>): grpc.ClientUnaryCall;
  listNetworkStats(argument: _vessel_agent_v1_ListNetworkStatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_NetworkStatsResponse__Output>): grpc.ClientUnaryCall;
  listNetworkStats(argument: _vessel_agent_v1_ListNetworkStatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_NetworkStatsResponse__Output>): grpc.ClientUnaryCall;
  listNetworkStats(argument: _vessel_agent_v1_ListNetworkStatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_NetworkStatsResponse__Output>): grpc.ClientUnaryCall;
  listNetworkStats(argument: _vessel_agent_v1_ListNetworkStatsRequest, callback: grpc.requestCallback<_vessel_agent_v1_NetworkStatsResponse__Output>): grpc.ClientUnaryCall;
  
  ListProcesses(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_ListProcessesResponse__Output>): grpc.ClientUnaryCall;
  ListProcesses(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_ListProcessesResponse__Output>): grpc.ClientUnaryCall;
  ListProcesses(argument: _vessel_agent_v1_ContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_ListProcessesResponse__Output>): grpc.ClientUnaryCall;
  ListProcesses(argument: _vessel_agent_v1_ContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_ListProcessesResponse__Output>): grpc.ClientUnaryCall;
  listProcesses(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_ListProcessesResponse__Output>): grpc.ClientUnaryCall;
  listProcesses(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_ListProcessesResponse__Output>): grpc.ClientUnaryCall;
  listProcesses(argument: _vessel_agent_v1_ContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_ListProcessesResponse__Output>): grpc.ClientUnaryCall;
  listProcesses(argument: _vessel_agent_v1_ContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_ListProcessesResponse__Output>): grpc.ClientUnaryCall;
  
  ListRoutes(argument: _vessel_agent_v1_ListRoutesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  ListRoutes(argument: _vessel_agent_v1_ListRoutesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  ListRoutes(argument: _vessel_agent_v1_ListRoutesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  ListRoutes(argument: _vessel_agent_v1_ListRoutesRequest, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  listRoutes(argument: _vessel_agent_v1_ListRoutesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  listRoutes(argument: _vessel_agent_v1_ListRoutesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  listRoutes(argument: _vessel_agent_v1_ListRoutesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  listRoutes(argument: _vessel_agent_v1_ListRoutesRequest, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  
  MountBlockDevice(argument: _vessel_agent_v1_MountBlockDeviceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_MountBlockDeviceResponse__Output>): grpc.ClientUnaryCall;
  MountBlockDevice(argument: _vessel_agent_v1_MountBlockDeviceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_MountBlockDeviceResponse__Output>): grpc.ClientUnaryCall;
  MountBlockDevice(argument: _vessel_agent_v1_MountBlockDeviceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_MountBlockDeviceResponse__Output>): grpc.ClientUnaryCall;
  MountBlockDevice(argument: _vessel_agent_v1_MountBlockDeviceRequest, callback: grpc.requestCallback<_vessel_agent_v1_MountBlockDeviceResponse__Output>): grpc.ClientUnaryCall;
  mountBlockDevice(argument: _vessel_agent_v1_MountBlockDeviceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_MountBlockDeviceResponse__Output>): grpc.ClientUnaryCall;
  mountBlockDevice(argument: _vessel_agent_v1_MountBlockDeviceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_MountBlockDeviceResponse__Output>): grpc.ClientUnaryCall;
  mountBlockDevice(argument: _vessel_agent_v1_MountBlockDeviceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_MountBlockDeviceResponse__Output>): grpc.ClientUnaryCall;
  mountBlockDevice(argument: _vessel_agent_v1_MountBlockDeviceRequest, callback: grpc.requestCallback<_vessel_agent_v1_MountBlockDeviceResponse__Output>): grpc.ClientUnaryCall;
  
  OnlineCPUMem(argument: _vessel_agent_v1_OnlineCPUMemRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  OnlineCPUMem(argument: _vessel_agent_v1_OnlineCPUMemRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  OnlineCPUMem(argument: _vessel_agent_v1_OnlineCPUMemRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  OnlineCPUMem(argument: _vessel_agent_v1_OnlineCPUMemRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  onlineCpuMem(argument: _vessel_agent_v1_OnlineCPUMemRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  onlineCpuMem(argument: _vessel_agent_v1_OnlineCPUMemRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  onlineCpuMem(argument: _vessel_agent_v1_OnlineCPUMemRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  onlineCpuMem(argument: _vessel_agent_v1_OnlineCPUMemRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  PauseContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  PauseContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  PauseContainer(argument: _vessel_agent_v1_ContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  PauseContainer(argument: _vessel_agent_v1_ContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  pauseContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  pauseContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  pauseContainer(argument: _vessel_agent_v1_ContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  pauseContainer(argument: _vessel_agent_v1_ContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  ReadStderr(argument: _vessel_agent_v1_ReadStreamRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  ReadStderr(argument: _vessel_agent_v1_ReadStreamRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  ReadStderr(argument: _vessel_agent_v1_ReadStreamRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  ReadStderr(argument: _vessel_agent_v1_ReadStreamRequest, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  readStderr(argument: _vessel_agent_v1_ReadStreamRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  readStderr(argument: _vessel_agent_v1_ReadStreamRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  readStderr(argument: _vessel_agent_v1_ReadStreamRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  readStderr(argument: _vessel_agent_v1_ReadStreamRequest, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  
  ReadStdout(argument: _vessel_agent_v1_ReadStreamRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  ReadStdout(argument: _vessel_agent_v1_ReadStreamRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  ReadStdout(argument: _vessel_agent_v1_ReadStreamRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  ReadStdout(argument: _vessel_agent_v1_ReadStreamRequest, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  readStdout(argument: _vessel_agent_v1_ReadStreamRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  readStdout(argument: _vessel_agent_v1_ReadStreamRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  readStdout(argument: _vessel_agent_v1_ReadStreamRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  readStdout(argument: _vessel_agent_v1_ReadStreamRequest, callback: grpc.requestCallback<_vessel_agent_v1_ReadStreamResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveContainer(argument: _vessel_agent_v1_RemoveContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  RemoveContainer(argument: _vessel_agent_v1_RemoveContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  RemoveContainer(argument: _vessel_agent_v1_RemoveContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  RemoveContainer(argument: _vessel_agent_v1_RemoveContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  removeContainer(argument: _vessel_agent_v1_RemoveContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  removeContainer(argument: _vessel_agent_v1_RemoveContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  removeContainer(argument: _vessel_agent_v1_RemoveContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  removeContainer(argument: _vessel_agent_v1_RemoveContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  ReseedRandomDev(argument: _vessel_agent_v1_ReseedRandomDevRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  ReseedRandomDev(argument: _vessel_agent_v1_ReseedRandomDevRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  ReseedRandomDev(argument: _vessel_agent_v1_ReseedRandomDevRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  ReseedRandomDev(argument: _vessel_agent_v1_ReseedRandomDevRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  reseedRandomDev(argument: _vessel_agent_v1_ReseedRandomDevRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  reseedRandomDev(argument: _vessel_agent_v1_ReseedRandomDevRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  reseedRandomDev(argument: _vessel_agent_v1_ReseedRandomDevRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  reseedRandomDev(argument: _vessel_agent_v1_ReseedRandomDevRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  ResumeContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  ResumeContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  ResumeContainer(argument: _vessel_agent_v1_ContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  ResumeContainer(argument: _vessel_agent_v1_ContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  resumeContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  resumeContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  resumeContainer(argument: _vessel_agent_v1_ContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  resumeContainer(argument: _vessel_agent_v1_ContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  SetGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  SetGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  SetGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  SetGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  setGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  setGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  setGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  setGuestDateTime(argument: _vessel_agent_v1_SetGuestDateTimeRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  SetGuestIdentity(argument: _vessel_agent_v1_SetGuestIdentityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  SetGuestIdentity(argument: _vessel_agent_v1_SetGuestIdentityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  SetGuestIdentity(argument: _vessel_agent_v1_SetGuestIdentityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  SetGuestIdentity(argument: _vessel_agent_v1_SetGuestIdentityRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  setGuestIdentity(argument: _vessel_agent_v1_SetGuestIdentityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  setGuestIdentity(argument: _vessel_agent_v1_SetGuestIdentityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  setGuestIdentity(argument: _vessel_agent_v1_SetGuestIdentityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  setGuestIdentity(argument: _vessel_agent_v1_SetGuestIdentityRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  SignalProcess(argument: _vessel_agent_v1_SignalProcessRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  SignalProcess(argument: _vessel_agent_v1_SignalProcessRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  SignalProcess(argument: _vessel_agent_v1_SignalProcessRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  SignalProcess(argument: _vessel_agent_v1_SignalProcessRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  signalProcess(argument: _vessel_agent_v1_SignalProcessRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  signalProcess(argument: _vessel_agent_v1_SignalProcessRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  signalProcess(argument: _vessel_agent_v1_SignalProcessRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  signalProcess(argument: _vessel_agent_v1_SignalProcessRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  StartContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  StartContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  StartContainer(argument: _vessel_agent_v1_ContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  StartContainer(argument: _vessel_agent_v1_ContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  startContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  startContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  startContainer(argument: _vessel_agent_v1_ContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  startContainer(argument: _vessel_agent_v1_ContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  StatsContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_StatsContainerResponse__Output>): grpc.ClientUnaryCall;
  StatsContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_StatsContainerResponse__Output>): grpc.ClientUnaryCall;
  StatsContainer(argument: _vessel_agent_v1_ContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_StatsContainerResponse__Output>): grpc.ClientUnaryCall;
  StatsContainer(argument: _vessel_agent_v1_ContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_StatsContainerResponse__Output>): grpc.ClientUnaryCall;
  statsContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_StatsContainerResponse__Output>): grpc.ClientUnaryCall;
  statsContainer(argument: _vessel_agent_v1_ContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_StatsContainerResponse__Output>): grpc.ClientUnaryCall;
  statsContainer(argument: _vessel_agent_v1_ContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_StatsContainerResponse__Output>): grpc.ClientUnaryCall;
  statsContainer(argument: _vessel_agent_v1_ContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_StatsContainerResponse__Output>): grpc.ClientUnaryCall;
  
  TtyWinResize(argument: _vessel_agent_v1_TtyWinResizeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  TtyWinResize(argument: _vessel_agent_v1_TtyWinResizeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  TtyWinResize(argument: _vessel_agent_v1_TtyWinResizeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  TtyWinResize(argument: _vessel_agent_v1_TtyWinResizeRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  ttyWinResize(argument: _vessel_agent_v1_TtyWinResizeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  ttyWinResize(argument: _vessel_agent_v1_TtyWinResizeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  ttyWinResize(argument: _vessel_agent_v1_TtyWinResizeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  ttyWinResize(argument: _vessel_agent_v1_TtyWinResizeRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  UnmountBlockDevice(argument: _vessel_agent_v1_UnmountBlockDeviceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  UnmountBlockDevice(argument: _vessel_agent_v1_UnmountBlockDeviceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  UnmountBlockDevice(argument: _vessel_agent_v1_UnmountBlockDeviceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  UnmountBlockDevice(argument: _vessel_agent_v1_UnmountBlockDeviceRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  unmountBlockDevice(argument: _vessel_agent_v1_UnmountBlockDeviceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  unmountBlockDevice(argument: _vessel_agent_v1_UnmountBlockDeviceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  unmountBlockDevice(argument: _vessel_agent_v1_UnmountBlockDeviceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  unmountBlockDevice(argument: _vessel_agent_v1_UnmountBlockDeviceRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  UpdateContainer(argument: _vessel_agent_v1_UpdateContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  UpdateContainer(argument: _vessel_agent_v1_UpdateContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  UpdateContainer(argument: _vessel_agent_v1_UpdateContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  UpdateContainer(argument: _vessel_agent_v1_UpdateContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  updateContainer(argument: _vessel_agent_v1_UpdateContainerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  updateContainer(argument: _vessel_agent_v1_UpdateContainerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  updateContainer(argument: _vessel_agent_v1_UpdateContainerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  updateContainer(argument: _vessel_agent_v1_UpdateContainerRequest, callback: grpc.requestCallback<_vessel_agent_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  UpdateInterface(argument: _vessel_agent_v1_UpdateInterfaceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Interface__Output>): grpc.ClientUnaryCall;
  UpdateInterface(argument: _vessel_agent_v1_UpdateInterfaceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Interface__Output>): grpc.ClientUnaryCall;
  UpdateInterface(argument: _vessel_agent_v1_UpdateInterfaceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Interface__Output>): grpc.ClientUnaryCall;
  UpdateInterface(argument: _vessel_agent_v1_UpdateInterfaceRequest, callback: grpc.requestCallback<_vessel_agent_v1_Interface__Output>): grpc.ClientUnaryCall;
  updateInterface(argument: _vessel_agent_v1_UpdateInterfaceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Interface__Output>): grpc.ClientUnaryCall;
  updateInterface(argument: _vessel_agent_v1_UpdateInterfaceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Interface__Output>): grpc.ClientUnaryCall;
  updateInterface(argument: _vessel_agent_v1_UpdateInterfaceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Interface__Output>): grpc.ClientUnaryCall;
  updateInterface(argument: _vessel_agent_v1_UpdateInterfaceRequest, callback: grpc.requestCallback<_vessel_agent_v1_Interface__Output>): grpc.ClientUnaryCall;
  
  UpdateRoutes(argument: _vessel_agent_v1_UpdateRoutesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  UpdateRoutes(argument: _vessel_agent_v1_UpdateRoutesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  UpdateRoutes(argument: _vessel_agent_v1_UpdateRoutesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  UpdateRoutes(argument: _vessel_agent_v1_UpdateRoutesRequest, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  updateRoutes(argument: _vessel_agent_v1_UpdateRoutesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  updateRoutes(argument: _vessel_agent_v1_UpdateRoutesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  updateRoutes(argument: _vessel_agent_v1_UpdateRoutesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  updateRoutes(argument: _vessel_agent_v1_UpdateRoutesRequest, callback: grpc.requestCallback<_vessel_agent_v1_Routes__Output>): grpc.ClientUnaryCall;
  
  WaitProcess(argument: _vessel_agent_v1_ProcessRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_WaitProcessResponse__Output>): grpc.ClientUnaryCall;
  WaitProcess(argument: _vessel_agent_v1_ProcessRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_WaitProcessResponse__Output>): grpc.ClientUnaryCall;
  WaitProcess(argument: _vessel_agent_v1_ProcessRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_WaitProcessResponse__Output>): grpc.ClientUnaryCall;
  WaitProcess(argument: _vessel_agent_v1_ProcessRequest, callback: grpc.requestCallback<_vessel_agent_v1_WaitProcessResponse__Output>): grpc.ClientUnaryCall;
  waitProcess(argument: _vessel_agent_v1_ProcessRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_WaitProcessResponse__Output>): grpc.ClientUnaryCall;
  waitProcess(argument: _vessel_agent_v1_ProcessRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_WaitProcessResponse__Output>): grpc.ClientUnaryCall;
  waitProcess(argument: _vessel_agent_v1_ProcessRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_WaitProcessResponse__Output>): grpc.ClientUnaryCall;
  waitProcess(argument: _vessel_agent_v1_ProcessRequest, callback: grpc.requestCallback<_vessel_agent_v1_WaitProcessResponse__Output>): grpc.ClientUnaryCall;
  
  WriteStdin(argument: _vessel_agent_v1_WriteStreamRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_WriteStreamResponse__Output>): grpc.ClientUnaryCall;
  WriteStdin(argument: _vessel_agent_v1_WriteStreamRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_WriteStreamResponse__Output>): grpc.ClientUnaryCall;
  WriteStdin(argument: _vessel_agent_v1_WriteStreamRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_WriteStreamResponse__Output>): grpc.ClientUnaryCall;
  WriteStdin(argument: _vessel_agent_v1_WriteStreamRequest, callback: grpc.requestCallback<_vessel_agent_v1_WriteStreamResponse__Output>): grpc.ClientUnaryCall;
  writeStdin(argument: _vessel_agent_v1_WriteStreamRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_WriteStreamResponse__Output>): grpc.ClientUnaryCall;
  writeStdin(argument: _vessel_agent_v1_WriteStreamRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vessel_agent_v1_WriteStreamResponse__Output>): grpc.ClientUnaryCall;
  writeStdin(argument: _vessel_agent_v1_WriteStreamRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vessel_agent_v1_WriteStreamResponse__Output>): grpc.ClientUnaryCall;
  writeStdin(argument: _vessel_agent_v1_WriteStreamRequest, callback: grpc.requestCallback<_vessel_agent_v1_WriteStreamResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AgentServiceHandlers extends grpc.UntypedServiceImplementation {
  AddARPNeighbors: grpc.handleUnaryCall<_vessel_agent_v1_AddARPNeighborsRequest__Output, _vessel_agent_v1_Empty>;
  
  CloseStdin: grpc.handleUnaryCall<_vessel_agent_v1_ProcessRequest__Output, _vessel_agent_v1_Empty>;
  
  CreateContainer: grpc.handleUnaryCall<_vessel_agent_v1_CreateContainerRequest__Output, _vessel_agent_v1_Empty>;
  
  CreateSandbox: grpc.handleUnaryCall<_vessel_agent_v1_CreateSandboxRequest__Output, _vessel_agent_v1_Empty>;
  
  DestroySandbox: grpc.handleUnaryCall<_vessel_agent_v1_DestroySandboxRequest__Output, _vessel_agent_v1_Empty>;
  
  ExecProcess: grpc.handleUnaryCall<_vessel_agent_v1_ExecProcessRequest__Output, _vessel_agent_v1_Empty>;
  
  FindPciDevice: grpc.handleUnaryCall<_vessel_agent_v1_FindPciDeviceRequest__Output, _vessel_agent_v1_FindPciDeviceResponse>;
  
  GetGuestDetails: grpc.handleUnaryCall<_vessel_agent_v1_GuestDetailsRequest__Output, _vessel_agent_v1_GuestDetailsResponse>;
  
  GetGuestIdentity: grpc.handleUnaryCall<_vessel_agent_v1_GuestIdentityRequest__Output, _vessel_agent_v1_GuestIdentityResponse>;
  
  ListInterfaces: grpc.handleUnaryCall<_vessel_agent_v1_ListInterfacesRequest__Output, _vessel_agent_v1_Interfaces>;
  
  ListNetworkStats: grpc.handleUnaryCall<_vessel_agent_v1_ListNetworkStatsRequest__Output, _vessel_agent_v1_NetworkStatsResponse>;
  
  ListProcesses: grpc.handleUnaryCall<_vessel_agent_v1_ContainerRequest__Output, _vessel_agent_v1_ListProcessesResponse>;
  
  ListRoutes: grpc.handleUnaryCall<_vessel_agent_v1_ListRoutesRequest__Output, _vessel_agent_v1_Routes>;
  
  MountBlockDevice: grpc.handleUnaryCall<_vessel_agent_v1_MountBlockDeviceRequest__Output, _vessel_agent_v1_MountBlockDeviceResponse>;
  
  OnlineCPUMem: grpc.handleUnaryCall<_vessel_agent_v1_OnlineCPUMemRequest__Output, _vessel_agent_v1_Empty>;
  
  PauseContainer: grpc.handleUnaryCall<_vessel_agent_v1_ContainerRequest__Output, _vessel_agent_v1_Empty>;
  
  ReadStderr: grpc.handleUnaryCall<_vessel_agent_v1_ReadStreamRequest__Output, _vessel_agent_v1_ReadStreamResponse>;
  
  ReadStdout: grpc.handleUnaryCall<_vessel_agent_v1_ReadStreamRequest__Output, _vessel_agent_v1_ReadStreamResponse>;
  
  RemoveContainer: grpc.handleUnaryCall<_vessel_agent_v1_RemoveContainerRequest__Output, _vessel_agent_v1_Empty>;
  
  ReseedRandomDev: grpc.handleUnaryCall<_vessel_agent_v1_ReseedRandomDevRequest__Output, _vessel_agent_v1_Empty>;
  
  ResumeContainer: grpc.handleUnaryCall<_vessel_agent_v1_ContainerRequest__Output, _vessel_agent_v1_Empty>;
  
  SetGuestDateTime: grpc.handleUnaryCall<_vessel_agent_v1_SetGuestDateTimeRequest__Output, _vessel_agent_v1_Empty>;
  
  SetGuestIdentity: grpc.handleUnaryCall<_vessel_agent_v1_SetGuestIdentityRequest__Output, _vessel_agent_v1_Empty>;
  
  SignalProcess: grpc.handleUnaryCall<_vessel_agent_v1_SignalProcessRequest__Output, _vessel_agent_v1_Empty>;
  
  StartContainer: grpc.handleUnaryCall<_vessel_agent_v1_ContainerRequest__Output, _vessel_agent_v1_Empty>;
  
  StatsContainer: grpc.handleUnaryCall<_vessel_agent_v1_ContainerRequest__Output, _vessel_agent_v1_StatsContainerResponse>;
  
  TtyWinResize: grpc.handleUnaryCall<_vessel_agent_v1_TtyWinResizeRequest__Output, _vessel_agent_v1_Empty>;
  
  UnmountBlockDevice: grpc.handleUnaryCall<_vessel_agent_v1_UnmountBlockDeviceRequest__Output, _vessel_agent_v1_Empty>;
  
  UpdateContainer: grpc.handleUnaryCall<_vessel_agent_v1_UpdateContainerRequest__Output, _vessel_agent_v1_Empty>;
  
  UpdateInterface: grpc.handleUnaryCall<_vessel_agent_v1_UpdateInterfaceRequest__Output, _vessel_agent_v1_Interface>;
  
  UpdateRoutes: grpc.handleUnaryCall<_vessel_agent_v1_UpdateRoutesRequest__Output, _vessel_agent_v1_Routes>;
  
  WaitProcess: grpc.handleUnaryCall<_vessel_agent_v1_ProcessRequest__Output, _vessel_agent_v1_WaitProcessResponse>;
  
  WriteStdin: grpc.handleUnaryCall<_vessel_agent_v1_WriteStreamRequest__Output, _vessel_agent_v1_WriteStreamResponse>;
  
}

export interface AgentServiceDefinition extends grpc.ServiceDefinition {
  AddARPNeighbors: MethodDefinition<_vessel_agent_v1_AddARPNeighborsRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_AddARPNeighborsRequest__Output, _vessel_agent_v1_Empty__Output>
  CloseStdin: MethodDefinition<_vessel_agent_v1_ProcessRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_ProcessRequest__Output, _vessel_agent_v1_Empty__Output>
  CreateContainer: MethodDefinition<_vessel_agent_v1_CreateContainerRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_CreateContainerRequest__Output, _vessel_agent_v1_Empty__Output>
  CreateSandbox: MethodDefinition<_vessel_agent_v1_CreateSandboxRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_CreateSandboxRequest__Output, _vessel_agent_v1_Empty__Output>
  DestroySandbox: MethodDefinition<_vessel_agent_v1_DestroySandboxRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_DestroySandboxRequest__Output, _vessel_agent_v1_Empty__Output>
  ExecProcess: MethodDefinition<_vessel_agent_v1_ExecProcessRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_ExecProcessRequest__Output, _vessel_agent_v1_Empty__Output>
  FindPciDevice: MethodDefinition<_vessel_agent_v1_FindPciDeviceRequest, _vessel_agent_v1_FindPciDeviceResponse, _vessel_agent_v1_FindPciDeviceRequest__Output, _vessel_agent_v1_FindPciDeviceResponse__Output>
  GetGuestDetails: MethodDefinition<_vessel_agent_v1_GuestDetailsRequest, _vessel_agent_v1_GuestDetailsResponse, _vessel_agent_v1_GuestDetailsRequest__Output, _vessel_agent_v1_GuestDetailsResponse__Output>
  GetGuestIdentity: MethodDefinition<_vessel_agent_v1_GuestIdentityRequest, _vessel_agent_v1_GuestIdentityResponse, _vessel_agent_v1_GuestIdentityRequest__Output, _vessel_agent_v1_GuestIdentityResponse__Output>
  ListInterfaces: MethodDefinition<_vessel_agent_v1_ListInterfacesRequest, _vessel_agent_v1_Interfaces, _vessel_agent_v1_ListInterfacesRequest__Output, _vessel_agent_v1_Interfaces__Output>
  ListNetworkStats: MethodDefinition<_vessel_agent_v1_ListNetworkStatsRequest, _vessel_agent_v1_NetworkStatsResponse, _vessel_agent_v1_ListNetworkStatsRequest__Output, _vessel_agent_v1_NetworkStatsResponse__Output>
  ListProcesses: MethodDefinition<_vessel_agent_v1_ContainerRequest, _vessel_agent_v1_ListProcessesResponse, _vessel_agent_v1_ContainerRequest__Output, _vessel_agent_v1_ListProcessesResponse__Output>
  ListRoutes: MethodDefinition<_vessel_agent_v1_ListRoutesRequest, _vessel_agent_v1_Routes, _vessel_agent_v1_ListRoutesRequest__Output, _vessel_agent_v1_Routes__Output>
  MountBlockDevice: MethodDefinition<_vessel_agent_v1_MountBlockDeviceRequest, _vessel_agent_v1_MountBlockDeviceResponse, _vessel_agent_v1_MountBlockDeviceRequest__Output, _vessel_agent_v1_MountBlockDeviceResponse__Output>
  OnlineCPUMem: MethodDefinition<_vessel_agent_v1_OnlineCPUMemRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_OnlineCPUMemRequest__Output, _vessel_agent_v1_Empty__Output>
  PauseContainer: MethodDefinition<_vessel_agent_v1_ContainerRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_ContainerRequest__Output, _vessel_agent_v1_Empty__Output>
  ReadStderr: MethodDefinition<_vessel_agent_v1_ReadStreamRequest, _vessel_agent_v1_ReadStreamResponse, _vessel_agent_v1_ReadStreamRequest__Output, _vessel_agent_v1_ReadStreamResponse__Output>
  ReadStdout: MethodDefinition<_vessel_agent_v1_ReadStreamRequest, _vessel_agent_v1_ReadStreamResponse, _vessel_agent_v1_ReadStreamRequest__Output, _vessel_agent_v1_ReadStreamResponse__Output>
  RemoveContainer: MethodDefinition<_vessel_agent_v1_RemoveContainerRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_RemoveContainerRequest__Output, _vessel_agent_v1_Empty__Output>
  ReseedRandomDev: MethodDefinition<_vessel_agent_v1_ReseedRandomDevRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_ReseedRandomDevRequest__Output, _vessel_agent_v1_Empty__Output>
  ResumeContainer: MethodDefinition<_vessel_agent_v1_ContainerRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_ContainerRequest__Output, _vessel_agent_v1_Empty__Output>
  SetGuestDateTime: MethodDefinition<_vessel_agent_v1_SetGuestDateTimeRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_SetGuestDateTimeRequest__Output, _vessel_agent_v1_Empty__Output>
  SetGuestIdentity: MethodDefinition<_vessel_agent_v1_SetGuestIdentityRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_SetGuestIdentityRequest__Output, _vessel_agent_v1_Empty__Output>
  SignalProcess: MethodDefinition<_vessel_agent_v1_SignalProcessRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_SignalProcessRequest__Output, _vessel_agent_v1_Empty__Output>
  StartContainer: MethodDefinition<_vessel_agent_v1_ContainerRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_ContainerRequest__Output, _vessel_agent_v1_Empty__Output>
  StatsContainer: MethodDefinition<_vessel_agent_v1_ContainerRequest, _vessel_agent_v1_StatsContainerResponse, _vessel_agent_v1_ContainerRequest__Output, _vessel_agent_v1_StatsContainerResponse__Output>
  TtyWinResize: MethodDefinition<_vessel_agent_v1_TtyWinResizeRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_TtyWinResizeRequest__Output, _vessel_agent_v1_Empty__Output>
  UnmountBlockDevice: MethodDefinition<_vessel_agent_v1_UnmountBlockDeviceRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_UnmountBlockDeviceRequest__Output, _vessel_agent_v1_Empty__Output>
  UpdateContainer: MethodDefinition<_vessel_agent_v1_UpdateContainerRequest, _vessel_agent_v1_Empty, _vessel_agent_v1_UpdateContainerRequest__Output, _vessel_agent_v1_Empty__Output>
  UpdateInterface: MethodDefinition<_vessel_agent_v1_UpdateInterfaceRequest, _vessel_agent_v1_Interface, _vessel_agent_v1_UpdateInterfaceRequest__Output, _vessel_agent_v1_Interface__Output>
  UpdateRoutes: MethodDefinition<_vessel_agent_v1_UpdateRoutesRequest, _vessel_agent_v1_Routes, _vessel_agent_v1_UpdateRoutesRequest__Output, _vessel_agent_v1_Routes__Output>
  WaitProcess: MethodDefinition<_vessel_agent_v1_ProcessRequest, _vessel_agent_v1_WaitProcessResponse, _vessel_agent_v1_ProcessRequest__Output, _vessel_agent_v1_WaitProcessResponse__Output>
  WriteStdin: MethodDefinition<_vessel_agent_v1_WriteStreamRequest, _vessel_agent_v1_WriteStreamResponse, _vessel_agent_v1_WriteStreamRequest__Output, _vessel_agent_v1_WriteStreamResponse__Output>
}
