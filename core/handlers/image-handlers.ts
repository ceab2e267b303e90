import type { z } from 'zod';
import type { PullItem, PullRequest } from '../contract/index.js';
import type { Runtime } from '../api/index.js';
import type { StreamSink } from './handlers.js';

/** The image calls and the pull stream behind the UI's Images page. */

export function imageCallHandlers(rt: Runtime) {
  return {
    'image.list': () => rt.images.list(),
    'image.inspect': ({ image }: { image: string }) => rt.images.inspect(image),
    'image.remove': ({ image }: { image: string }) => rt.images.remove(image),
    'image.import': ({ file, name }: { file: string; name?: string | undefined }) => rt.images.import(file, name !== undefined ? { name } : {}),
  };
}

/** Progress items are snapshots (the latest wins), so they take no credit; closing the stream cancels the pull. */
export async function pullStream(rt: Runtime, p: z.output<typeof PullRequest>, sink: StreamSink<PullItem>): Promise<void> {
  const abort = new AbortController();
  void sink.cancelled.then(() => abort.abort());
  const image = await rt.images.pull(p.reference, {
    ...(p.platform ? { platform: p.platform } : {}),
    insecure: Boolean(p.insecure),
    signal: abort.signal,
    onProgress: (progress) => void sink.send({ kind: 'progress', progress }, 0),
  });
  await sink.send({ kind: 'done', image }, 0);
}
