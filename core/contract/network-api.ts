import { z } from 'zod';
import { CreateNetworkRequest, NetworkInfo, NetworkName, PortMapping } from './network.js';
import { SandboxId, SandboxStatus } from './sandbox.js';

/** The network calls of the UI's API (merged into Methods in api.ts). */
export const NetworkMethods = {
  'network.list': { params: z.object({}), result: z.array(NetworkInfo) },
  'network.create': { params: CreateNetworkRequest, result: NetworkInfo },
  'network.delete': { params: z.object({ name: NetworkName }), result: z.object({ deleted: z.literal(true) }) },
  /** Hot plug a NIC on the network into the sandbox (or, while stopped, add it for the next boot). */
  'network.connect': { params: z.object({ sandboxId: SandboxId, network: NetworkName }), result: SandboxStatus },
  'network.disconnect': { params: z.object({ sandboxId: SandboxId, network: z.string().min(1).max(4200) }), result: SandboxStatus },
  'port.add': { params: z.object({ sandboxId: SandboxId, port: PortMapping }), result: SandboxStatus },
  'port.remove': { params: z.object({ sandboxId: SandboxId, port: PortMapping }), result: SandboxStatus },
} as const;
