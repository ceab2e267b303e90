import { VesselError } from '../contract/index.js';

/**
 * Image references, normalised the way docker (and podman with
 * docker.io as its search registry) do: `busybox` is
 * `docker.io/library/busybox:latest`; the first component names a registry
 * only when it has a "." or ":" or is "localhost".
 */

export interface ImageReference {
  /** Registry host[:port] as written (docker.io for Docker Hub). */
  registry: string;
  /** Repository path inside the registry (library/busybox). */
  repository: string;
  tag: string | null;
  digest: string | null;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:localhost|\[[0-9a-fA-F:]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::[0-9]{1,5})?$/;

function bad(ref: string, why: string): VesselError {
  return new VesselError('E_INVALID_ARGUMENT', `invalid image reference "${ref}": ${why}`, { reference: ref });
}

export function parseReference(input: string): ImageReference {
  const ref = input.trim();
  if (ref === '') throw bad(input, 'it is empty');
  if (ref.length > 4096) throw bad(ref.slice(0, 40) + '…', 'it is too long');
  let rest = ref;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(ref, `"${digest}" is not a sha256 digest (sha256: and 64 lowercase hex digits)`);
  }
  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(ref, `"${tag}" is not a valid tag (letters, digits, "_", "." and "-", at most 128)`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
    if (!HOST.test(registry)) throw bad(ref, `"${registry}" is not a valid registry host`);
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  if (parts.length === 0 || parts.some((p) => p === '')) throw bad(ref, 'it has an empty path component');
  for (const p of parts) {
    if (!COMPONENT.test(p)) throw bad(ref, `"${p}" is not a valid repository name component (lowercase letters, digits and separators . _ __ -)`);
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (repository.length > 255) throw bad(ref, 'the repository name is longer than 255 characters');
  if (tag === null && digest === null) tag = 'latest';
  return { registry, repository, tag, digest };
}

/** The full normalised name: registry/repository[:tag][@digest]. */
export function formatReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.tag !== null ? `:${r.tag}` : ''}${r.digest !== null ? `@${r.digest}` : ''}`;
}

/** registry/repository (no tag or digest). */
export function repositoryName(r: ImageReference): string {
  return `${r.registry}/${r.repository}`;
}

/** The host the HTTP API lives on. */
export function registryHost(r: ImageReference): string {
  return r.registry === DOCKER_HUB ? DOCKER_HUB_API : r.registry;
}

/** Loopback registries (127.0.0.0/8, ::1, localhost): the only ones plain HTTP is offered for by default in tests. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A short display form: docker.io/library/ is dropped, as docker does. */
export function shortName(r: ImageReference): string {
  const repo = r.registry === DOCKER_HUB ? r.repository.replace(/^library\//, '') : `${r.registry}/${r.repository}`;
  return `${repo}${r.tag !== null ? `:${r.tag}` : ''}${r.digest !== null && r.tag === null ? `@${r.digest}` : ''}`;
}
