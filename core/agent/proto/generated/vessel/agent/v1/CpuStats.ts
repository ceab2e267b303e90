// Original file: core/agent/proto/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface CpuStats {
  'usageNs'?: (number | string | Long);
  'userNs'?: (number | string | Long);
  'systemNs'?: (number | string | Long);
  'throttledPeriods'?: (number | string | Long);
  'throttledNs'?: (number | string | Long);
}

export interface CpuStats__Output {
  'usageNs': (number);
  'userNs': (number);
  'systemNs': (number);
  'throttledPeriods': (number);
  'throttledNs': (number);
}
