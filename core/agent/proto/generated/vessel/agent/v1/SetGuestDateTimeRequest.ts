// Original file: core/agent/proto/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface SetGuestDateTimeRequest {
  'sec'?: (number | string | Long);
  'usec'?: (number | string | Long);
}

export interface SetGuestDateTimeRequest__Output {
  'sec': (number);
  'usec': (number);
}
