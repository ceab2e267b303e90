import { z } from 'zod';
import { VmSource } from './sandbox.js';

/** The VM factory as the UI sees it (`vessel factory status --json` prints the same). */
export const FactoryTemplateRow = z.object({
  hash: z.string(),
  createdAt: z.string(),
  ageSeconds: z.number(),
  sizeBytes: z.number(),
  stateBytes: z.number(),
  hits: z.number(),
  lastUsedAt: z.string().nullable(),
  vcpus: z.number(),
  memoryMiB: z.number(),
  kernelParams: z.array(z.string()),
  buildMs: z.number(),
});

export const FactoryStatus = z.object({
  configFile: z.string(),
  enableTemplate: z.boolean(),
  templatePath: z.string(),
  vmCacheNumber: z.number(),
  vmCacheEndpoint: z.string(),
  templates: z.array(FactoryTemplateRow),
  /** Templates being built right now (their hash prefixes). */
  building: z.array(z.string()),
  foreignEntries: z.array(z.string()),
  /** The VM cache server (found by pid + start time) and each VM it holds. */
  cache: z.object({
    running: z.boolean(),
    pid: z.number().nullable(),
    vms: z.array(z.object({ id: z.string(), pid: z.number(), state: z.enum(['booting', 'ready']), source: z.enum(['template', 'direct']), createdAt: z.string(), bootMs: z.number() })),
    /** Recent failed boots in the pool (each retried). */
    failures: z.array(z.string()).default([]),
    /** VMs the pool holds now: vmCacheNumber, or fewer while the host is short of memory (pressure says why). */
    target: z.number().nullable().default(null),
    pressure: z.string().nullable().default(null),
  }),
  requests: z.number(),
  hits: z.record(z.string(), z.number()),
  hitRate: z.number().nullable(),
  lastFallbacks: z.array(z.object({ at: z.string(), reason: z.string() })),
});
export type FactoryStatus = z.infer<typeof FactoryStatus>;

/** Where a sandbox created with given options would get its VM, and about how long that takes. */
export const FactoryHint = z.object({
  source: VmSource,
  reason: z.string(),
  expectedMs: z.number().nullable(),
});
export type FactoryHint = z.infer<typeof FactoryHint>;
