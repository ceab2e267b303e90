/**
 * Vessel's oci package, as virtcontainers' `oci`: read an OCI bundle's
 * config.json (both capability formats), convert it to sandbox and container
 * configs, read the CRI annotations, and report container status as OCI state.
 */
export {
  OCI_VERSION,
  OciSpec,
  OciProcess,
  OciUser,
  OciRlimit,
  OciRoot,
  OciMount,
  OciNamespace,
  OciDevice,
  OciDeviceCgroup,
  OciResources,
  OciLinux,
  OciCapabilities,
  NAMESPACE_TYPES,
  DEVICE_TYPES,
  parseOciConfig,
  loadBundle,
  resolveRootfs,
  formatJsonPath,
} from './spec.js';
export type { OciSpecInput, OciBundle, DeviceType } from './spec.js';
export { ContainerType, CRI_FLAVOURS, containerType, sandboxIdOf } from './annotations.js';
export {
  CONTAINER_ID_PATTERN,
  ContainerId,
  ContainerUser,
  Rlimit,
  ContainerCmd,
  ContainerMount,
  ContainerDevice,
  ContainerResources,
  ContainerConfig,
  SandboxConfig,
  ociToContainerConfig,
  ociToSandboxConfig,
  containerCmdToCmd,
  containerResources,
  networkNamespacePath,
  shmSizeBytes,
} from './convert.js';
export type { ContainerConversionOptions, SandboxConversionOptions } from './convert.js';
export { OciStatus, OciState, toOciState } from './state.js';
export type { ContainerStatusForOci } from './state.js';
