import type { Random } from '../core/backoff.ts';
import type { Clock } from '../core/clock.ts';
import type { RelayEvent } from '../envelope/envelope.ts';
import type { TokenProvider } from '../auth/token-provider.ts';
import type { DedupeOptions } from '../envelope/dedupe.ts';
import type { NotificationsApi } from '../genesys/notifications-api.ts';
import type { SessionConfig } from '../session/config.ts';
import type { Gap } from '../session/gap.ts';
import type { SocketFactory } from '../session/socket.ts';
import type { OverflowPolicy } from './event-queue.ts';

/** The subset of pino's API the client logs through: `(object, message)`. Tokens are never passed to it. */
export interface ClientLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface NotificationClientOptions {
  /** The REST API. Alternatively give `apiBase` + `tokens` and a GenesysRestClient is built. */
  api?: NotificationsApi;
  /** e.g. `https://api.mypurecloud.ie`; used with `tokens` when `api` is absent. */
  apiBase?: string;
  /** Token source for the REST client built from `apiBase`; also invalidated when the server revokes a token. */
  tokens?: TokenProvider;
  /** Topics to subscribe (combined `prefix?a&b` topics count once). */
  topics: readonly string[];
  /** @default systemClock */
  clock?: Clock;
  /** Jitter source. @default Math.random */
  random?: Random;
  /** The server's heartbeat interval; the liveness defaults derive from it. @default 30000 */
  heartbeatMs?: number;
  /** No frame for this long → the socket is stale (zombie). @default 2 × heartbeatMs */
  watchdogMs?: number;
  /** App-level `{"message":"ping"}` interval. @default heartbeatMs */
  pingIntervalMs?: number;
  /** Wait for each pong. @default min(10000, heartbeatMs) */
  pongTimeoutMs?: number;
  /** Unanswered pings in a row before the socket is stale. @default 2 */
  missedPongLimit?: number;
  /** Session deadlines, renewal and backoff (see SessionConfig for each default). */
  session?: Partial<SessionConfig>;
  /** @default 1000 */
  maxTopicsPerChannel?: number;
  /** Channels this OAuth client may hold (Genesys: 20). @default 20 */
  maxChannels?: number;
  /**
   * Channels kept free for make-before-break rollovers: shards use at most `maxChannels - rolloverHeadroom`
   * channels, and at most this many rollovers run at once, so a rollover never creates a 21st channel. @default 1
   */
  rolloverHeadroom?: number;
  /** PUT with `ignoreErrors=true`: unauthorised topics are reported as rejected instead of failing the shard. @default true */
  ignoreErrors?: boolean;
  /** Copy suppression across rollover overlaps and reconnects (by `relay.key`: topic, CorrelationId, body). */
  dedupe?: DedupeOptions;
  /**
   * Frames larger than this (UTF-8 bytes) are skipped and reported (warn line with topic, size and CorrelationId;
   * counter `oversizedFrames`) without closing the socket. Only frames over max(4×, 64 MiB) cost the connection
   * (ws refuses to buffer them). @default 16777216 (16 MiB)
   */
  maxFrameBytes?: number;
  /**
   * Backlog limit: events buffered for `events()` plus async onEvent calls waiting behind a slow handler. At the
   * limit the `overflow` policy applies. @default 10000
   */
  bufferSize?: number;
  /**
   * At the backlog limit: `pause` stops reading the sockets until the backlog halves (nothing dropped locally;
   * heartbeat watchdogs are suspended meanwhile), `dropOldest` / `dropNewest` keep reading and drop (counted in
   * `overflowDropped`). @default 'pause'
   */
  overflow?: OverflowPolicy;
  /**
   * Called for every (deduplicated) event, in arrival order. An async handler is awaited before the next call
   * starts, unless `onEventConcurrency` allows more in flight.
   */
  onEvent?: (event: RelayEvent) => void | Promise<void>;
  /**
   * How many async onEvent calls may run at once; they still start in arrival order, and all count toward
   * `bufferSize`. Raise it when the handler's promise waits for a batched write (the relay's outbox resolves each
   * append at its group commit: one at a time would mean one commit per event). @default 1
   */
  onEventConcurrency?: number;
  /** Called after each unplanned gap, to re-read the state of `gap.topics` over REST. */
  resync?: (gap: Gap) => Promise<void>;
  /** @default a no-op logger */
  logger?: ClientLogger;
  /** Socket implementation. @default the platform's: the `ws` adapter on Node, the page's `WebSocket` in the browser entry */
  sockets?: SocketFactory;
}

export const noopLogger: ClientLogger = { debug() {}, info() {}, warn() {}, error() {} };
