// Original file: core/agent/proto/agent.proto

export const IPFamily = {
  v4: 'v4',
  v6: 'v6',
} as const;

export type IPFamily =
  | 'v4'
  | 0
  | 'v6'
  | 1

export type IPFamily__Output = typeof IPFamily[keyof typeof IPFamily]
