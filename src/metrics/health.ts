import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { errorMessage } from '../core/errors.ts';
import type { Readiness } from './readiness.ts';

export interface HealthServerOptions {
  /** 0 picks a free port (see `HealthServer.port`). */
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
  registry: Registry;
  /** Evaluated on every /readyz request, so the answer is never stale. */
  readiness: () => Readiness;
  /** Refreshes snapshot gauges (outbox depth, socket states) right before each /metrics scrape. */
  beforeScrape?: () => void;
}

export interface HealthServer {
  readonly port: number;
  /** e.g. `http://127.0.0.1:9464` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `GET /metrics` (Prometheus text), `GET /livez` (200 while the process runs), `GET /readyz` (200 or 503 with
 * a JSON reason). Plain node:http: three routes do not justify a framework.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((req, res) => {
    handle(req, res, options).catch((err: unknown) => send(res, 500, 'text/plain', `error: ${errorMessage(err)}\n`));
  });
  // Scrapers keep connections alive; do not let them hold close() open.
  server.keepAliveTimeout = 2_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    port: address.port,
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: HealthServerOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain', 'method not allowed\n');
    return;
  }
  switch (path) {
    case '/metrics':
      options.beforeScrape?.();
      send(res, 200, options.registry.contentType, await options.registry.metrics());
      return;
    case '/livez':
    case '/healthz':
      send(res, 200, 'application/json', '{"live":true}\n');
      return;
    case '/readyz': {
      const readiness = options.readiness();
      send(res, readiness.ready ? 200 : 503, 'application/json', `${JSON.stringify(readiness)}\n`);
      return;
    }
    default:
      send(res, 404, 'text/plain', 'not found: try /metrics, /livez or /readyz\n');
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}
