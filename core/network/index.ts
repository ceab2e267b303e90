export { CniNetworkManager, guestResolvLines, netnsExists, SandboxNetRecord, type GuestNetConfig, type NetworkManager, type NetworkRequest, type NicRecord, type CniNetworkManagerOptions } from './manager.js';
export { CniRunner, CniResult } from './cni.js';
export { NetworkStore, confList, DEFAULT_NETWORK, DEFAULT_BRIDGE, validateIfName } from './networks.js';
export { parsePortMapping, formatPortMapping, assertPortsFree } from './ports.js';
