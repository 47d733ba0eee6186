import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const PREFIX = 'genesys_relay_';

/**
 * Every metric the relay exports, on a private registry (never prom-client's global one, so two relays in one
 * process, as in tests and `demo`, do not collide). The values are driven by the client's events and the
 * dispatcher's hooks (metrics/wire.ts), never estimated.
 */
export interface RelayMetrics {
  readonly registry: Registry;
  readonly eventsReceived: Counter;
  readonly eventsDuplicate: Counter;
  readonly eventsMalformed: Counter;
  readonly eventsOversized: Counter;
  readonly eventsDelivered: Counter<'sink'>;
  readonly eventsFailed: Counter<'sink'>;
  readonly eventsDeadLettered: Counter<'sink'>;
  readonly outboxDepth: Gauge<'sink'>;
  readonly outboxOldestAgeSeconds: Gauge<'sink'>;
  readonly sinkBlocked: Gauge<'sink'>;
  readonly outboxWriteBlocked: Gauge;
  readonly outboxWriteFailures: Counter;
  readonly socketsOpen: Gauge;
  readonly socketState: Gauge<'shard' | 'state'>;
  readonly reconnects: Counter;
  readonly rollovers: Counter;
  readonly gaps: Counter;
  readonly gapSeconds: Histogram;
  readonly tokenRefreshes: Counter;
  readonly deliveryLatencySeconds: Histogram<'sink'>;
}

export interface MetricsOptions {
  /** Also export Node's process metrics (CPU, memory, event-loop lag). @default true */
  processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): RelayMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: PREFIX });
  const counter = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> =>
    new Counter<L>({ name: PREFIX + name, help, labelNames, registers: [registry] });
  const gauge = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> =>
    new Gauge<L>({ name: PREFIX + name, help, labelNames, registers: [registry] });
  return {
    registry,
    eventsReceived: counter('events_received_total', 'Notifications read off a socket and committed to the outbox.'),
    eventsDuplicate: counter('events_duplicate_total', 'Copies of one event dropped (rollover overlap or reconnect).'),
    eventsMalformed: counter('events_malformed_total', 'Frames that could not be parsed as notifications.'),
    eventsOversized: counter('events_oversized_total', 'Frames over maxFrameBytes: skipped, the socket kept.'),
    eventsDelivered: counter('events_delivered_total', 'Events a sink accepted.', ['sink']),
    eventsFailed: counter('events_failed_total', 'Delivery attempts that failed (to be retried or dead-lettered).', [
      'sink',
    ]),
    eventsDeadLettered: counter(
      'events_dead_lettered_total',
      'Events given up on after a permanent failure or too many attempts.',
      ['sink'],
    ),
    outboxDepth: gauge('outbox_depth', 'Events waiting for delivery per sink.', ['sink']),
    outboxOldestAgeSeconds: gauge('outbox_oldest_age_seconds', 'Age of the oldest undelivered event per sink.', [
      'sink',
    ]),
    sinkBlocked: gauge(
      'sink_blocked',
      '1 while a sink cannot deliver because of its configuration or credentials (events stay queued), else 0.',
      ['sink'],
    ),
    outboxWriteBlocked: gauge(
      'outbox_write_blocked',
      '1 while outbox commits fail (disk full, file locked, I/O error): events wait in memory, reading pauses; else 0.',
    ),
    outboxWriteFailures: counter('outbox_write_failures_total', 'Outbox commits that failed (each one is retried).'),
    socketsOpen: gauge('sockets_open', 'Notification WebSockets currently open.'),
    socketState: gauge('socket_state', '1 for the state each shard is in, 0 otherwise.', ['shard', 'state']),
    reconnects: counter('reconnects_total', 'Socket reconnects (same channel or a new one).'),
    rollovers: counter('rollovers_total', 'Channel rollovers (planned replacement of a channel).'),
    gaps: counter('gaps_total', 'Periods in which no socket was open for a subscribed topic set.'),
    gapSeconds: new Histogram({
      name: `${PREFIX}gap_seconds`,
      help: 'Length of each gap with no open socket.',
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    tokenRefreshes: counter('token_refreshes_total', 'OAuth tokens fetched.'),
    deliveryLatencySeconds: new Histogram<'sink'>({
      name: `${PREFIX}delivery_latency_seconds`,
      help: 'From receipt on the socket to acceptance by the sink.',
      labelNames: ['sink'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
}
