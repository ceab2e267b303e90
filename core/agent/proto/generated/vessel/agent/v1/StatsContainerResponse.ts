// Original file: core/agent/proto/agent.proto

import type { CpuStats as _vessel_agent_v1_CpuStats, CpuStats__Output as _vessel_agent_v1_CpuStats__Output } from '../../../vessel/agent/v1/CpuStats.js';
import type { MemoryStats as _vessel_agent_v1_MemoryStats, MemoryStats__Output as _vessel_agent_v1_MemoryStats__Output } from '../../../vessel/agent/v1/MemoryStats.js';
import type { PidsStats as _vessel_agent_v1_PidsStats, PidsStats__Output as _vessel_agent_v1_PidsStats__Output } from '../../../vessel/agent/v1/PidsStats.js';
import type { BlkioDeviceStats as _vessel_agent_v1_BlkioDeviceStats, BlkioDeviceStats__Output as _vessel_agent_v1_BlkioDeviceStats__Output } from '../../../vessel/agent/v1/BlkioDeviceStats.js';

export interface StatsContainerResponse {
  'cpu'?: (_vessel_agent_v1_CpuStats | null);
  'memory'?: (_vessel_agent_v1_MemoryStats | null);
  'pids'?: (_vessel_agent_v1_PidsStats | null);
  'blkio'?: (_vessel_agent_v1_BlkioDeviceStats)[];
}

export interface StatsContainerResponse__Output {
  'cpu': (_vessel_agent_v1_CpuStats__Output | null);
  'memory': (_vessel_agent_v1_MemoryStats__Output | null);
  'pids': (_vessel_agent_v1_PidsStats__Output | null);
  'blkio': (_vessel_agent_v1_BlkioDeviceStats__Output)[];
}
