export { AgentClient, MAX_REPLY_BYTES } from './client.js';
export type { AgentAddress, AgentConnectOptions, AgentGuestDetails, AgentHealth } from './client.js';
export { readGuestManifest, guestImageDir, GuestManifest, GUEST_MANIFEST_SCHEMA_VERSION } from './manifest.js';
export type { GuestImage } from './manifest.js';
