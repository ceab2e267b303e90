/**
 * Vessel's types package, as virtcontainers' `types`: the sandbox state
 * machine and parsers for the strings users and configs hand us. Parsers
 * throw VesselError('E_INVALID_ARGUMENT') quoting the bad input and saying
 * what was expected; state changes throw VesselError('E_INVALID_STATE').
 */
export { assertTransition, canTransition, validTransitions } from './state.js';
export { Volume, VOLUME_TAG_PATTERN, parseVolume, formatVolume, parseVolumeList, formatVolumeList } from './volume.js';
export { Socket, parseSocket, formatSocket, parseSocketList, formatSocketList } from './socket.js';
export {
  VsockAddress,
  HybridVsockAddress,
  AgentVsockAddress,
  VMADDR_CID_HYPERVISOR,
  VMADDR_CID_LOCAL,
  VMADDR_CID_HOST,
  VMADDR_CID_ANY,
  UNIX_PATH_MAX_BYTES,
  parseVsockAddress,
  parseHybridVsockAddress,
  parseAgentVsockAddress,
  formatAgentVsockAddress,
  isGuestCid,
  assertGuestCid,
} from './vsock.js';
export { EnvVar, EnvVarInput, parseEnvVar, formatEnvVar, parseEnvList, formatEnvList } from './env.js';
export { Cmd, LinuxCapabilities, parseCmd } from './cmd.js';
export type { CmdInput } from './cmd.js';
export { Resources, parseMemorySize, parseMemoryMiB, parseVcpus, parseResources, formatMemorySize } from './resources.js';
