import { RefreshingTokenProvider, type TokenRefreshEvent } from '../auth/refreshing-token-provider.ts';
import { NotificationClient } from '../client/index.ts';
import type { RelayConfig } from '../config/load.ts';
import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { RelayEvent } from '../envelope/envelope.ts';
import { resolveEndpoints, type Endpoints } from '../genesys/regions.ts';
import type { NotificationsApi } from '../genesys/notifications-api.ts';
import { audit, type Logger } from '../logging/logger.ts';
import { RetryWarnings, httpStatusOf } from '../logging/retry-warnings.ts';
import type { RelayMetrics } from '../metrics/metrics.ts';
import { deliveryMetricsHooks } from '../metrics/outbox-gauges.ts';
import { Dispatcher, type DispatcherHooks } from '../outbox/dispatcher.ts';
import { SqliteOutbox } from '../outbox/sqlite-outbox.ts';
import { outboxPath } from '../outbox/state-dir.ts';
import type { Sink } from '../sinks/sink.ts';
import { clientTimings, deliveryPolicy } from './relay-options.ts';

/** What every stage of the pipeline is built with. */
export interface PipelineContext {
  config: RelayConfig;
  clock: Clock;
  logger: Logger;
  metrics: RelayMetrics;
}

/** The REST hosts: the region's, unless GENESYS_API_BASE / GENESYS_LOGIN_BASE override them. */
export function endpointsOf(genesys: RelayConfig['genesys']): Endpoints {
  return resolveEndpoints(genesys.region, {
    ...(genesys.apiBase ? { apiBase: genesys.apiBase } : {}),
    ...(genesys.loginBase ? { loginBase: genesys.loginBase } : {}),
  });
}

/** ① The one token source for REST and, through it, the sockets (single-flight, refreshed before expiry). */
export function createTokenProvider(
  ctx: PipelineContext,
  loginBase: string,
  onRefresh: (event: TokenRefreshEvent) => void,
): RefreshingTokenProvider {
  // Login 5xx / 429 / network failures at warn, rate-limited; an info line once a token is obtained again.
  const warnings = new RetryWarnings(ctx.logger, ctx.clock);
  const host = new URL(loginBase).host;
  return RefreshingTokenProvider.clientCredentials({
    loginBase,
    clientId: ctx.config.genesys.clientId,
    clientSecret: ctx.config.genesys.clientSecret,
    clock: ctx.clock,
    onRefresh: (event) => {
      if (event.outcome === 'ok')
        warnings.recovered('login', 'token.recovered', { host }, `login host ${host} answers`);
      onRefresh(event);
    },
    onRetry: ({ error, attempt, delayMs }) => {
      const status = httpStatusOf(error.message);
      const next = new Date(ctx.clock.now() + delayMs).toISOString();
      warnings.failed('login', {
        event: 'token.retry',
        fields: { host, attempt, ...(status === undefined ? {} : { status }), err: error.message, nextAttemptAt: next },
        message: `token request to ${host} failed (${error.message}); next attempt at ${next}`,
      });
    },
  });
}

/** ⑤ The durable outbox in `<stateDir>/outbox.sqlite`: an event counts as received only once committed here. */
export function openOutbox(ctx: PipelineContext): SqliteOutbox {
  const { outbox, stateDir } = ctx.config;
  const { logger, metrics } = ctx;
  metrics.outboxWriteBlocked.set(0);
  return new SqliteOutbox({
    path: outboxPath(stateDir),
    clock: ctx.clock,
    flushIntervalMs: outbox.flushIntervalMs,
    flushIntervalMaxMs: outbox.flushIntervalMaxMs,
    retentionMs: outbox.retentionMs,
    maxRows: outbox.maxRows,
    // Never wait synchronously for another process's lock (the event loop reads the sockets): a busy commit fails
    // at once and is retried with backoff, its events held in memory meanwhile.
    writeBusyTimeoutMs: 0,
    writeHooks: {
      onBlocked: (reason) => {
        metrics.outboxWriteBlocked.set(1);
        const message = `outbox commits fail (${reason}): events are held in memory and retried; reading pauses at the backlog limit`;
        audit(logger, 'outbox.write-blocked', { reason }, message);
      },
      onRecovered: (failures) => {
        metrics.outboxWriteBlocked.set(0);
        audit(
          logger,
          'outbox.write-recovered',
          { failures },
          `outbox commits again after ${failures} failed attempt(s)`,
        );
      },
      onFailure: () => metrics.outboxWriteFailures.inc(),
    },
  });
}

/** ⑥ One delivery loop per sink, with the retry policy from config and hooks for metrics and the audit trail. */
export function createDispatcher(ctx: PipelineContext, outbox: SqliteOutbox, sinks: readonly Sink[]): Dispatcher {
  const { logger } = ctx;
  // Exported as 0 from the start, so an alert on `== 1` has a series to watch before the first block.
  for (const sink of sinks) ctx.metrics.sinkBlocked.set({ sink: sink.name }, 0);
  const warnings = new RetryWarnings(logger, ctx.clock);
  const dispatcher = new Dispatcher({
    outbox,
    sinks,
    clock: ctx.clock,
    policy: deliveryPolicy(ctx.config.outbox),
    pollIntervalMs: ctx.config.outbox.pollIntervalMs,
    hooks: deliveryMetricsHooks(ctx.metrics, {
      ...retryWarningHooks(warnings),
      onDeadLettered: (sink, count, reason) => audit(logger, 'delivery.dead-letter', { sink, count, reason }),
      // The reason names the options to check (sinks classify without secrets); delivery resumes on its own.
      onBlocked: (sink, reason) =>
        audit(logger, 'delivery.blocked', { sink, reason }, `sink ${sink} blocked, events stay queued: ${reason}`),
      onUnblocked: (sink) => audit(logger, 'delivery.unblocked', { sink }, `sink ${sink} delivers again`),
      // A claim or settle the outbox refused (disk full: retried every second; a lock another process has held for a
      // second or more: retried every few ms, reported once a second), rate-limited like sink retries; /readyz and
      // the write-blocked gauge carry the state meanwhile.
      onError: (sink, error) =>
        warnings.failed(`outbox:${sink}`, {
          event: 'outbox.retry',
          fields: { sink, error: errorMessage(error) },
          message: `sink ${sink}: the outbox refused its delivery bookkeeping (${errorMessage(error)}); retrying`,
        }),
    }),
  });
  warnRemovedSinks(ctx, outbox);
  return dispatcher;
}

/** Sinks the outbox knows but this config no longer has (the dispatcher just marked them inactive), with a backlog. */
function warnRemovedSinks(ctx: PipelineContext, outbox: SqliteOutbox): void {
  const { stateDir } = ctx.config;
  for (const s of outbox.stats().sinks) {
    if (s.active || s.pending + s.dead === 0) continue;
    const message =
      `sink "${s.sink}" is no longer configured but has ${s.pending} undelivered event(s) (and ${s.dead} dead) in the ` +
      `outbox; they stay until the sink is configured again or dropped: genesys-relay outbox drop-sink --sink ` +
      `${s.sink} --state-dir ${stateDir}`;
    audit(ctx.logger, 'outbox.removed-sink', { sink: s.sink, pending: s.pending, dead: s.dead }, message);
  }
}

/**
 * Sink retries (and outbox failures, `onError`) at warn, rate-limited (src/logging/retry-warnings.ts): first failure,
 * then every 30 s, then recovery, reported with the sink's next delivery.
 */
function retryWarningHooks(warnings: RetryWarnings): Pick<DispatcherHooks, 'onRetry' | 'onDelivered'> {
  return {
    onRetry: (sink, count, error, nextAttemptAt) => {
      const next = new Date(nextAttemptAt).toISOString();
      const status = httpStatusOf(error);
      warnings.failed(`sink:${sink}`, {
        event: 'delivery.retry',
        fields: { sink, count, ...(status === undefined ? {} : { status }), error, nextAttemptAt: next },
        message: `sink ${sink}: ${count} event(s) not delivered (${error}); next attempt at ${next}`,
        count,
      });
    },
    onDelivered: (sink) => {
      warnings.recovered(`sink:${sink}`, 'delivery.recovered', { sink }, `sink ${sink} delivers again`);
      warnings.recovered(`outbox:${sink}`, 'outbox.recovered', { sink }, `sink ${sink}: the outbox works again`);
    },
  };
}

/**
 * The relay's acknowledgement of an event is its outbox commit, and the outbox commits in groups: the client keeps
 * this many appends in flight (started in arrival order), so one commit covers many events. Awaiting each append
 * before the next capped the relay at one commit per event (~180 events/s measured).
 */
export const OUTBOX_APPENDS_IN_FLIGHT = 4096;

/** ③④ Channels, sockets, frames → events, each handed to `onEvent` (the outbox append) in arrival order. */
export function createClient(
  ctx: PipelineContext,
  api: NotificationsApi,
  tokens: RefreshingTokenProvider,
  onEvent: (event: RelayEvent) => Promise<void>,
): NotificationClient {
  return new NotificationClient({
    api,
    tokens,
    topics: ctx.config.topics,
    clock: ctx.clock,
    ...clientTimings(ctx.config.session),
    logger: ctx.logger.child({ component: 'client' }),
    onEvent,
    onEventConcurrency: OUTBOX_APPENDS_IN_FLIGHT,
  });
}
