export { checkHost, decideAccel, resolveAccel, defaultGuestDir, readBootId, qemuVersion, kvmDeviceStatus, type CheckHostOptions, type HostOptions, type ResolveAccelOptions } from './check.js';
export { runKvmProbe, readProbeCache, writeProbeCache, KVM_PROBE_TIMEOUT_MS, PROBE_CACHE_FILE, type KvmProbeOptions } from './probe.js';
export { parseCpuFlags, parseQemuVersion, findLateBootMarker, probeCacheKeyString } from './parse.js';
export * from './report.js';
