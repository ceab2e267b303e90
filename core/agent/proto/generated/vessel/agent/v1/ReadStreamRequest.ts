// Original file: core/agent/proto/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadStreamRequest {
  'containerId'?: (string);
  'execId'?: (string);
  'offset'?: (number | string | Long);
  'maxBytes'?: (number);
  'waitMs'?: (number);
}

export interface ReadStreamRequest__Output {
  'containerId': (string);
  'execId': (string);
  'offset': (number);
  'maxBytes': (number);
  'waitMs': (number);
}
