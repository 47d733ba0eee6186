import type { RelayError } from '../core/errors.ts';
import type { EventSource } from './distributed/event-source.ts';
import { audit, type Logger } from '../logging/logger.ts';
import type { RelayMetrics } from '../metrics/metrics.ts';

export interface ClientObserver {
  logger: Logger;
  metrics: RelayMetrics;
  /** A non-retryable error from a shard (remembered to explain a later stop). */
  onFatalError(error: RelayError): void;
  /** A shard reached `closed`. */
  onShardClosed(): void;
}

/** Turns the client's lifecycle events into audit lines and gap metrics. */
export function observeClient(client: EventSource, o: ClientObserver): void {
  client.on('state', (change) => {
    audit(o.logger, 'session.state', { ...change });
    if (change.state === 'closed') o.onShardClosed();
  });
  client.on('rollover', (info) => audit(o.logger, 'channel.rollover', { ...info }));
  client.on('gap', (gap) => {
    const gapMs = Math.max(0, gap.endAt - gap.startAt);
    o.metrics.gaps.inc();
    o.metrics.gapSeconds.observe(gapMs / 1000);
    audit(o.logger, 'gap', { ...gap, topics: gap.topics.length, gapMs });
  });
  client.on('error', (error) => {
    if (!error.retryable) o.onFatalError(error);
  });
}
