// Original file: core/agent/proto/agent.proto

import type { IPAddress as _vessel_agent_v1_IPAddress, IPAddress__Output as _vessel_agent_v1_IPAddress__Output } from '../../../vessel/agent/v1/IPAddress.js';
import type { Long } from '@grpc/proto-loader';

export interface Interface {
  'device'?: (string);
  'name'?: (string);
  'IPAddresses'?: (_vessel_agent_v1_IPAddress)[];
  'mtu'?: (number | string | Long);
  'hwAddr'?: (string);
  'devicePath'?: (string);
  'type'?: (string);
  'rawFlags'?: (number);
}

export interface Interface__Output {
  'device': (string);
  'name': (string);
  'IPAddresses': (_vessel_agent_v1_IPAddress__Output)[];
  'mtu': (number);
  'hwAddr': (string);
  'devicePath': (string);
  'type': (string);
  'rawFlags': (number);
}
