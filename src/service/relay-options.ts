import type { NotificationClientOptions } from '../client/index.ts';
import type { RelayConfig } from '../config/load.ts';
import type { DeliveryPolicy } from '../outbox/delivery-policy.ts';

type Defined<T> = { [K in keyof T]?: Exclude<T[K], undefined> };

/** Drops undefined values, so optional settings left unset fall through to the component's own defaults. */
export function definedOnly<T extends object>(value: T): Defined<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Defined<T>;
}

/** config.session → the NotificationClient's liveness, deadline and sharding options. */
export function clientTimings(session: RelayConfig['session']): Partial<NotificationClientOptions> {
  return {
    heartbeatMs: session.heartbeatMs,
    maxTopicsPerChannel: session.maxTopicsPerChannel,
    maxChannels: session.maxChannels,
    ignoreErrors: session.ignoreErrors,
    ...definedOnly({
      watchdogMs: session.watchdogMs,
      pingIntervalMs: session.pingIntervalMs,
      pongTimeoutMs: session.pongTimeoutMs,
      maxFrameBytes: session.maxFrameBytes,
    }),
    session: definedOnly({
      createTimeoutMs: session.createTimeoutMs,
      subscribeTimeoutMs: session.subscribeTimeoutMs,
      connectTimeoutMs: session.connectTimeoutMs,
      rolloverTimeoutMs: session.rolloverTimeoutMs,
    }),
  };
}

/** config.outbox → the dispatcher's retry / dead-letter policy. */
export function deliveryPolicy(outbox: RelayConfig['outbox']): Partial<DeliveryPolicy> {
  return {
    maxAttempts: outbox.maxAttempts,
    // Not immediate: a sink that just failed is most likely still failing a millisecond later.
    backoff: { baseMs: outbox.retryBaseMs, maxMs: outbox.retryMaxMs, firstImmediate: false },
    blockedRetryMs: outbox.blockedRetryMs,
  };
}

/** The socket watchdog's silence limit, as the client computes it (2 × heartbeat unless set). */
export function watchdogMsOf(session: RelayConfig['session']): number {
  return session.watchdogMs ?? 2 * session.heartbeatMs;
}

/** /readyz's window (3 × heartbeat unless set): the longest a held shard may go without a frame and count as live. */
export function livenessWindowMsOf(config: Pick<RelayConfig, 'metrics' | 'session'>): number {
  return config.metrics.livenessWindowMs ?? 3 * config.session.heartbeatMs;
}
