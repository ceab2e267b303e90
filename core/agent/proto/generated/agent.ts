import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ARPNeighbor as _vessel_agent_v1_ARPNeighbor, ARPNeighbor__Output as _vessel_agent_v1_ARPNeighbor__Output } from './vessel/agent/v1/ARPNeighbor.js';
import type { ARPNeighbors as _vessel_agent_v1_ARPNeighbors, ARPNeighbors__Output as _vessel_agent_v1_ARPNeighbors__Output } from './vessel/agent/v1/ARPNeighbors.js';
import type { AddARPNeighborsRequest as _vessel_agent_v1_AddARPNeighborsRequest, AddARPNeighborsRequest__Output as _vessel_agent_v1_AddARPNeighborsRequest__Output } from './vessel/agent/v1/AddARPNeighborsRequest.js';
import type { AgentServiceClient as _vessel_agent_v1_AgentServiceClient, AgentServiceDefinition as _vessel_agent_v1_AgentServiceDefinition } from './vessel/agent/v1/AgentService.js';
import type { BlkioDeviceStats as _vessel_agent_v1_BlkioDeviceStats, BlkioDeviceStats__Output as _vessel_agent_v1_BlkioDeviceStats__Output } from './vessel/agent/v1/BlkioDeviceStats.js';
import type { CheckRequest as _vessel_agent_v1_CheckRequest, CheckRequest__Output as _vessel_agent_v1_CheckRequest__Output } from './vessel/agent/v1/CheckRequest.js';
import type { ContainerRequest as _vessel_agent_v1_ContainerRequest, ContainerRequest__Output as _vessel_agent_v1_ContainerRequest__Output } from './vessel/agent/v1/ContainerRequest.js';
import type { CpuStats as _vessel_agent_v1_CpuStats, CpuStats__Output as _vessel_agent_v1_CpuStats__Output } from './vessel/agent/v1/CpuStats.js';
import type { CreateContainerRequest as _vessel_agent_v1_CreateContainerRequest, CreateContainerRequest__Output as _vessel_agent_v1_CreateContainerRequest__Output } from './vessel/agent/v1/CreateContainerRequest.js';
import type { CreateSandboxRequest as _vessel_agent_v1_CreateSandboxRequest, CreateSandboxRequest__Output as _vessel_agent_v1_CreateSandboxRequest__Output } from './vessel/agent/v1/CreateSandboxRequest.js';
import type { DestroySandboxRequest as _vessel_agent_v1_DestroySandboxRequest, DestroySandboxRequest__Output as _vessel_agent_v1_DestroySandboxRequest__Output } from './vessel/agent/v1/DestroySandboxRequest.js';
import type { Empty as _vessel_agent_v1_Empty, Empty__Output as _vessel_agent_v1_Empty__Output } from './vessel/agent/v1/Empty.js';
import type { ExecProcessRequest as _vessel_agent_v1_ExecProcessRequest, ExecProcessRequest__Output as _vessel_agent_v1_ExecProcessRequest__Output } from './vessel/agent/v1/ExecProcessRequest.js';
import type { FindPciDeviceRequest as _vessel_agent_v1_FindPciDeviceRequest, FindPciDeviceRequest__Output as _vessel_agent_v1_FindPciDeviceRequest__Output } from './vessel/agent/v1/FindPciDeviceRequest.js';
import type { FindPciDeviceResponse as _vessel_agent_v1_FindPciDeviceResponse, FindPciDeviceResponse__Output as _vessel_agent_v1_FindPciDeviceResponse__Output } from './vessel/agent/v1/FindPciDeviceResponse.js';
import type { GuestDetailsRequest as _vessel_agent_v1_GuestDetailsRequest, GuestDetailsRequest__Output as _vessel_agent_v1_GuestDetailsRequest__Output } from './vessel/agent/v1/GuestDetailsRequest.js';
import type { GuestDetailsResponse as _vessel_agent_v1_GuestDetailsResponse, GuestDetailsResponse__Output as _vessel_agent_v1_GuestDetailsResponse__Output } from './vessel/agent/v1/GuestDetailsResponse.js';
import type { GuestIdentityRequest as _vessel_agent_v1_GuestIdentityRequest, GuestIdentityRequest__Output as _vessel_agent_v1_GuestIdentityRequest__Output } from './vessel/agent/v1/GuestIdentityRequest.js';
import type { GuestIdentityResponse as _vessel_agent_v1_GuestIdentityResponse, GuestIdentityResponse__Output as _vessel_agent_v1_GuestIdentityResponse__Output } from './vessel/agent/v1/GuestIdentityResponse.js';
import type { HealthClient as _vessel_agent_v1_HealthClient, HealthDefinition as _vessel_agent_v1_HealthDefinition } from './vessel/agent/v1/Health.js';
import type { HealthCheckResponse as _vessel_agent_v1_HealthCheckResponse, HealthCheckResponse__Output as _vessel_agent_v1_HealthCheckResponse__Output } from './vessel/agent/v1/HealthCheckResponse.js';
import type { IPAddress as _vessel_agent_v1_IPAddress, IPAddress__Output as _vessel_agent_v1_IPAddress__Output } from './vessel/agent/v1/IPAddress.js';
import type { Interface as _vessel_agent_v1_Interface, Interface__Output as _vessel_agent_v1_Interface__Output } from './vessel/agent/v1/Interface.js';
import type { Interfaces as _vessel_agent_v1_Interfaces, Interfaces__Output as _vessel_agent_v1_Interfaces__Output } from './vessel/agent/v1/Interfaces.js';
import type { ListInterfacesRequest as _vessel_agent_v1_ListInterfacesRequest, ListInterfacesRequest__Output as _vessel_agent_v1_ListInterfacesRequest__Output } from './vessel/agent/v1/ListInterfacesRequest.js';
import type { ListNetworkStatsRequest as _vessel_agent_v1_ListNetworkStatsRequest, ListNetworkStatsRequest__Output as _vessel_agent_v1_ListNetworkStatsRequest__Output } from './vessel/agent/v1/ListNetworkStatsRequest.js';
import type { ListProcessesResponse as _vessel_agent_v1_ListProcessesResponse, ListProcessesResponse__Output as _vessel_agent_v1_ListProcessesResponse__Output } from './vessel/agent/v1/ListProcessesResponse.js';
import type { ListRoutesRequest as _vessel_agent_v1_ListRoutesRequest, ListRoutesRequest__Output as _vessel_agent_v1_ListRoutesRequest__Output } from './vessel/agent/v1/ListRoutesRequest.js';
import type { MemoryStats as _vessel_agent_v1_MemoryStats, MemoryStats__Output as _vessel_agent_v1_MemoryStats__Output } from './vessel/agent/v1/MemoryStats.js';
import type { MountBlockDeviceRequest as _vessel_agent_v1_MountBlockDeviceRequest, MountBlockDeviceRequest__Output as _vessel_agent_v1_MountBlockDeviceRequest__Output } from './vessel/agent/v1/MountBlockDeviceRequest.js';
import type { MountBlockDeviceResponse as _vessel_agent_v1_MountBlockDeviceResponse, MountBlockDeviceResponse__Output as _vessel_agent_v1_MountBlockDeviceResponse__Output } from './vessel/agent/v1/MountBlockDeviceResponse.js';
import type { NetworkStats as _vessel_agent_v1_NetworkStats, NetworkStats__Output as _vessel_agent_v1_NetworkStats__Output } from './vessel/agent/v1/NetworkStats.js';
import type { NetworkStatsResponse as _vessel_agent_v1_NetworkStatsResponse, NetworkStatsResponse__Output as _vessel_agent_v1_NetworkStatsResponse__Output } from './vessel/agent/v1/NetworkStatsResponse.js';
import type { OnlineCPUMemRequest as _vessel_agent_v1_OnlineCPUMemRequest, OnlineCPUMemRequest__Output as _vessel_agent_v1_OnlineCPUMemRequest__Output } from './vessel/agent/v1/OnlineCPUMemRequest.js';
import type { PidsStats as _vessel_agent_v1_PidsStats, PidsStats__Output as _vessel_agent_v1_PidsStats__Output } from './vessel/agent/v1/PidsStats.js';
import type { ProcessInfo as _vessel_agent_v1_ProcessInfo, ProcessInfo__Output as _vessel_agent_v1_ProcessInfo__Output } from './vessel/agent/v1/ProcessInfo.js';
import type { ProcessRequest as _vessel_agent_v1_ProcessRequest, ProcessRequest__Output as _vessel_agent_v1_ProcessRequest__Output } from './vessel/agent/v1/ProcessRequest.js';
import type { ReadStreamRequest as _vessel_agent_v1_ReadStreamRequest, ReadStreamRequest__Output as _vessel_agent_v1_ReadStreamRequest__Output } from './vessel/agent/v1/ReadStreamRequest.js';
import type { ReadStreamResponse as _vessel_agent_v1_ReadStreamResponse, ReadStreamResponse__Output as _vessel_agent_v1_ReadStreamResponse__Output } from './vessel/agent/v1/ReadStreamResponse.js';
import type { RemoveContainerRequest as _vessel_agent_v1_RemoveContainerRequest, RemoveContainerRequest__Output as _vessel_agent_v1_RemoveContainerRequest__Output } from './vessel/agent/v1/RemoveContainerRequest.js';
import type { ReseedRandomDevRequest as _vessel_agent_v1_ReseedRandomDevRequest, ReseedRandomDevRequest__Output as _vessel_agent_v1_ReseedRandomDevRequest__Output } from './vessel/agent/v1/ReseedRandomDevRequest.js';
import type { Route as _vessel_agent_v1_Route, Route__Output as _vessel_agent_v1_Route__Output } from './vessel/agent/v1/Route.js';
import type { Routes as _vessel_agent_v1_Routes, Routes__Output as _vessel_agent_v1_Routes__Output } from './vessel/agent/v1/Routes.js';
import type { SetGuestDateTimeRequest as _vessel_agent_v1_SetGuestDateTimeRequest, SetGuestDateTimeRequest__Output as _vessel_agent_v1_SetGuestDateTimeRequest__Output } from './vessel/agent/v1/SetGuestDateTimeRequest.js';
import type { SetGuestIdentityRequest as _vessel_agent_v1_SetGuestIdentityRequest, SetGuestIdentityRequest__Output as _vessel_agent_v1_SetGuestIdentityRequest__Output } from './vessel/agent/v1/SetGuestIdentityRequest.js';
import type { SignalProcessRequest as _vessel_agent_v1_SignalProcessRequest, SignalProcessRequest__Output as _vessel_agent_v1_SignalProcessRequest__Output } from './vessel/agent/v1/SignalProcessRequest.js';
import type { StatsContainerResponse as _vessel_agent_v1_StatsContainerResponse, StatsContainerResponse__Output as _vessel_agent_v1_StatsContainerResponse__Output } from './vessel/agent/v1/StatsContainerResponse.js';
import type { Storage as _vessel_agent_v1_Storage, Storage__Output as _vessel_agent_v1_Storage__Output } from './vessel/agent/v1/Storage.js';
import type { TtyWinResizeRequest as _vessel_agent_v1_TtyWinResizeRequest, TtyWinResizeRequest__Output as _vessel_agent_v1_TtyWinResizeRequest__Output } from './vessel/agent/v1/TtyWinResizeRequest.js';
import type { UnmountBlockDeviceRequest as _vessel_agent_v1_UnmountBlockDeviceRequest, UnmountBlockDeviceRequest__Output as _vessel_agent_v1_UnmountBlockDeviceRequest__Output } from './vessel/agent/v1/UnmountBlockDeviceRequest.js';
import type { UpdateContainerRequest as _vessel_agent_v1_UpdateContainerRequest, UpdateContainerRequest__Output as _vessel_agent_v1_UpdateContainerRequest__Output } from './vessel/agent/v1/UpdateContainerRequest.js';
import type { UpdateInterfaceRequest as _vessel_agent_v1_UpdateInterfaceRequest, UpdateInterfaceRequest__Output as _vessel_agent_v1_UpdateInterfaceRequest__Output } from './vessel/agent/v1/UpdateInterfaceRequest.js';
import type { UpdateRoutesRequest as _vessel_agent_v1_UpdateRoutesRequest, UpdateRoutesRequest__Output as _vessel_agent_v1_UpdateRoutesRequest__Output } from './vessel/agent/v1/UpdateRoutesRequest.js';
import type { VersionCheckResponse as _vessel_agent_v1_VersionCheckResponse, VersionCheckResponse__Output as _vessel_agent_v1_VersionCheckResponse__Output } from './vessel/agent/v1/VersionCheckResponse.js';
import type { WaitProcessResponse as _vessel_agent_v1_WaitProcessResponse, WaitProcessResponse__Output as _vessel_agent_v1_WaitProcessResponse__Output } from './vessel/agent/v1/WaitProcessResponse.js';
import type { WriteStreamRequest as _vessel_agent_v1_WriteStreamRequest, WriteStreamRequest__Output as _vessel_agent_v1_WriteStreamRequest__Output } from './vessel/agent/v1/WriteStreamRequest.js';
import type { WriteStreamResponse as _vessel_agent_v1_WriteStreamResponse, WriteStreamResponse__Output as _vessel_agent_v1_WriteStreamResponse__Output } from './vessel/agent/v1/WriteStreamResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  vessel: {
    agent: {
      v1: {
        ARPNeighbor: MessageTypeDefinition<_vessel_agent_v1_ARPNeighbor, _vessel_agent_v1_ARPNeighbor__Output>
        ARPNeighbors: MessageTypeDefinition<_vessel_agent_v1_ARPNeighbors, _vessel_agent_v1_ARPNeighbors__Output>
        AddARPNeighborsRequest: MessageTypeDefinition<_vessel_agent_v1_AddARPNeighborsRequest, _vessel_agent_v1_AddARPNeighborsRequest__Output>
        AgentService: SubtypeConstructor<typeof grpc.Client, _vessel_agent_v1_AgentServiceClient> & { service: _vessel_agent_v1_AgentServiceDefinition }
        BlkioDeviceStats: MessageTypeDefinition<_vessel_agent_v1_BlkioDeviceStats, _vessel_agent_v1_BlkioDeviceStats__Output>
        CheckRequest: MessageTypeDefinition<_vessel_agent_v1_CheckRequest, _vessel_agent_v1_CheckRequest__Output>
        ContainerRequest: MessageTypeDefinition<_vessel_agent_v1_ContainerRequest, _vessel_agent_v1_ContainerRequest__Output>
        CpuStats: MessageTypeDefinition<_vessel_agent_v1_CpuStats, _vessel_agent_v1_CpuStats__Output>
        CreateContainerRequest: MessageTypeDefinition<_vessel_agent_v1_CreateContainerRequest, _vessel_agent_v1_CreateContainerRequest__Output>
        CreateSandboxRequest: MessageTypeDefinition<_vessel_agent_v1_CreateSandboxRequest, _vessel_agent_v1_CreateSandboxRequest__Output>
        DestroySandboxRequest: MessageTypeDefinition<_vessel_agent_v1_DestroySandboxRequest, _vessel_agent_v1_DestroySandboxRequest__Output>
        Empty: MessageTypeDefinition<_vessel_agent_v1_Empty, _vessel_agent_v1_Empty__Output>
        ExecProcessRequest: MessageTypeDefinition<_vessel_agent_v1_ExecProcessRequest, _vessel_agent_v1_ExecProcessRequest__Output>
        FindPciDeviceRequest: MessageTypeDefinition<_vessel_agent_v1_FindPciDeviceRequest, _vessel_agent_v1_FindPciDeviceRequest__Output>
        FindPciDeviceResponse: MessageTypeDefinition<_vessel_agent_v1_FindPciDeviceResponse, _vessel_agent_v1_FindPciDeviceResponse__Output>
        GuestDetailsRequest: MessageTypeDefinition<_vessel_agent_v1_GuestDetailsRequest, _vessel_agent_v1_GuestDetailsRequest__Output>
        GuestDetailsResponse: MessageTypeDefinition<_vessel_agent_v1_GuestDetailsResponse, _vessel_agent_v1_GuestDetailsResponse__Output>
        GuestIdentityRequest: MessageTypeDefinition<_vessel_agent_v1_GuestIdentityRequest, _vessel_agent_v1_GuestIdentityRequest__Output>
        GuestIdentityResponse: MessageTypeDefinition<_vessel_agent_v1_GuestIdentityResponse, _vessel_agent_v1_GuestIdentityResponse__Output>
        Health: SubtypeConstructor<typeof grpc.Client, _vessel_agent_v1_HealthClient> & { service: _vessel_agent_v1_HealthDefinition }
        HealthCheckResponse: MessageTypeDefinition<_vessel_agent_v1_HealthCheckResponse, _vessel_agent_v1_HealthCheckResponse__Output>
        IPAddress: MessageTypeDefinition<_vessel_agent_v1_IPAddress, _vessel_agent_v1_IPAddress__Output>
        IPFamily: EnumTypeDefinition
        Interface: MessageTypeDefinition<_vessel_agent_v1_Interface, _vessel_agent_v1_Interface__Output>
        Interfaces: MessageTypeDefinition<_vessel_agent_v1_Interfaces, _vessel_agent_v1_Interfaces__Output>
        ListInterfacesRequest: MessageTypeDefinition<_vessel_agent_v1_ListInterfacesRequest, _vessel_agent_v1_ListInterfacesRequest__Output>
        ListNetworkStatsRequest: MessageTypeDefinition<_vessel_agent_v1_ListNetworkStatsRequest, _vessel_agent_v1_ListNetworkStatsRequest__Output>
        ListProcessesResponse: MessageTypeDefinition<_vessel_agent_v1_ListProcessesResponse, _vessel_agent_v1_ListProcessesResponse__Output>
        ListRoutesRequest: MessageTypeDefinition<_vessel_agent_v1_ListRoutesRequest, _vessel_agent_v1_ListRoutesRequest__Output>
        MemoryStats: MessageTypeDefinition<_vessel_agent_v1_MemoryStats, _vessel_agent_v1_MemoryStats__Output>
        MountBlockDeviceRequest: MessageTypeDefinition<_vessel_agent_v1_MountBlockDeviceRequest, _vessel_agent_v1_MountBlockDeviceRequest__Output>
        MountBlockDeviceResponse: MessageTypeDefinition<_vessel_agent_v1_MountBlockDeviceResponse, _vessel_agent_v1_MountBlockDeviceResponse__Output>
        NetworkStats: MessageTypeDefinition<_vessel_agent_v1_NetworkStats, _vessel_agent_v1_NetworkStats__Output>
        NetworkStatsResponse: MessageTypeDefinition<_vessel_agent_v1_NetworkStatsResponse, _vessel_agent_v1_NetworkStatsResponse__Output>
        OnlineCPUMemRequest: MessageTypeDefinition<_vessel_agent_v1_OnlineCPUMemRequest, _vessel_agent_v1_OnlineCPUMemRequest__Output>
        PidsStats: MessageTypeDefinition<_vessel_agent_v1_PidsStats, _vessel_agent_v1_PidsStats__Output>
        ProcessInfo: MessageTypeDefinition<_vessel_agent_v1_ProcessInfo, _vessel_agent_v1_ProcessInfo__Output>
        ProcessRequest: MessageTypeDefinition<_vessel_agent_v1_ProcessRequest, _vessel_agent_v1_ProcessRequest__Output>
        ReadStreamRequest: MessageTypeDefinition<_vessel_agent_v1_ReadStreamRequest, _vessel_agent_v1_ReadStreamRequest__Output>
        ReadStreamResponse: MessageTypeDefinition<_vessel_agent_v1_ReadStreamResponse, _vessel_agent_v1_ReadStreamResponse__Output>
        RemoveContainerRequest: MessageTypeDefinition<_vessel_agent_v1_RemoveContainerRequest, _vessel_agent_v1_RemoveContainerRequest__Output>
        ReseedRandomDevRequest: MessageTypeDefinition<_vessel_agent_v1_ReseedRandomDevRequest, _vessel_agent_v1_ReseedRandomDevRequest__Output>
        Route: MessageTypeDefinition<_vessel_agent_v1_Route, _vessel_agent_v1_Route__Output>
        Routes: MessageTypeDefinition<_vessel_agent_v1_Routes, _vessel_agent_v1_Routes__Output>
        SetGuestDateTimeRequest: MessageTypeDefinition<_vessel_agent_v1_SetGuestDateTimeRequest, _vessel_agent_v1_SetGuestDateTimeRequest__Output>
        SetGuestIdentityRequest: MessageTypeDefinition<_vessel_agent_v1_SetGuestIdentityRequest, _vessel_agent_v1_SetGuestIdentityRequest__Output>
        SignalProcessRequest: MessageTypeDefinition<_vessel_agent_v1_SignalProcessRequest, _vessel_agent_v1_SignalProcessRequest__Output>
        StatsContainerResponse: MessageTypeDefinition<_vessel_agent_v1_StatsContainerResponse, _vessel_agent_v1_StatsContainerResponse__Output>
        Storage: MessageTypeDefinition<_vessel_agent_v1_Storage, _vessel_agent_v1_Storage__Output>
        TtyWinResizeRequest: MessageTypeDefinition<_vessel_agent_v1_TtyWinResizeRequest, _vessel_agent_v1_TtyWinResizeRequest__Output>
        UnmountBlockDeviceRequest: MessageTypeDefinition<_vessel_agent_v1_UnmountBlockDeviceRequest, _vessel_agent_v1_UnmountBlockDeviceRequest__Output>
        UpdateContainerRequest: MessageTypeDefinition<_vessel_agent_v1_UpdateContainerRequest, _vessel_agent_v1_UpdateContainerRequest__Output>
        UpdateInterfaceRequest: MessageTypeDefinition<_vessel_agent_v1_UpdateInterfaceRequest, _vessel_agent_v1_UpdateInterfaceRequest__Output>
        UpdateRoutesRequest: MessageTypeDefinition<_vessel_agent_v1_UpdateRoutesRequest, _vessel_agent_v1_UpdateRoutesRequest__Output>
        VersionCheckResponse: MessageTypeDefinition<_vessel_agent_v1_VersionCheckResponse, _vessel_agent_v1_VersionCheckResponse__Output>
        WaitProcessResponse: MessageTypeDefinition<_vessel_agent_v1_WaitProcessResponse, _vessel_agent_v1_WaitProcessResponse__Output>
        WriteStreamRequest: MessageTypeDefinition<_vessel_agent_v1_WriteStreamRequest, _vessel_agent_v1_WriteStreamRequest__Output>
        WriteStreamResponse: MessageTypeDefinition<_vessel_agent_v1_WriteStreamResponse, _vessel_agent_v1_WriteStreamResponse__Output>
      }
    }
  }
}

