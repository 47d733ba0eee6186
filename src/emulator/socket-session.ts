import type { RawData, WebSocket } from 'ws';
import { isRecord } from '../core/json.ts';
import type { ChannelRecord, EmulatorContext, SocketRecord } from './context.ts';
import { missingDataFrame, resultFrame } from './frames.ts';
import { armHeartbeat, closeSocket, detachSocket, sendFrame, sendPong } from './sockets.ts';
import { applySubscriptions } from './subscriptions.ts';

/** Binds an accepted socket to its channel; a newer socket takes the channel over (genesys-api.md §2.5). */
export function attachSocket(
  ctx: EmulatorContext,
  ws: WebSocket,
  channel: ChannelRecord,
  transport: SocketRecord['transport'],
): SocketRecord {
  const previous = channel.socket;
  if (previous) closeSocket(ctx, previous, ctx.options.takeoverCloseCode, 'replaced by a newer connection');
  const sock: SocketRecord = {
    ws,
    transport,
    channel,
    openedAt: ctx.options.clock.now(),
    zombie: false,
    pongDelayMs: 0,
    pongDropRemaining: 0,
    heartbeatTimer: undefined,
    closingTimer: undefined,
    pongTimers: new Set(),
  };
  channel.socket = sock;
  channel.lastUsedAt = sock.openedAt;
  ctx.counters.socketsOpened++;
  armHeartbeat(ctx, sock);
  ws.on('message', (data: RawData, isBinary: boolean) => onClientFrame(ctx, sock, data, isBinary));
  // autoPong is off so that a zombie also ignores RFC 6455 pings.
  ws.on('ping', (data: Buffer) => {
    if (!sock.zombie && sock.pongDropRemaining === 0) ws.pong(data);
  });
  ws.on('close', () => detachSocket(ctx, sock));
  ws.on('error', () => detachSocket(ctx, sock));
  return sock;
}

function onClientFrame(ctx: EmulatorContext, sock: SocketRecord, data: RawData, isBinary: boolean): void {
  ctx.counters.clientFrames++;
  if (sock.zombie) return;
  const text = isBinary ? '' : rawToString(data);
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    // The Genesys CLI writes plain-text frames; the server tolerates them. Answering with 400 is our guess [U].
    sendFrame(sock, missingDataFrame(undefined));
    return;
  }
  if (!isRecord(frame)) {
    sendFrame(sock, missingDataFrame(undefined));
    return;
  }
  const correlationId = typeof frame.correlationId === 'string' ? frame.correlationId : undefined;
  if (frame.message === 'ping') sendPong(ctx, sock);
  else if (frame.message === 'subscribe' || frame.message === 'unsubscribe') {
    onSubscribeFrame(ctx, sock, frame.message, frame.topics, correlationId);
  } else sendFrame(sock, missingDataFrame(correlationId));
}

function onSubscribeFrame(
  ctx: EmulatorContext,
  sock: SocketRecord,
  message: 'subscribe' | 'unsubscribe',
  topics: unknown,
  correlationId: string | undefined,
): void {
  if (!Array.isArray(topics) || topics.length === 0 || ctx.pending.wsSubscribeErrors > 0) {
    if (Array.isArray(topics) && topics.length > 0) ctx.pending.wsSubscribeErrors--;
    sendFrame(sock, missingDataFrame(correlationId));
    return;
  }
  const mode = message === 'subscribe' ? 'add' : 'remove';
  const outcome = applySubscriptions(ctx, sock.channel, topics, mode, false);
  const echo = topics.filter((topic): topic is string => typeof topic === 'string');
  const id = correlationId === undefined ? {} : { correlationId };
  if (!outcome.ok) {
    const error = { ...id, topics: [], result: String(outcome.status), status: 'error', message: outcome.message };
    sendFrame(sock, resultFrame(error));
    return;
  }
  const status = message === 'subscribe' ? 'subscribed' : 'unsubscribed';
  sendFrame(sock, resultFrame({ ...id, topics: echo, result: '200', status }));
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
