import { systemClock, type Clock } from '../core/clock.ts';
import { MAX_CHANNELS_PER_CLIENT, MAX_TOPICS_PER_CHANNEL } from '../genesys/wire.ts';

/** One OAuth client known to the emulator (client-credentials grant). */
export interface EmulatorClient {
  id: string;
  secret: string;
  /**
   * Topics this client may not subscribe to: each entry is an exact topic or a regular-expression source tested
   * against every expanded topic. A refused topic yields 403 (or `state: "Rejected"` with `ignoreErrors=true`).
   * @default []
   */
  deniedTopics?: string[];
}

/** How an upgrade to an unknown, expired or evicted channel is answered; both have been observed (genesys-api.md §7). */
export type BadChannelMode = 'reject-upgrade' | 'result-404';

export interface EmulatorOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (an ephemeral port) */
  port?: number;
  /** Drives token and channel expiry, rate windows and every timer. @default systemClock */
  clock?: Clock;
  /** Interval between `channel.metadata` heartbeat frames. @default 30000 */
  heartbeatMs?: number;
  /** Delay between a `v2.system.socket_closing` warning and the close. @default 60000 */
  socketClosingLeadMs?: number;
  /** Channel lifetime, reset by every subscribe. @default 86_400_000 */
  channelTtlMs?: number;
  /** `expires_in` of issued tokens. @default 86399 */
  tokenTtlS?: number;
  /** Rate of generated events spread over the subscribed topics; 0 turns the generator off. @default 0 */
  eventsPerSecond?: number;
  /** @default [{ id: 'demo', secret: 'demo' }] */
  clients?: EmulatorClient[];
  /** API requests per token per 60 s window before 429. @default 300 */
  rateLimitPerMinute?: number;
  /** Channels per OAuth client; creating one more evicts the least recently used. @default 20 */
  maxChannelsPerClient?: number;
  /** Subscriptions per channel (a combined topic counts once). @default 1000 */
  maxTopicsPerChannel?: number;
  /** [U] Answer for a socket to an unknown channel. @default 'result-404' */
  badChannelMode?: BadChannelMode;
  /** [U] Close code sent to the older socket when a second one connects to the same channel. @default 1000 */
  takeoverCloseCode?: number;
  /** [U] Send `v2.system.socket_closing` `socketClosingLeadMs` before a channel expires. @default false */
  sendSocketClosingOnExpiry?: boolean;
  /**
   * [U] A channel also expires when the token that created it does (peers report `result:"404"` after token
   * expiry, genesys-api.md §2.1); a subscribe cannot extend it past that token's expiry. On by default: the stricter
   * reading is the one a client must survive. @default true
   */
  channelsEndWithToken?: boolean;
}

export type ResolvedOptions = Required<Omit<EmulatorOptions, 'clients'>> & { clients: EmulatorClient[] };

/** Fills every default once, so the rest of the emulator never sees an undefined option; throws on nonsense. */
export function resolveOptions(options: EmulatorOptions = {}): ResolvedOptions {
  const resolved = withDefaults(options);
  const durations = ['heartbeatMs', 'socketClosingLeadMs', 'channelTtlMs', 'tokenTtlS', 'eventsPerSecond'] as const;
  for (const name of durations) {
    if (!Number.isFinite(resolved[name]) || resolved[name] < 0) throw new RangeError(`${name} must be >= 0`);
  }
  if (resolved.heartbeatMs === 0) throw new RangeError('heartbeatMs must be > 0');
  const limits = ['rateLimitPerMinute', 'maxChannelsPerClient', 'maxTopicsPerChannel'] as const;
  for (const name of limits) {
    if (!Number.isInteger(resolved[name]) || resolved[name] < 1)
      throw new RangeError(`${name} must be an integer >= 1`);
  }
  if (!isSendableCloseCode(resolved.takeoverCloseCode)) {
    throw new RangeError(`takeoverCloseCode ${resolved.takeoverCloseCode} cannot be sent in a close frame`);
  }
  return resolved;
}

/** Codes a server may put in a close frame (RFC 6455 §7.4). */
export function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

function withDefaults(options: EmulatorOptions): ResolvedOptions {
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    clock: options.clock ?? systemClock,
    heartbeatMs: options.heartbeatMs ?? 30_000,
    socketClosingLeadMs: options.socketClosingLeadMs ?? 60_000,
    channelTtlMs: options.channelTtlMs ?? 86_400_000,
    tokenTtlS: options.tokenTtlS ?? 86_399,
    eventsPerSecond: options.eventsPerSecond ?? 0,
    clients: options.clients ?? [{ id: 'demo', secret: 'demo' }],
    rateLimitPerMinute: options.rateLimitPerMinute ?? 300,
    maxChannelsPerClient: options.maxChannelsPerClient ?? MAX_CHANNELS_PER_CLIENT,
    maxTopicsPerChannel: options.maxTopicsPerChannel ?? MAX_TOPICS_PER_CHANNEL,
    badChannelMode: options.badChannelMode ?? 'result-404',
    takeoverCloseCode: options.takeoverCloseCode ?? 1000,
    sendSocketClosingOnExpiry: options.sendSocketClosingOnExpiry ?? false,
    channelsEndWithToken: options.channelsEndWithToken ?? true,
  };
}
