import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, createSign, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Test support (not product code): a real registry (Debian's docker-registry,
 * distribution 2.8) started on 127.0.0.1 with a random port, optionally with
 * htpasswd (Basic) auth or token auth served by a small token service in the
 * test; a loopback proxy in front of it that can cut or corrupt one blob;
 * and helpers that build images from local files with umoci and push them
 * with skopeo. Nothing here talks to anything but loopback.
 */

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export function registryToolsMissing(): string | null {
  for (const [bin, pkg] of [[REGISTRY_BIN, 'docker-registry'], ['/usr/bin/skopeo', 'skopeo'], ['/usr/bin/umoci', 'umoci'], ['/usr/bin/htpasswd', 'apache2-utils'], ['/usr/bin/openssl', 'openssl']] as const) {
    if (!existsSync(bin)) return `${bin} is missing (Debian package ${pkg}; npm run setup installs it)`;
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await r.body?.cancel();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`registry at ${url} did not come up`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export interface TestRegistry {
  /** host:port */
  host: string;
  dir: string;
  user?: string;
  password?: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  auth?: 'none' | 'basic' | 'token';
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vessel-i11-registry-'));
  const user = 'tester';
  const password = randomBytes(8).toString('hex');
  const lines = ['version: 0.1', 'log:', '  level: error', '  accesslog:', '    disabled: true', 'storage:', `  filesystem:`, `    rootdirectory: ${dir}/data`, '  delete:', '    enabled: true'];
  let tokenServer: http.Server | null = null;
  const port = await freePort();
  if (options.auth === 'basic') {
    const r = spawnSync('/usr/bin/htpasswd', ['-Bbn', user, password], { encoding: 'utf8' });
    writeFileSync(path.join(dir, 'htpasswd'), r.stdout);
    lines.push('auth:', '  htpasswd:', '    realm: vessel-test', `    path: ${dir}/htpasswd`);
  } else if (options.auth === 'token') {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    const gen = spawnSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=vessel-test-token'], { encoding: 'utf8' });
    if (gen.status !== 0) throw new Error(`openssl: ${gen.stderr}`);
    const der = Buffer.from(readFileSync(cert, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const keyPem = readFileSync(key, 'utf8');
    const tokenPort = await freePort();
    tokenServer = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const auth = req.headers.authorization ?? '';
      const given = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : '';
      if (given !== `${user}:${password}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ details: 'wrong credentials' }));
        return;
      }
      const scope = url.searchParams.get('scope') ?? '';
      const [, name = '', actions = ''] = scope.split(':');
      const nowS = Math.floor(Date.now() / 1000);
      const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
      const claims = { iss: 'vessel-test-issuer', sub: user, aud: url.searchParams.get('service'), exp: nowS + 600, nbf: nowS - 10, iat: nowS, jti: randomBytes(8).toString('hex'), access: scope ? [{ type: 'repository', name, actions: actions.split(',') }] : [] };
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      const sig = createSign('RSA-SHA256').update(input).sign(keyPem);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: `${input}.${b64url(sig)}` }));
    });
    await new Promise<void>((resolve) => tokenServer?.listen(tokenPort, '127.0.0.1', resolve));
    lines.push('auth:', '  token:', `    realm: http://127.0.0.1:${tokenPort}/token`, '    service: vessel-test', '    issuer: vessel-test-issuer', `    rootcertbundle: ${cert}`);
  }
  lines.push('http:', `  addr: 127.0.0.1:${port}`, `  secret: ${randomBytes(8).toString('hex')}`);
  writeFileSync(path.join(dir, 'config.yml'), lines.join('\n') + '\n');
  mkdirSync(path.join(dir, 'data'));
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  try {
    await waitHttp(`http://127.0.0.1:${port}/v2/`, 15_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}: ${stderr}`);
  }
  return {
    host: `127.0.0.1:${port}`,
    dir,
    ...(options.auth && options.auth !== 'none' ? { user, password } : {}),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await new Promise<void>((r) => (tokenServer ? tokenServer.close(() => r()) : r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ProxyRule {
  /** Cut the connection after this many body bytes of the blob (once). */
  cutBlobAfter?: { digest: string; bytes: number };
  /** Flip a byte of this blob's body. */
  corruptBlob?: string;
  /** Send blob bodies slowly: this many bytes every 100 ms (for progress and cancel in UI tests). */
  slowBytesPer100ms?: number;
}

export interface TestProxy {
  host: string;
  rule: ProxyRule;
  /** Range headers seen on blob requests. */
  ranges: string[];
  stop(): Promise<void>;
}

/** An HTTP proxy in front of a registry (loopback) that can break one blob's download. */
export async function startProxy(target: string): Promise<TestProxy> {
  const port = await freePort();
  const rule: ProxyRule = {};
  const ranges: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (/\/blobs\/sha256:/.test(url) && req.headers.range) ranges.push(req.headers.range);
    const up = http.request(`http://${target}${url}`, { method: req.method, headers: { ...req.headers, host: target } }, (upRes) => {
      const cut = rule.cutBlobAfter && url.endsWith(`/blobs/${rule.cutBlobAfter.digest}`) ? rule.cutBlobAfter : null;
      const corrupt = rule.corruptBlob && url.endsWith(`/blobs/${rule.corruptBlob}`);
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      let sent = 0;
      let flipped = false;
      const slow = rule.slowBytesPer100ms && /\/blobs\/sha256:/.test(url) ? rule.slowBytesPer100ms : 0;
      if (slow) {
        const parts: Buffer[] = [];
        let ended = false;
        upRes.on('data', (c: Buffer) => parts.push(c));
        upRes.on('end', () => (ended = true));
        const timer = setInterval(() => {
          let budget = slow;
          while (budget > 0 && parts.length > 0) {
            const c = parts.shift() ?? Buffer.alloc(0);
            if (c.length > budget) {
              parts.unshift(c.subarray(budget));
              res.write(c.subarray(0, budget));
              budget = 0;
            } else {
              res.write(c);
              budget -= c.length;
            }
          }
          if (ended && parts.length === 0) {
            clearInterval(timer);
            res.end();
          }
        }, 100);
        res.on('close', () => clearInterval(timer));
        return;
      }
      upRes.on('data', (chunk: Buffer) => {
        let c = chunk;
        if (corrupt && !flipped && c.length > 0) {
          c = Buffer.from(c);
          c[0] = (c[0] ?? 0) ^ 0xff;
          flipped = true;
        }
        if (cut) {
          const room = cut.bytes - sent;
          if (room <= 0) return;
          if (c.length >= room) {
            res.write(c.subarray(0, room));
            sent += room;
            rule.cutBlobAfter = undefined;
            res.socket?.destroy();
            upRes.destroy();
            return;
          }
        }
        sent += c.length;
        res.write(c);
      });
      upRes.on('end', () => res.end());
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${port}`,
    rule,
    ranges,
    stop: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** An OCI layout built with umoci: `umoci new`, then one `repack` per change, then config. */
export class LayoutBuilder {
  readonly layout: string;
  private bundle: string;

  constructor(readonly dir: string, readonly tag: string) {
    this.layout = path.join(dir, 'layout');
    this.bundle = path.join(dir, `bundle-${tag}`);
    if (!existsSync(this.layout)) run('/usr/bin/umoci', ['init', '--layout', this.layout]);
    run('/usr/bin/umoci', ['new', '--image', `${this.layout}:${tag}`]);
    run('/usr/bin/umoci', ['unpack', '--image', `${this.layout}:${tag}`, this.bundle]);
  }

  get rootfs(): string {
    return path.join(this.bundle, 'rootfs');
  }

  /** Commit what is in rootfs now as a new layer. */
  layer(): void {
    run('/usr/bin/umoci', ['repack', '--refresh-bundle', '--image', `${this.layout}:${this.tag}`, this.bundle]);
  }

  config(args: string[]): void {
    run('/usr/bin/umoci', ['config', '--image', `${this.layout}:${this.tag}`, ...args]);
  }

  done(): void {
    rmSync(this.bundle, { recursive: true, force: true });
  }
}

/** Push a layout's tag to the registry with skopeo (plain HTTP on loopback). Async: the token service lives in this process. */
export function skopeoPush(layout: string, tag: string, dest: string, creds?: { user: string; password: string }, all = false): Promise<void> {
  return runAsync('/usr/bin/skopeo', ['copy', '--quiet', '--dest-tls-verify=false', ...(all ? ['--all'] : []), ...(creds ? ['--dest-creds', `${creds.user}:${creds.password}`] : []), `oci:${layout}:${tag}`, `docker://${dest}`]);
}

function runAsync(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: ${stderr}`))));
  });
}

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** Upload a blob with the distribution API (monolithic: POST then PUT). */
export async function pushBlob(host: string, repo: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  const loc = start.headers.get('location');
  if (start.status !== 202 || !loc) throw new Error(`blob upload start: ${start.status}`);
  const url = new URL(loc, `http://${host}`);
  url.searchParams.set('digest', digest);
  const put = await fetch(url, { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
  return digest;
}

export async function pushManifest(host: string, repo: string, tag: string, manifest: unknown, mediaType: string): Promise<string> {
  const body = Buffer.from(JSON.stringify(manifest));
  const r = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body, headers: { 'content-type': mediaType } });
  if (r.status !== 201) throw new Error(`manifest push: ${r.status} ${await r.text()}`);
  return sha256(body);
}

/** A tar archive written by hand (for layers no honest tool would make: "../" names, symlink escapes). */
export function tarOf(entries: Array<{ name: string; type?: 'file' | 'dir' | 'symlink'; data?: string; link?: string }>): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const h = Buffer.alloc(512);
    const data = Buffer.from(e.data ?? '');
    h.write(e.name, 0, 100);
    h.write(e.type === 'dir' ? '0000755\0' : '0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write((e.type === 'file' || !e.type ? data.length : 0).toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(e.type === 'dir' ? '5' : e.type === 'symlink' ? '2' : '0', 156);
    if (e.link) h.write(e.link, 157, 100);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h);
    if (e.type === 'file' || !e.type) {
      blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
