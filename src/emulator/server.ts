import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { handleApi } from './api-routes.ts';
import { findChannel, removeChannel } from './channels.ts';
import { zeroCounters, type EmulatorContext } from './context.ts';
import { handleControl } from './control-routes.ts';
import { applyCors } from './cors.ts';
import type { FaultResult, FaultSpec } from './fault-spec.ts';
import { applyFault } from './faults.ts';
import { resultFrame } from './frames.ts';
import { EventGenerator } from './generator.ts';
import { BodyTooLargeError, errorBody, sendJson } from './http.ts';
import { handleToken } from './oauth-route.ts';
import { resolveOptions, type EmulatorOptions } from './options.ts';
import { publishTopic } from './publish-topic.ts';
import type { PublishResult } from './publisher.ts';
import { attachSocket } from './socket-session.ts';
import { dropSocket } from './sockets.ts';
import { snapshotState, type EmulatorState } from './state-view.ts';
import { TopicDenyList } from './topics.ts';

export interface EmulatorHandle {
  /** Base of `/api/v2/...`, e.g. `http://127.0.0.1:4010`. */
  readonly apiBase: string;
  /** Base of `/oauth/token`. */
  readonly loginBase: string;
  /** Base of `/control/...`. */
  readonly controlBase: string;
  /** Same as POST /control/publish; throws on an invalid topic or count. `correlationId`: one for every event. */
  publish(topic: string, eventBody?: unknown, count?: number, correlationId?: string): PublishResult;
  /** Same as POST /control/faults. */
  fault(spec: FaultSpec): FaultResult;
  /** Same as GET /control/state. */
  state(): EmulatorState;
  /** Terminates sockets, stops timers, closes the server. Idempotent. */
  close(): Promise<void>;
}

const CHANNEL_SOCKET_PATH = /^\/channels\/([^/]+)\/?$/;

/** Starts the Genesys Cloud Notification API emulator: one HTTP server for login, API, control and sockets. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const ctx = createContext(options);
  const generator = new EventGenerator(ctx);
  const wss = new WebSocketServer({ noServer: true, autoPong: false, perMessageDeflate: false });
  const server = createServer((req, res) => {
    route(ctx, generator, req, res).catch((err: unknown) => failRequest(res, err));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => onUpgrade(ctx, wss, req, socket, head));
  await listen(server, ctx.options.host, ctx.options.port);
  const { port } = server.address() as AddressInfo;
  ctx.address = `${urlHost(ctx.options.host)}:${port}`;
  const base = `http://${ctx.address}`;
  generator.setRate(ctx.options.eventsPerSecond);
  let closing: Promise<void> | undefined;
  return {
    apiBase: base,
    loginBase: base,
    controlBase: base,
    publish: (topic, eventBody, count, correlationId) => publishTopic(ctx, topic, eventBody, count, correlationId),
    fault: (spec) => applyFault(ctx, spec),
    state: () => snapshotState(ctx),
    close: () => (closing ??= shutdown(ctx, generator, wss, server)),
  };
}

function createContext(options: EmulatorOptions): EmulatorContext {
  const resolved = resolveOptions(options);
  const clients = new Map(
    resolved.clients.map((c) => [c.id, { id: c.id, secret: c.secret, denied: new TopicDenyList(c.deniedTopics) }]),
  );
  return {
    options: resolved,
    clients,
    tokens: new Map(),
    channels: new Map(),
    publishedByTopic: new Map(),
    pending: {
      rateLimit: { remaining: 0, retryAfterS: 1, target: 'api', match: undefined },
      serverError: { remaining: 0, status: 503, target: 'api', match: undefined },
      wsSubscribeErrors: 0,
    },
    counters: zeroCounters(),
    address: '',
    nextTokenNumber: 1,
    eventsPerSecond: 0,
    closed: false,
  };
}

async function route(
  ctx: EmulatorContext,
  generator: EventGenerator,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  if (url.pathname === '/oauth/token') return handleToken(ctx, req, res);
  if (url.pathname.startsWith('/api/')) {
    // Browser clients (genesys-relay/browser) call the API cross-origin, as they do the real one.
    if (applyCors(req, res)) return;
    return handleApi(ctx, req, res, url);
  }
  if (url.pathname.startsWith('/control/')) return handleControl(ctx, generator, req, res, url);
  req.resume();
  sendJson(res, 404, errorBody(404, 'not.found', `No resource at ${url.pathname}.`));
}

function failRequest(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof BodyTooLargeError) sendJson(res, 413, errorBody(413, 'payload.too.large', err.message));
  else sendJson(res, 500, errorBody(500, 'internal.server.error', 'Emulator error.'));
}

function onUpgrade(
  ctx: EmulatorContext,
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const match = CHANNEL_SOCKET_PATH.exec(new URL(req.url ?? '/', 'http://emulator').pathname);
  const channelId = match?.[1] ? decodeURIComponent(match[1]) : undefined;
  const channel = channelId === undefined ? undefined : findChannel(ctx, channelId);
  if (channelId === undefined || (!channel && ctx.options.badChannelMode === 'reject-upgrade') || ctx.closed) {
    ctx.counters.socketsRejected++;
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    // The channel may have gone while the handshake completed.
    if (channel && ctx.channels.get(channel.id) === channel && !ctx.closed) {
      attachSocket(ctx, ws, channel, socket);
      return;
    }
    ctx.counters.socketsRejected++;
    ws.send(resultFrame({ result: '404', message: `Channel ${channelId} does not exist or has expired.` }));
    ws.close(1000, 'channel not found');
  });
}

async function shutdown(
  ctx: EmulatorContext,
  generator: EventGenerator,
  wss: WebSocketServer,
  server: Server,
): Promise<void> {
  ctx.closed = true;
  generator.stop();
  for (const channel of [...ctx.channels.values()]) {
    if (channel.socket) dropSocket(ctx, channel.socket);
    removeChannel(ctx, channel);
  }
  for (const client of wss.clients) client.terminate();
  wss.close();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A host usable in a URL: wildcard binds are reached through loopback, IPv6 literals get brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
