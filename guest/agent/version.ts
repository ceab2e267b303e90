// Replaced by the guest image builder (esbuild `define`); the fallbacks apply when run unbundled (tests).
declare const VESSEL_AGENT_VERSION: string | undefined;
declare const VESSEL_GRPC_VERSION: string | undefined;

export const AGENT_VERSION: string = typeof VESSEL_AGENT_VERSION === 'string' ? VESSEL_AGENT_VERSION : '0.0.0-dev';
export const GRPC_VERSION: string = typeof VESSEL_GRPC_VERSION === 'string' ? VESSEL_GRPC_VERSION : 'unknown';
