// Replaced by the guest image builder (esbuild `define`); the fallbacks apply when run unbundled (tests).
declare const VESSEL_AGENT_VERSION: string | undefined;

export const AGENT_VERSION: string = typeof VESSEL_AGENT_VERSION === 'string' ? VESSEL_AGENT_VERSION : '0.0.0-dev';
/** The gRPC implementation serving the agent: its own unary server on node's HTTP/2 (rpc-server.ts). */
export const GRPC_VERSION = `vessel-rpc/nghttp2-${process.versions.nghttp2 ?? 'unknown'}`;
