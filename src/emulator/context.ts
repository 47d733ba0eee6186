import type { TimerHandle } from '../core/clock.ts';
import type { ResolvedOptions } from './options.ts';
import type { TopicDenyList } from './topics.ts';

/** An issued bearer token. The value is never reported by the control API. */
export interface TokenRecord {
  value: string;
  /** Short public handle (`t1`, `t2`, …) shown in the state and accepted by the revoke-token fault. */
  id: string;
  clientId: string;
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
  /** `reject-token` fault: the token's first API request is answered 401 as if it were bad, then it works. */
  rejectFirstUse: boolean;
  windowStartAt: number;
  windowCount: number;
}

export interface ClientRecord {
  id: string;
  secret: string;
  denied: TopicDenyList;
}

/**
 * The server end of one notification socket as the emulator uses it; a `ws` WebSocket satisfies it. Declared here
 * so that the emulator's public types (`genesys-relay/emulator`) do not make a user install @types/ws.
 */
export interface ServerSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

export interface SocketRecord {
  ws: ServerSocket;
  /**
   * The connection under `ws` (its net.Socket), corked while one publish writes its frames, so that a burst leaves in
   * a few writes instead of one system call per frame. Undefined for a socket attached without it.
   */
  transport: { cork(): void; uncork(): void } | undefined;
  channel: ChannelRecord;
  openedAt: number;
  /** A zombie gets nothing (no heartbeats, events, pongs) while its TCP connection stays open. */
  zombie: boolean;
  pongDelayMs: number;
  /** Pongs still to swallow; Infinity drops them all. */
  pongDropRemaining: number;
  heartbeatTimer: TimerHandle | undefined;
  closingTimer: TimerHandle | undefined;
  /** Delayed pongs (pong-delay fault) still to send; cleared when the socket goes. */
  pongTimers: Set<TimerHandle>;
}

export interface ChannelRecord {
  id: string;
  clientId: string;
  ownerTokenId: string;
  /** The owner token's expiry, which caps the channel's when `channelsEndWithToken` is set. */
  ownerTokenExpiresAt: number;
  createdAt: number;
  expiresAt: number;
  lastUsedAt: number;
  /** Subscribed ids in subscription order → the permitted expanded names delivered for each. */
  topics: Map<string, string[]>;
  /** Union of the expanded names, the set a publish is matched against. */
  delivery: Set<string>;
  socket: SocketRecord | undefined;
  sent: number;
  dropped: number;
  expiryTimer: TimerHandle | undefined;
  warnTimer: TimerHandle | undefined;
}

/** Global counters reported by GET /control/state. */
export interface Counters {
  published: number;
  sent: number;
  /** Per channel: an event lost on one channel counts here even if another channel's socket got it (rollover). */
  dropped: number;
  /** Events that reached no socket at all: with no replay, these are gone for every client. */
  unreached: number;
  apiRequests: number;
  loginRequests: number;
  rateLimited: number;
  serverErrors: number;
  tokensIssued: number;
  channelsCreated: number;
  channelsEvicted: number;
  channelsExpired: number;
  socketsOpened: number;
  socketsRejected: number;
  heartbeats: number;
  pongs: number;
  clientFrames: number;
  systemMessages: number;
}

export function zeroCounters(): Counters {
  return {
    published: 0,
    sent: 0,
    dropped: 0,
    unreached: 0,
    apiRequests: 0,
    loginRequests: 0,
    rateLimited: 0,
    serverErrors: 0,
    tokensIssued: 0,
    channelsCreated: 0,
    channelsEvicted: 0,
    channelsExpired: 0,
    socketsOpened: 0,
    socketsRejected: 0,
    heartbeats: 0,
    pongs: 0,
    clientFrames: 0,
    systemMessages: 0,
  };
}

/** Which requests an armed HTTP fault answers, and how many more. */
export interface HttpFaultScope {
  remaining: number;
  target: FaultTarget;
  /** Only requests whose `METHOD /path` contains this text, e.g. `PUT /api/v2/notifications/channels/`. */
  match: string | undefined;
}

/** Faults armed for the next API calls or socket subscribes. */
/** Which requests an HTTP fault applies to. */
export type FaultTarget = 'api' | 'login' | 'all';

export interface PendingFaults {
  rateLimit: HttpFaultScope & { retryAfterS: number };
  serverError: HttpFaultScope & { status: number };
  wsSubscribeErrors: number;
  /** `reject-token`: how many of the next issued tokens get a 401 on their first API request. @default 0 */
  rejectTokens?: number;
}

/** The whole mutable state of one emulator; every module works on it. */
export interface EmulatorContext {
  readonly options: ResolvedOptions;
  readonly clients: Map<string, ClientRecord>;
  readonly tokens: Map<string, TokenRecord>;
  readonly channels: Map<string, ChannelRecord>;
  readonly publishedByTopic: Map<string, number>;
  readonly pending: PendingFaults;
  counters: Counters;
  /** `host:port` the server listens on, set once listening; used when a request carries no Host header. */
  address: string;
  nextTokenNumber: number;
  eventsPerSecond: number;
  closed: boolean;
}
