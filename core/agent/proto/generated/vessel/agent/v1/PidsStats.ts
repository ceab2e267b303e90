// Original file: core/agent/proto/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface PidsStats {
  'current'?: (number | string | Long);
  'limit'?: (number | string | Long);
}

export interface PidsStats__Output {
  'current': (number);
  'limit': (number);
}
