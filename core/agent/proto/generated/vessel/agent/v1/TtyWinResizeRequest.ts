// Original file: core/agent/proto/agent.proto


export interface TtyWinResizeRequest {
  'containerId'?: (string);
  'execId'?: (string);
  'rows'?: (number);
  'columns'?: (number);
}

export interface TtyWinResizeRequest__Output {
  'containerId': (string);
  'execId': (string);
  'rows': (number);
  'columns': (number);
}
