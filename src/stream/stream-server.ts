import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.ts';
import { openingFrame } from './sse-frames.ts';
import { ConnectionRateLimiter } from './rate-limiter.ts';
import { TokenCheck } from './stream-auth.ts';
import { StreamClient, type EventReader, type StreamClientSnapshot } from './stream-client.ts';
import type { StreamMetrics } from './stream-metrics.ts';

/** What the stream needs of the outbox: reads after a cursor, and a call after each commit of new events. */
export interface StreamSource extends EventReader {
  onCommit(listener: () => void): () => void;
}

export interface StreamServerOptions {
  source: StreamSource;
  /** The bearer token every request must present (see resolveStreamToken). */
  token: string;
  /** 0 picks a free port. */
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Origins allowed to read the stream from a page ('*' for any). @default [] (no cross-origin page) */
  corsOrigins?: readonly string[];
  /** Open streams beyond this get 503. @default 100 */
  maxClients?: number;
  /** New connections per client address and minute (token bucket). @default 60 */
  connectionsPerMinute?: number;
  /** Connections an address may open at once before the per-minute rate applies. @default 10 */
  connectionBurst?: number;
  /** @default 15000 */
  heartbeatMs?: number;
  /** @default 256 */
  batchSize?: number;
  /** Reconnect delay sent to EventSource (`retry:`). @default 1000 */
  retryMs?: number;
  metrics?: StreamMetrics;
  clock?: Clock;
  /** Called when the outbox cannot be read for a client (its response is ended; it reconnects and resumes). */
  onReadError?: (err: unknown) => void;
}

export interface StreamServer {
  readonly url: string;
  readonly port: number;
  clientCount(): number;
  /** Each open stream's cursor and buffered bytes (diagnostics, tests). */
  clients(): StreamClientSnapshot[];
  /** Ends every stream and stops listening. Idempotent. */
  close(): Promise<void>;
}

const STREAM_PATH = '/v1/stream';

/** Starts the browser event stream (CONTRACT.md "Event stream for browsers"). */
export async function startStreamServer(options: StreamServerOptions): Promise<StreamServer> {
  const stream = new SseEndpoint(options);
  const server = createServer((req, res) => stream.handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address, family } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}${STREAM_PATH}`,
    port,
    clientCount: () => stream.clientCount(),
    clients: () => stream.snapshots(),
    close: () => stream.close(server),
  };
}

class SseEndpoint {
  private readonly clients = new Set<StreamClient>();
  private readonly tokens: TokenCheck;
  private readonly limiter: ConnectionRateLimiter;
  private readonly clock: Clock;
  private readonly unsubscribe: () => void;
  private heartbeatTimer: TimerHandle | undefined;
  private closed = false;

  constructor(private readonly o: StreamServerOptions) {
    this.clock = o.clock ?? systemClock;
    this.tokens = new TokenCheck(o.token);
    this.limiter = new ConnectionRateLimiter(this.clock, o.connectionsPerMinute ?? 60, o.connectionBurst ?? 10);
    this.unsubscribe = o.source.onCommit(() => {
      for (const client of this.clients) client.wake();
    });
    this.scheduleHeartbeat();
  }

  clientCount(): number {
    return this.clients.size;
  }

  snapshots(): StreamClientSnapshot[] {
    return [...this.clients].map((c) => c.snapshot());
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://stream.invalid');
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin)) return this.reject(res, 403, 'origin not allowed');
    if (origin !== undefined) corsHeaders(res, origin);
    if (req.method === 'OPTIONS') return preflight(res);
    if (url.pathname !== STREAM_PATH) return plain(res, 404, 'not found');
    if (req.method !== 'GET') return plain(res, 405, 'method not allowed');
    // Rate before auth: a token guesser is slowed down like anyone else.
    if (!this.limiter.take(req.socket.remoteAddress ?? '')) {
      res.setHeader('Retry-After', '60');
      return this.reject(res, 429, 'too many new connections');
    }
    if (!this.tokens.accepts(req, url)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="genesys-relay stream"');
      return this.reject(res, 401, 'missing or wrong token');
    }
    if (this.closed || this.clients.size >= (this.o.maxClients ?? 100)) {
      res.setHeader('Retry-After', '5');
      return this.reject(res, 503, 'too many stream clients');
    }
    const resume = parseResume(req, url);
    if (resume === 'invalid') return plain(res, 400, 'Last-Event-ID must be a non-negative integer');
    this.open(req, res, url, resume);
  }

  async close(server: Server): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.clock.clearTimeout(this.heartbeatTimer);
    for (const client of this.clients) client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private open(req: IncomingMessage, res: ServerResponse, url: URL, resume: number | undefined): void {
    const topicPrefixes = url.searchParams.getAll('topic').filter((t) => t !== '');
    if (resume !== undefined) this.o.metrics?.resumes.inc();
    // A fresh client starts at the newest committed event; a resuming one right after what it saw.
    const cursor = resume ?? this.o.source.readAfter(Number.MAX_SAFE_INTEGER, 1, []).lastSeq;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(openingFrame(this.o.retryMs ?? 1000));
    const client = new StreamClient(res, {
      reader: this.o.source,
      topicPrefixes,
      cursor,
      batchSize: this.o.batchSize ?? 256,
      metrics: this.o.metrics,
      onReadError: (err) => this.o.onReadError?.(err),
    });
    this.clients.add(client);
    this.o.metrics?.clients.set(this.clients.size);
    const gone = (): void => {
      client.close();
      if (this.clients.delete(client)) this.o.metrics?.clients.set(this.clients.size);
    };
    req.socket.setNoDelay(true);
    res.on('close', gone);
    res.on('error', gone);
    client.wake();
  }

  private originAllowed(origin: string): boolean {
    const allowed = this.o.corsOrigins ?? [];
    return allowed.includes('*') || allowed.includes(origin);
  }

  private reject(res: ServerResponse, status: 401 | 403 | 429 | 503, text: string): void {
    this.o.metrics?.rejected.inc({ status: String(status) });
    plain(res, status, text);
  }

  private scheduleHeartbeat(): void {
    const every = this.o.heartbeatMs ?? 15_000;
    if (every <= 0 || this.closed) return;
    this.heartbeatTimer = this.clock.setTimeout(() => {
      for (const client of this.clients) client.heartbeat();
      this.scheduleHeartbeat();
    }, every);
  }
}

/** `Last-Event-ID` header, else the `lastEventId` query (for a hand-made reconnect URL); undefined when absent. */
function parseResume(req: IncomingMessage, url: URL): number | undefined | 'invalid' {
  const raw = req.headers['last-event-id'] ?? url.searchParams.get('lastEventId') ?? undefined;
  if (raw === undefined || raw === '') return undefined;
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (text === undefined || !/^\d{1,15}$/.test(text.trim())) return 'invalid';
  return Number(text.trim());
}

function corsHeaders(res: ServerResponse, origin: string): void {
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
}

function preflight(res: ServerResponse): void {
  res.writeHead(204, {
    'Access-Control-Allow-Methods': 'GET, OPTIONS',
    'Access-Control-Allow-Headers': 'Authorization, Last-Event-ID, Cache-Control',
    'Access-Control-Max-Age': '600',
  });
  res.end();
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}
