import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/** examples/wallboard at the package root, from src/cli (tsx) as from dist/cli (built). */
const WALLBOARD_DIR = fileURLToPath(new URL('../../examples/wallboard/', import.meta.url));
const FILES: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/wallboard.js': 'wallboard.js',
  '/board-state.js': 'board-state.js',
  '/sse.js': 'sse.js',
  '/direct.js': 'direct.js',
};
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8' };
const BUNDLE_PATH = '/genesys-relay.browser.js';
const TOKEN_PATH = '/demo-token';

/** Direct mode: the page talks to Genesys (here the emulator) itself, through the browser client bundle. */
export interface DirectMode {
  apiBase: string;
  loginBase: string;
  /** The emulator's OAuth client the demo-only token endpoint mints tokens with (never sent to the page). */
  clientId: string;
  clientSecret: string;
  topics: readonly string[];
  /** The emulator's heartbeat, so the page's watchdog spots a silent socket as fast as the relay's. */
  heartbeatMs?: number;
}

export interface WallboardServer {
  /** The page's origin (for the stream's CORS allow-list). */
  readonly origin: string;
  /** The page, with the stream URL and token in the fragment (never sent to a server). */
  pageUrl(streamUrl: string, token: string): string;
  /** The page in direct mode: the API base, topics and token endpoint in the fragment. Undefined without one. */
  directPageUrl(): string | undefined;
  close(): Promise<void>;
}

/**
 * Serves the wallboard example's few static files on `port` (0 = any) of 127.0.0.1; with `direct`, also the
 * browser client bundle and a DEMO-ONLY token endpoint (a real page gets its token from an implicit-grant or PKCE
 * login: a client secret in a page is readable by anyone who loads it).
 */
export async function startWallboardServer(port: number, direct?: DirectMode): Promise<WallboardServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method !== 'GET') return void res.writeHead(404).end();
    if (direct && path === TOKEN_PATH) return void answer(res, mintDemoToken(direct), 'application/json');
    if (direct && path === BUNDLE_PATH) return void answer(res, browserBundle(), TYPES['js'] ?? '');
    const name = FILES[path];
    if (name === undefined) return void res.writeHead(404).end();
    answer(res, readFile(WALLBOARD_DIR + name), TYPES[name.split('.').pop() ?? ''] ?? 'text/plain');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    pageUrl: (streamUrl, token) => `${origin}/#${new URLSearchParams({ stream: streamUrl, token }).toString()}`,
    directPageUrl: () => {
      if (!direct) return undefined;
      const params = new URLSearchParams({ direct: direct.apiBase, tokenUrl: TOKEN_PATH });
      for (const topic of direct.topics) params.append('topic', topic);
      if (direct.heartbeatMs !== undefined) params.set('heartbeatMs', String(direct.heartbeatMs));
      return `${origin}/#${params.toString()}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(res: ServerResponse, body: Promise<string | Buffer>, type: string): void {
  body.then(
    (content) => {
      res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(content);
    },
    (err: unknown) => res.writeHead(500).end(`${err instanceof Error ? err.message : String(err)}\n`),
  );
}

/** A token from the emulator's login host, as a page's implicit-grant redirect would hand it over. */
async function mintDemoToken(direct: DirectMode): Promise<string> {
  const basic = Buffer.from(`${direct.clientId}:${direct.clientSecret}`).toString('base64');
  const res = await fetch(`${direct.loginBase}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  if (res.status !== 200) throw new Error(`the emulator's login host answered ${res.status}`);
  const body = (await res.json()) as { access_token: string; expires_in: number };
  return JSON.stringify({ accessToken: body.access_token, expiresAt: Date.now() + body.expires_in * 1_000 });
}

let bundle: Promise<string> | undefined;

/**
 * The browser client as one ES module. Installed (dist/), the one `npm run build` made; from the sources (tsx, a
 * clone), bundled here with esbuild (a devDependency), so the page always runs the code being developed.
 */
function browserBundle(): Promise<string> {
  bundle ??= import.meta.url.endsWith('.ts')
    ? import('esbuild').then(async ({ build }) => {
        const result = await build({
          entryPoints: [fileURLToPath(new URL('../browser/index.ts', import.meta.url))],
          bundle: true,
          platform: 'browser',
          format: 'esm',
          target: 'es2022',
          write: false,
          logLevel: 'silent',
        });
        return result.outputFiles[0]?.text ?? '';
      })
    : readFile(fileURLToPath(new URL('../browser/genesys-relay.browser.js', import.meta.url)), 'utf8');
  return bundle;
}

/** A fresh stream token for one demo run. */
export function demoStreamToken(): string {
  return randomBytes(18).toString('base64url');
}
