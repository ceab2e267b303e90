// Original file: core/agent/proto/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface NetworkStats {
  'name'?: (string);
  'rxBytes'?: (number | string | Long);
  'rxPackets'?: (number | string | Long);
  'rxErrors'?: (number | string | Long);
  'rxDropped'?: (number | string | Long);
  'txBytes'?: (number | string | Long);
  'txPackets'?: (number | string | Long);
  'txErrors'?: (number | string | Long);
  'txDropped'?: (number | string | Long);
  'hwAddr'?: (string);
}

export interface NetworkStats__Output {
  'name': (string);
  'rxBytes': (number);
  'rxPackets': (number);
  'rxErrors': (number);
  'rxDropped': (number);
  'txBytes': (number);
  'txPackets': (number);
  'txErrors': (number);
  'txDropped': (number);
  'hwAddr': (string);
}
