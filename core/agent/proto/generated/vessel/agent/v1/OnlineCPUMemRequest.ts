// Original file: core/agent/proto/agent.proto


export interface OnlineCPUMemRequest {
  'wait'?: (boolean);
  'nbCpus'?: (number);
  'cpuOnly'?: (boolean);
}

export interface OnlineCPUMemRequest__Output {
  'wait': (boolean);
  'nbCpus': (number);
  'cpuOnly': (boolean);
}
