import { defaultBackoff, type BackoffPolicy } from '../core/backoff.ts';

/** Timings of the session state machine. Every waiting state has one of these as its deadline. */
export interface SessionConfig {
  /**
   * Deadline for creating a channel (POST), including the REST client's own retries. It must exceed the longest
   * Retry-After the REST client waits out inside a call (GenesysRestClient: up to 180 s, up to 3 times): cutting
   * such a wait short would send the next request before the server allowed it. @default 600000
   */
  createTimeoutMs: number;
  /** Deadline for a subscription PUT (see createTimeoutMs). @default 600000 */
  subscribeTimeoutMs: number;
  /** Deadline for the HEAD that decides between reconnecting and a new channel (see createTimeoutMs). @default 600000 */
  checkTimeoutMs: number;
  /** Deadline for the WebSocket upgrade. @default 10000 */
  connectTimeoutMs: number;
  /** Time allowed for close handshakes before sockets are terminated. @default 2000 */
  closeTimeoutMs: number;
  /** Deadline for a whole make-before-break rollover; well under the 60 s socket_closing lead. @default 30000 */
  rolloverTimeoutMs: number;
  /**
   * A channel may end with the token that created it (genesys-api.md §2.1), so the session rolls it over (make before
   * break, with a token that outlives the old one) this long before that token expires; capped at half the token's
   * lifetime left when the channel was created, so a short token is not rolled over at once. @default 300000
   */
  tokenRolloverLeadMs: number;
  /** Re-PUT the subscriptions (extending the channel) after this fraction of its remaining lifetime. @default 0.8 */
  renewFraction: number;
  /** A socket that stayed open this long resets the failure count (so flapping backs off). @default 5000 */
  stableAfterMs: number;
  /** Failed connects to the same channel before giving up on it and creating a new one. @default 3 */
  maxSameChannelFailures: number;
  /** Reconnect/retry backoff: full jitter, first retry immediate. */
  backoff: BackoffPolicy;
}

export const defaultSessionConfig: SessionConfig = {
  createTimeoutMs: 600_000,
  subscribeTimeoutMs: 600_000,
  checkTimeoutMs: 600_000,
  connectTimeoutMs: 10_000,
  closeTimeoutMs: 2_000,
  rolloverTimeoutMs: 30_000,
  tokenRolloverLeadMs: 300_000,
  renewFraction: 0.8,
  stableAfterMs: 5_000,
  maxSameChannelFailures: 3,
  backoff: defaultBackoff,
};
