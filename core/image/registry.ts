import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { z } from 'zod';
import { VesselError } from '../contract/index.js';
import type { Credentials } from './auth.js';
import { INDEX_TYPES, MANIFEST_TYPES, MEDIA } from './media.js';
import { registryHost, type ImageReference } from './reference.js';

/**
 * A client for the OCI distribution API (what every registry speaks): manifests
 * and blobs, with the Basic and Bearer-token challenges of
 * docker/distribution. Plain HTTP only when asked (--insecure). Credentials
 * go into Authorization headers and nowhere else: never into errors or logs.
 */

export interface RegistryOptions {
  insecure: boolean;
  credentials: Credentials | null;
  signal?: AbortSignal;
  /** Per request, for the headers to arrive (the body may take longer). */
  timeoutMs?: number;
}

export interface FetchedManifest {
  mediaType: string;
  bytes: Buffer;
  digest: string;
}

const TokenReply = z.object({ token: z.string().optional(), access_token: z.string().optional() });

const ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)="([^"]*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header)) !== null) if (m[1] && m[2] !== undefined) params[m[1].toLowerCase()] = m[2];
  return { scheme, params };
}

export class RegistryClient {
  private authorization: string | null = null;
  private readonly base: string;
  private readonly host: string;

  constructor(private readonly ref: ImageReference, private readonly options: RegistryOptions) {
    this.host = registryHost(ref);
    this.base = `${options.insecure ? 'http' : 'https'}://${this.host}/v2/`;
  }

  private scope(): string {
    return `repository:${this.ref.repository}:pull`;
  }

  private signal(): AbortSignal {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 60_000);
    return this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
  }

  private async send(url: string, headers: Record<string, string>, method = 'GET'): Promise<Response> {
    const h: Record<string, string> = { ...headers };
    if (this.authorization) h.authorization = this.authorization;
    try {
      return await fetch(url, { method, headers: h, signal: this.signal(), redirect: 'follow' });
    } catch (err) {
      if (this.options.signal?.aborted) throw new VesselError('E_CANCELLED', 'the pull was cancelled');
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
      const hint = this.options.insecure ? '' : ' (a plain-HTTP registry needs --insecure)';
      throw new VesselError('E_REGISTRY', `cannot reach registry ${this.ref.registry}: ${cause}${hint}`, { registry: this.ref.registry });
    }
  }

  /** A request with the auth dance: on 401, answer the challenge once and retry. */
  async request(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
    const url = this.base + path;
    let res = await this.send(url, headers, method);
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate');
    await res.body?.cancel().catch(() => undefined);
    if (!challenge) throw new VesselError('E_AUTH', `registry ${this.ref.registry} refused access (401) without saying how to authenticate`);
    await this.answer(parseChallenge(challenge));
    res = await this.send(url, headers, method);
    if (res.status === 401) {
      await res.body?.cancel().catch(() => undefined);
      throw this.authFailed();
    }
    return res;
  }

  private authFailed(): VesselError {
    const who = this.options.credentials ? `as "${this.options.credentials.username}": wrong username or password` : 'anonymously: log in first (credentials in auth.json or ~/.docker/config.json)';
    return new VesselError('E_AUTH', `authentication to registry ${this.ref.registry} failed ${who}`, { registry: this.ref.registry });
  }

  private basic(): string | null {
    const c = this.options.credentials;
    return c ? `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` : null;
  }

  private async answer(ch: { scheme: string; params: Record<string, string> }): Promise<void> {
    if (ch.scheme === 'basic') {
      const basic = this.basic();
      if (!basic) throw this.authFailed();
      this.authorization = basic;
      return;
    }
    if (ch.scheme !== 'bearer' || !ch.params.realm) throw new VesselError('E_AUTH', `registry ${this.ref.registry} asks for an authentication scheme Vessel does not speak (${ch.scheme})`);
    let realm: URL;
    try {
      realm = new URL(ch.params.realm);
    } catch {
      throw new VesselError('E_REGISTRY', `registry ${this.ref.registry} names an invalid token service`);
    }
    if (realm.protocol !== 'https:' && !this.options.insecure) throw new VesselError('E_REGISTRY', `registry ${this.ref.registry} names a plain-HTTP token service: refused without --insecure`);
    if (ch.params.service) realm.searchParams.set('service', ch.params.service);
    realm.searchParams.set('scope', ch.params.scope ?? this.scope());
    const basic = this.basic();
    let res: Response;
    try {
      res = await fetch(realm, { headers: basic ? { authorization: basic } : {}, signal: this.signal() });
    } catch (err) {
      if (this.options.signal?.aborted) throw new VesselError('E_CANCELLED', 'the pull was cancelled');
      throw new VesselError('E_REGISTRY', `cannot reach the token service of ${this.ref.registry}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel().catch(() => undefined);
      throw this.authFailed();
    }
    if (!res.ok) throw new VesselError('E_REGISTRY', `the token service of ${this.ref.registry} answered HTTP ${res.status}`);
    const reply = TokenReply.safeParse(await res.json().catch(() => null));
    const token = reply.success ? (reply.data.token ?? reply.data.access_token) : undefined;
    if (!token) throw new VesselError('E_REGISTRY', `the token service of ${this.ref.registry} sent no token`);
    this.authorization = `Bearer ${token}`;
  }

  private async failure(res: Response, what: string): Promise<VesselError> {
    const text = (await res.text().catch(() => '')).slice(0, 2000);
    let code = '';
    try {
      const parsed = z.object({ errors: z.array(z.object({ code: z.string(), message: z.string().optional() })) }).safeParse(JSON.parse(text));
      if (parsed.success && parsed.data.errors[0]) code = `${parsed.data.errors[0].code}${parsed.data.errors[0].message ? `: ${parsed.data.errors[0].message}` : ''}`;
    } catch {
      // not JSON
    }
    if (res.status === 404) return new VesselError('E_NOT_FOUND', `${what} not found in registry ${this.ref.registry}${code ? ` (${code})` : ''}`);
    if (res.status === 403) return new VesselError('E_AUTH', `registry ${this.ref.registry} denied access to ${what}${code ? ` (${code})` : ''}`);
    return new VesselError('E_REGISTRY', `registry ${this.ref.registry} answered HTTP ${res.status} for ${what}${code ? ` (${code})` : ''}`);
  }

  /** A manifest or index by tag or digest; its digest is computed, and checked against what was asked and what the registry claims. */
  async getManifest(reference: string, maxBytes = 4 * 1024 * 1024): Promise<FetchedManifest> {
    const what = `manifest ${this.ref.repository}:${reference}`.replace(':sha256:', '@sha256:');
    const res = await this.request(`${this.ref.repository}/manifests/${reference}`, { accept: ACCEPT });
    if (!res.ok) throw await this.failure(res, what);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > maxBytes) throw new VesselError('E_REGISTRY', `${what} is larger than ${maxBytes} bytes: refused`);
    const digest = sha256(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new VesselError('E_DIGEST_MISMATCH', `${what}: the registry sent content whose digest is ${digest}: discarded`);
    }
    const claimed = res.headers.get('docker-content-digest');
    if (claimed && claimed.startsWith('sha256:') && claimed !== digest) {
      throw new VesselError('E_DIGEST_MISMATCH', `${what}: the registry says its digest is ${claimed}, its content hashes to ${digest}: discarded`);
    }
    let mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    try {
      const body = z.object({ mediaType: z.string().optional() }).safeParse(JSON.parse(bytes.toString('utf8')));
      if (body.success && body.data.mediaType) mediaType = body.data.mediaType;
    } catch {
      throw new VesselError('E_REGISTRY', `${what} is not JSON`);
    }
    if (!MANIFEST_TYPES.includes(mediaType) && !INDEX_TYPES.includes(mediaType)) {
      throw new VesselError('E_UNSUPPORTED', `${what} has media type "${mediaType || 'none'}", not an OCI/Docker image manifest or index (schema 1 and artifacts are not supported)`, { mediaType });
    }
    return { mediaType, bytes, digest };
  }

  /**
   * Download a blob into `partial` (resuming what is already there with a
   * Range request), verifying its size and digest. On a mismatch the partial
   * file is removed and E_DIGEST_MISMATCH thrown.
   */
  async fetchBlob(digest: string, size: number, partial: string, onBytes: (done: number) => void): Promise<void> {
    let have = existsSync(partial) ? statSync(partial).size : 0;
    if (have > size) {
      await rm(partial, { force: true });
      have = 0;
    }
    const hash = createHash('sha256');
    if (have > 0) {
      for await (const chunk of createReadStream(partial)) hash.update(chunk as Buffer);
    }
    const headers: Record<string, string> = have > 0 && have < size ? { range: `bytes=${have}-` } : {};
    const what = `blob ${digest}`;
    let res: Response | null = null;
    if (have < size || size === 0) {
      res = await this.request(`${this.ref.repository}/blobs/${digest}`, headers);
      if (!res.ok) throw await this.failure(res, what);
    }
    const file = await open(partial, res && res.status === 206 ? 'a' : have === size && size > 0 ? 'r' : 'w', 0o600);
    let done = have;
    try {
      if (res && res.status !== 206) {
        // The registry ignored the range: start over.
        done = 0;
        hash.destroy();
      }
      const h = res && res.status !== 206 ? createHash('sha256') : hash;
      onBytes(done);
      if (res?.body) {
        const reader = res.body.getReader();
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (err) {
            if (this.options.signal?.aborted) throw new VesselError('E_CANCELLED', 'the pull was cancelled');
            throw new VesselError('E_REGISTRY', `the download of ${what} broke off after ${done} of ${size} bytes (${err instanceof Error ? err.message : String(err)}): pull again to resume`);
          }
          if (chunk.done) break;
          const buf = Buffer.from(chunk.value);
          done += buf.length;
          if (done > size) throw new VesselError('E_DIGEST_MISMATCH', `${what} is larger than its descriptor says (${size} bytes): discarded`);
          h.update(buf);
          await file.write(buf);
          onBytes(done);
        }
      }
      await file.sync();
      if (done !== size) throw new VesselError('E_REGISTRY', `the download of ${what} ended after ${done} of ${size} bytes: pull again to resume`);
      const got = `sha256:${h.digest('hex')}`;
      if (got !== digest) {
        await file.close();
        await rm(partial, { force: true });
        throw new VesselError('E_DIGEST_MISMATCH', `${what} hashes to ${got}: the content does not match its digest and was discarded`, { expected: digest, actual: got });
      }
    } catch (err) {
      if (err instanceof VesselError && err.code === 'E_DIGEST_MISMATCH') await rm(partial, { force: true });
      throw err;
    } finally {
      await file.close().catch(() => undefined);
    }
  }
}
