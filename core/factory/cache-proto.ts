// The VM cache's gRPC protocol, with Kata's CacheService method names
// (kata-containers protocols/cache/cache.proto: Config, GetBaseVM, Status,
// Quit), plus Resize (Vessel's: change the pool's size without losing the
// VMs it holds; Kata's cache has a fixed size). Our own messages: a cached VM is handed over as the driver state the
// sandbox service persists (JSON, validated on arrival) plus the directory
// its files live in. The descriptor is embedded (protobufjs JSON form), so
// nothing reads a .proto file at run time. As .proto:
//
//   service CacheService {
//     rpc Config(Empty) returns (CacheConfig);
//     rpc GetBaseVM(Empty) returns (BaseVM);
//     rpc Status(Empty) returns (CacheStatus);
//     rpc Quit(Empty) returns (Empty);
//     rpc Resize(CacheSize) returns (CacheStatus);
//   }
//   message CacheSize { uint32 number = 1; }
//   message CacheConfig { string spec_json = 1; string spec_hash = 2; uint32 number = 3; }
//   message BaseVM { string id = 1; string vm_dir = 2; string hypervisor_state_json = 3;
//                    uint32 cpu = 4; uint32 memory = 5; string source = 6; string template_hash = 7; }
//   message CacheStatus { int64 pid = 1; repeated CachedVM vms = 2; repeated string failures = 3; uint32 number = 4;
//                         uint32 target = 5; string pressure = 6; }  // target: held now (< number under memory pressure, said in pressure)
//   message CachedVM { string id = 1; int64 pid = 2; string state = 3; string source = 4;
//                      string created_at = 5; uint32 boot_ms = 6; }
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { z } from 'zod';

const str = (id: number): { type: string; id: number } => ({ type: 'string', id });
const u32 = (id: number): { type: string; id: number } => ({ type: 'uint32', id });
const i64 = (id: number): { type: string; id: number } => ({ type: 'int64', id });

export const cacheProtoDescriptor = {
  nested: {
    vessel: {
      nested: {
        factory: {
          nested: {
            v1: {
              nested: {
                CacheService: {
                  methods: {
                    Config: { requestType: 'Empty', responseType: 'CacheConfig' },
                    GetBaseVM: { requestType: 'Empty', responseType: 'BaseVM' },
                    Status: { requestType: 'Empty', responseType: 'CacheStatus' },
                    Quit: { requestType: 'Empty', responseType: 'Empty' },
                    Resize: { requestType: 'CacheSize', responseType: 'CacheStatus' },
                  },
                },
                Empty: { fields: {} },
                CacheSize: { fields: { number: u32(1) } },
                CacheConfig: { fields: { specJson: str(1), specHash: str(2), number: u32(3) } },
                BaseVM: { fields: { id: str(1), vmDir: str(2), hypervisorStateJson: str(3), cpu: u32(4), memory: u32(5), source: str(6), templateHash: str(7) } },
                CacheStatus: { fields: { pid: i64(1), vms: { rule: 'repeated', type: 'CachedVM', id: 2 }, failures: { rule: 'repeated', type: 'string', id: 3 }, number: u32(4), target: u32(5), pressure: str(6) } },
                CachedVM: { fields: { id: str(1), pid: i64(2), state: str(3), source: str(4), createdAt: str(5), bootMs: u32(6) } },
              },
            },
          },
        },
      },
    },
  },
};

export const CacheConfigReply = z.object({ specJson: z.string(), specHash: z.string(), number: z.number().int().nonnegative() });
export type CacheConfigReply = z.infer<typeof CacheConfigReply>;

export const BaseVmReply = z.object({
  id: z.string().regex(/^[0-9a-f]{8,32}$/),
  vmDir: z.string().min(1),
  hypervisorStateJson: z.string(),
  cpu: z.number().int().nonnegative(),
  memory: z.number().int().nonnegative(),
  source: z.enum(['template', 'direct']),
  templateHash: z.string(),
});
export type BaseVmReply = z.infer<typeof BaseVmReply>;

export const CachedVmRow = z.object({
  id: z.string(),
  pid: z.number().int(),
  state: z.enum(['booting', 'ready']),
  source: z.enum(['template', 'direct']),
  createdAt: z.string(),
  bootMs: z.number().int().nonnegative(),
});
export type CachedVmRow = z.infer<typeof CachedVmRow>;

export const CacheStatusReply = z.object({
  pid: z.number().int(),
  vms: z.array(CachedVmRow),
  failures: z.array(z.string()),
  number: z.number().int().nonnegative(),
  target: z.number().int().nonnegative(),
  pressure: z.string(),
});
export type CacheStatusReply = z.infer<typeof CacheStatusReply>;

export const CACHE_SERVICE_NAME = 'vessel.factory.v1.CacheService';

const LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

let loaded: grpc.ServiceClientConstructor | undefined;

/** The CacheService definition: a client constructor (its .service is what a server adds). */
export function cacheService(): grpc.ServiceClientConstructor {
  if (!loaded) {
    const def = protoLoader.fromJSON(cacheProtoDescriptor as unknown as Parameters<typeof protoLoader.fromJSON>[0], LOADER_OPTIONS);
    const pkg = grpc.loadPackageDefinition(def) as unknown as { vessel: { factory: { v1: { CacheService: grpc.ServiceClientConstructor } } } };
    loaded = pkg.vessel.factory.v1.CacheService;
  }
  return loaded;
}
