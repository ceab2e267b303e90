import { z } from 'zod';

/** Images: what the API reports about the local image store and pulls. */

export const ImagePlatform = z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() });
export type ImagePlatform = z.infer<typeof ImagePlatform>;

export const ImageUser = z.object({ sandboxId: z.string(), sandboxName: z.string(), containerId: z.string(), containerName: z.string() });
export type ImageUser = z.infer<typeof ImageUser>;

export const ImageSummary = z.object({
  /** Full normalised name: registry/repository:tag (or @digest). */
  name: z.string(),
  /** As docker shows it (docker.io/library/ dropped). */
  shortName: z.string(),
  repository: z.string(),
  tag: z.string().nullable(),
  /** The platform manifest's digest (what containers record). */
  digest: z.string(),
  /** The index / manifest list it was picked from, when there was one. */
  indexDigest: z.string().nullable(),
  platform: ImagePlatform.nullable(),
  /** Compressed bytes of the config and layers. */
  size: z.number().int().nonnegative(),
  layers: z.number().int().nonnegative(),
  created: z.string().nullable(),
  pulledAt: z.string().nullable(),
  usedBy: z.array(ImageUser),
});
export type ImageSummary = z.infer<typeof ImageSummary>;

export const ImageInspect = ImageSummary.extend({
  config: z.object({
    entrypoint: z.array(z.string()).nullable(),
    cmd: z.array(z.string()).nullable(),
    env: z.array(z.string()),
    workingDir: z.string().nullable(),
    user: z.string().nullable(),
    stopSignal: z.string().nullable(),
    exposedPorts: z.array(z.string()),
    labels: z.record(z.string(), z.string()),
  }),
  layerDigests: z.array(z.object({ digest: z.string(), size: z.number(), mediaType: z.string() })),
  unpacked: z.boolean(),
});
export type ImageInspect = z.infer<typeof ImageInspect>;

export const PullRequest = z.object({
  reference: z.string().min(1).max(4096),
  platform: z.string().regex(/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/, { message: 'a platform is os/arch[/variant], e.g. linux/amd64' }).optional(),
  /** Plain HTTP (and unverified TLS is never offered): only for registries you trust, e.g. on loopback. */
  insecure: z.boolean().optional(),
});
export type PullRequest = z.input<typeof PullRequest>;

export const LayerProgress = z.object({
  digest: z.string(),
  /** config | layer */
  kind: z.enum(['config', 'layer']),
  size: z.number(),
  done: z.number(),
  state: z.enum(['waiting', 'downloading', 'verifying', 'exists', 'done', 'failed']),
});
export type LayerProgress = z.infer<typeof LayerProgress>;

/** A snapshot of a pull, sent on every change (throttled). */
export const PullProgress = z.object({
  reference: z.string(),
  phase: z.enum(['resolving', 'downloading', 'checking', 'storing', 'done']),
  layers: z.array(LayerProgress),
  totalBytes: z.number(),
  doneBytes: z.number(),
  /** Bytes per second over the last seconds. */
  rate: z.number(),
  message: z.string().optional(),
});
export type PullProgress = z.infer<typeof PullProgress>;

export const PruneResult = z.object({ blobsRemoved: z.number(), bytesFreed: z.number(), unpackedRemoved: z.number() });
export type PruneResult = z.infer<typeof PruneResult>;
