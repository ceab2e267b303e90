// Original file: core/agent/proto/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface BlkioDeviceStats {
  'major'?: (number);
  'minor'?: (number);
  'readBytes'?: (number | string | Long);
  'writeBytes'?: (number | string | Long);
  'readIos'?: (number | string | Long);
  'writeIos'?: (number | string | Long);
}

export interface BlkioDeviceStats__Output {
  'major': (number);
  'minor': (number);
  'readBytes': (number);
  'writeBytes': (number);
  'readIos': (number);
  'writeIos': (number);
}
