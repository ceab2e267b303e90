import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { VesselError } from '../contract/index.js';
import { DOCKER_HUB } from './reference.js';

/**
 * Registry credentials from the files the container ecosystem already uses,
 * in podman's order: $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
 * then docker's $DOCKER_CONFIG/config.json or ~/.docker/config.json.
 * Credentials are never logged nor put in error messages.
 */

export interface Credentials {
  username: string;
  password: string;
}

const AuthFile = z.object({
  auths: z.record(z.string(), z.object({ auth: z.string().optional(), username: z.string().optional(), password: z.string().optional() })).optional(),
});

export function authFiles(env: NodeJS.ProcessEnv): string[] {
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) files.push(path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  const home = env.HOME ?? os.homedir();
  files.push(path.join(env.DOCKER_CONFIG ?? path.join(home, '.docker'), 'config.json'));
  return files;
}

function keysFor(registry: string): string[] {
  const keys = [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
  if (registry === DOCKER_HUB) keys.push('https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io');
  return keys;
}

/** Credentials for a registry (host[:port]), or null for anonymous access. */
export function findCredentials(registry: string, files: string[]): Credentials | null {
  for (const file of files) {
    if (!existsSync(file)) continue;
    let parsed: z.infer<typeof AuthFile>;
    try {
      const r = AuthFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!r.success) throw new Error('malformed');
      parsed = r.data;
    } catch {
      throw new VesselError('E_INVALID_ARGUMENT', `the credentials file ${file} is not valid JSON of the auth.json / config.json form ({"auths": {...}})`);
    }
    const auths = parsed.auths ?? {};
    for (const key of keysFor(registry)) {
      const entry = auths[key];
      if (!entry) continue;
      if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password };
      if (entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon <= 0) throw new VesselError('E_INVALID_ARGUMENT', `the entry for ${registry} in ${file} has an "auth" that is not base64 of user:password`);
        return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
      }
    }
  }
  return null;
}
