import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { VesselError } from '../contract/index.js';
import type { Runtime } from '../api/index.js';
import { ApiSession } from '../handlers/index.js';

/**
 * Browser mode: the built renderer over HTTP and the API over a WebSocket
 * (/api), on loopback by default. Every request needs the random token (in
 * the URL once; then an HttpOnly SameSite=Strict cookie); without it the
 * server answers 403 with an empty body. The WebSocket also checks Origin.
 */

export interface ServeOptions {
  host: string;
  port: number;
  /** The built renderer (index.html + bundle). */
  rendererDir: string;
  /** Fixed token (tests); default: 32 random bytes. */
  token?: string;
}

export interface RunningServer {
  url: string;
  origin: string;
  token: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const COOKIE = 'vessel_token';
/** Stop reading a client's messages while its socket holds this much unsent data. */
const MAX_BUFFERED = 4 * 1024 * 1024;

export function contentSecurityPolicy(wsOrigin: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    // xterm.js and uPlot set inline styles.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${wsOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function sameToken(a: string | undefined | null, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

export async function serve(rt: Runtime, options: ServeOptions): Promise<RunningServer> {
  if (!existsSync(path.join(options.rendererDir, 'index.html'))) {
    throw new VesselError('E_MISSING_DEPENDENCY', `the renderer is not built (${options.rendererDir}/index.html is missing): run 'npm run build'`);
  }
  const token = options.token ?? randomBytes(32).toString('base64url');
  const rendererDir = path.resolve(options.rendererDir);
  let origin = '';
  const sessions = new Set<ApiSession>();

  const authorized = (req: IncomingMessage, url: URL): boolean => sameToken(url.searchParams.get('token'), token) || sameToken(cookieToken(req), token);

  const handleHttp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', origin);
    if (!authorized(req, url)) {
      res.writeHead(403, { 'Content-Length': '0' }).end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'Content-Length': '0' }).end();
      return;
    }
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = path.resolve(rendererDir, rel);
    if (!file.startsWith(rendererDir + path.sep)) {
      res.writeHead(404, { 'Content-Length': '0' }).end();
      return;
    }
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      res.writeHead(404, { 'Content-Length': '0' }).end();
      return;
    }
    const wsOrigin = origin.replace(/^http/, 'ws');
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(body.length),
      'Cache-Control': 'no-store',
      'Content-Security-Policy': contentSecurityPolicy(wsOrigin),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Set-Cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const server = createServer((req, res) => {
    handleHttp(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Length': '0' });
      res.end();
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 2 * 1024 * 1024 });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', origin);
    // A page on another origin must not drive the API, even with a stolen cookie.
    if (url.pathname !== '/api' || !authorized(req, url) || req.headers.origin !== origin) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
  });

  const attach = (ws: WebSocket): void => {
    const session = new ApiSession(rt, {
      send: (message) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
      },
    });
    sessions.add(session);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let raw: unknown;
      try {
        raw = JSON.parse(data.toString());
      } catch {
        return;
      }
      session.handle(raw);
      // Transport back-pressure: a client that does not read gets no more work done.
      if (ws.bufferedAmount > MAX_BUFFERED) ws.pause();
    });
    const drain = setInterval(() => {
      if (ws.isPaused && ws.bufferedAmount < MAX_BUFFERED / 2) ws.resume();
    }, 100);
    ws.on('close', () => {
      clearInterval(drain);
      session.close();
      sessions.delete(session);
    });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new VesselError(err.code === 'EADDRINUSE' ? 'E_BUSY' : 'E_INTERNAL', `cannot listen on ${options.host}:${options.port}: ${err.message}`)),
    );
    server.listen(options.port, options.host, resolve);
  });
  const addr = server.address() as AddressInfo;
  const hostPart = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  origin = `http://${hostPart}:${addr.port}`;
  return {
    origin,
    token,
    url: `${origin}/?token=${token}`,
    close: async () => {
      for (const s of sessions) s.close();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
