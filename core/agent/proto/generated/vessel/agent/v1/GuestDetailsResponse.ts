// Original file: core/agent/proto/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface GuestDetailsResponse {
  'kernelRelease'?: (string);
  'memTotalKib'?: (number | string | Long);
  'cpus'?: (number);
  'agentVersion'?: (string);
  'uptimeMs'?: (number | string | Long);
}

export interface GuestDetailsResponse__Output {
  'kernelRelease': (string);
  'memTotalKib': (number);
  'cpus': (number);
  'agentVersion': (string);
  'uptimeMs': (number);
}
