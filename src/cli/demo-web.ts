import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
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
};
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8' };

export interface WallboardServer {
  /** The page's origin (for the stream's CORS allow-list). */
  readonly origin: string;
  /** The page, with the stream URL and token in the fragment (never sent to a server). */
  pageUrl(streamUrl: string, token: string): string;
  close(): Promise<void>;
}

/** Serves the wallboard example's few static files on `port` (0 = any) of 127.0.0.1; nothing else. */
export async function startWallboardServer(port: number): Promise<WallboardServer> {
  const server: Server = createServer((req, res) => {
    const name = FILES[new URL(req.url ?? '/', 'http://x').pathname];
    if (req.method !== 'GET' || name === undefined) {
      res.writeHead(404).end();
      return;
    }
    readFile(WALLBOARD_DIR + name).then(
      (body) => {
        res.writeHead(200, {
          'Content-Type': TYPES[name.split('.').pop() ?? ''] ?? 'text/plain',
          'Cache-Control': 'no-store',
        });
        res.end(body);
      },
      () => res.writeHead(500).end('wallboard files missing from this install\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    pageUrl: (streamUrl, token) => `${origin}/#${new URLSearchParams({ stream: streamUrl, token }).toString()}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A fresh stream token for one demo run. */
export function demoStreamToken(): string {
  return randomBytes(18).toString('base64url');
}
