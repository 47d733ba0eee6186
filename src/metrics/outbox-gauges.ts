import type { DispatcherHooks } from '../outbox/dispatcher.ts';
import type { OutboxStats } from '../outbox/outbox.ts';
import type { RelayMetrics } from './metrics.ts';

/**
 * Dispatcher hooks that drive the delivery metrics: every count comes from the dispatcher's own settlement of a
 * batch, so the counters match what the outbox recorded.
 */
export function deliveryMetricsHooks(metrics: RelayMetrics, next: DispatcherHooks = {}): DispatcherHooks {
  return {
    onDelivered(sink, count) {
      metrics.eventsDelivered.inc({ sink }, count);
      next.onDelivered?.(sink, count);
    },
    onRetry(sink, count, error, nextAttemptAt) {
      metrics.eventsFailed.inc({ sink }, count);
      next.onRetry?.(sink, count, error, nextAttemptAt);
    },
    onDeadLettered(sink, count, reason) {
      metrics.eventsFailed.inc({ sink }, count);
      metrics.eventsDeadLettered.inc({ sink }, count);
      next.onDeadLettered?.(sink, count, reason);
    },
    onLatency(sink, latencyMs) {
      metrics.deliveryLatencySeconds.observe({ sink }, Math.max(0, latencyMs) / 1000);
      next.onLatency?.(sink, latencyMs);
    },
    onBlocked(sink, error) {
      metrics.sinkBlocked.set({ sink }, 1);
      next.onBlocked?.(sink, error);
    },
    onUnblocked(sink) {
      metrics.sinkBlocked.set({ sink }, 0);
      next.onUnblocked?.(sink);
    },
    onError(sink, error) {
      next.onError?.(sink, error);
    },
  };
}

/** Sets the per-sink depth and oldest-age gauges from a fresh outbox snapshot (called on every scrape). */
export function updateOutboxGauges(metrics: RelayMetrics, stats: OutboxStats, nowMs: number): void {
  for (const s of stats.sinks) {
    metrics.outboxDepth.set({ sink: s.sink }, s.pending);
    const ageS = s.oldestPendingAt === undefined ? 0 : Math.max(0, nowMs - s.oldestPendingAt) / 1000;
    metrics.outboxOldestAgeSeconds.set({ sink: s.sink }, ageS);
  }
}
