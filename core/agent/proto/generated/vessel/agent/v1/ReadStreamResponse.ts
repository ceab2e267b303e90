// Original file: core/agent/proto/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadStreamResponse {
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
  'eof'?: (boolean);
}

export interface ReadStreamResponse__Output {
  'offset': (number);
  'data': (Buffer);
  'eof': (boolean);
}
