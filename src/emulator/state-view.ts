import type { Counters, EmulatorContext } from './context.ts';

export interface ChannelState {
  id: string;
  clientId: string;
  /** Subscribed ids as stored (combined topics unexpanded). */
  topics: string[];
  /** Epoch ms. */
  expiresAt: number;
  connected: boolean;
  zombie: boolean;
  /** Event frames written to this channel's sockets. */
  sent: number;
  /** Events lost because no usable socket was attached. */
  dropped: number;
  createdAt: number;
  lastUsedAt: number;
}

export interface TokenState {
  /** Public handle, accepted by the revoke-token fault; never the token value. */
  id: string;
  clientId: string;
  expiresAt: number;
  revoked: boolean;
}

export interface EmulatorState {
  channels: ChannelState[];
  tokens: TokenState[];
  counters: Counters;
  /** Last sequence number per expanded topic (= events published on it). */
  publishedByTopic: Record<string, number>;
  eventsPerSecond: number;
  now: number;
}

/** A JSON-safe snapshot for GET /control/state. */
export function snapshotState(ctx: EmulatorContext): EmulatorState {
  const channels = [...ctx.channels.values()].map((channel) => ({
    id: channel.id,
    clientId: channel.clientId,
    topics: [...channel.topics.keys()],
    expiresAt: channel.expiresAt,
    connected: channel.socket !== undefined,
    zombie: channel.socket?.zombie ?? false,
    sent: channel.sent,
    dropped: channel.dropped,
    createdAt: channel.createdAt,
    lastUsedAt: channel.lastUsedAt,
  }));
  const tokens = [...ctx.tokens.values()].map((token) => ({
    id: token.id,
    clientId: token.clientId,
    expiresAt: token.expiresAt,
    revoked: token.revoked,
  }));
  return {
    channels,
    tokens,
    counters: { ...ctx.counters },
    publishedByTopic: Object.fromEntries(ctx.publishedByTopic),
    eventsPerSecond: ctx.eventsPerSecond,
    now: ctx.options.clock.now(),
  };
}
