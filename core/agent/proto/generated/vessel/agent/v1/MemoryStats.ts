// Original file: core/agent/proto/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface MemoryStats {
  'usage'?: (number | string | Long);
  'limit'?: (number | string | Long);
  'cache'?: (number | string | Long);
  'rss'?: (number | string | Long);
  'oomKills'?: (number | string | Long);
}

export interface MemoryStats__Output {
  'usage': (number);
  'limit': (number);
  'cache': (number);
  'rss': (number);
  'oomKills': (number);
}
