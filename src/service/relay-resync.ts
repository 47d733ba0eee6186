import type { GenesysRestClient } from '../genesys/rest-client.ts';
import type { RelayEvent } from '../envelope/envelope.ts';
import { errorMessage } from '../core/errors.ts';
import { audit } from '../logging/logger.ts';
import { createResyncMetrics, resyncEndpointOf, type ResyncMetrics } from '../metrics/resync-metrics.ts';
import { outboxPath } from '../outbox/state-dir.ts';
import {
  gapId,
  LastStateMap,
  PacedReader,
  PendingGapFile,
  pendingGapsPath,
  Resyncer,
  resyncStrategies,
  seedFromOutbox,
  type GapReport,
  type ResyncGap,
  type ResyncHooks,
  type ResyncStatus,
  type ResyncStrategy,
} from '../resync/index.ts';
import type { Gap } from '../session/gap.ts';
import type { PipelineContext } from './pipeline.ts';

/** Gap healing as the relay uses it (src/resync wired to the REST client, the outbox, metrics and the audit trail). */
export interface RelayResync {
  /** A live event was committed: remember its entity's state. */
  observe(event: RelayEvent): void;
  /** The client recorded a gap: heal it. */
  onGap(gap: Gap): void;
  /**
   * Sockets are open: heal what a previous run left: pending gaps, and the time since the outbox's last event over
   * `topics` (none in distributed mode).
   */
  healStartup(topics: readonly string[]): void;
  status(): ResyncStatus;
  close(): Promise<void>;
}

/**
 * Builds gap healing from `config.resync`, or undefined when it is switched off. Call it after the outbox is open
 * and before any event is committed: it reads the outbox's newest event time (start of the start-up gap) and
 * rebuilds the last delivered state per entity from it.
 */
export function createRelayResync(
  ctx: PipelineContext,
  api: GenesysRestClient,
  append: (event: RelayEvent) => Promise<void>,
  extraStrategies: readonly ResyncStrategy[] = [],
): RelayResync | undefined {
  const cfg = ctx.config.resync;
  if (!cfg.enabled) return undefined;
  const { clock, logger } = ctx;
  const strategies = resyncStrategies(cfg, extraStrategies);
  const lastState = new LastStateMap(cfg.maxEntities);
  const seed = seedFromOutbox(outboxPath(ctx.config.stateDir), strategies, lastState, cfg.seedScanRows);
  const pending = new PendingGapFile(pendingGapsPath(ctx.config.stateDir));
  const leftover = pending.load();
  // The pending gauge reads the resyncer, whose hooks feed the other metrics.
  const built: { resyncer?: Resyncer } = {};
  const metrics = createResyncMetrics(ctx.metrics.registry, () => built.resyncer?.status().pending ?? 0);
  const reader = new PacedReader({
    read: (method, path, options) => api.readState(method, path, options),
    clock,
    concurrency: cfg.concurrency,
    maxRequestsPerMinute: cfg.maxRequestsPerMinute,
    onRequest: (_method, path) => metrics.requests.inc({ endpoint: resyncEndpointOf(path) }),
  });
  const r = new Resyncer({
    strategies,
    reader,
    append,
    clock,
    lastState,
    pending,
    hooks: resyncHooks(ctx, metrics),
    delayMs: cfg.delayMs,
    maxAttempts: cfg.maxAttempts,
    retryBaseMs: cfg.retryBaseMs,
  });
  built.resyncer = r;
  logger.info({ entities: lastState.size, scanned: seed.scanned, pending: leftover.length }, 'resync ready');
  return {
    observe: (event) => r.observe(event),
    onGap: (gap) => r.enqueue(fromClientGap(gap)),
    healStartup(topics) {
      for (const gap of leftover) r.enqueue(gap);
      if (!cfg.onStart || seed.lastEventAt === undefined || topics.length === 0) return;
      const endAt = clock.now();
      const id = gapId(['startup', seed.lastEventAt, endAt]);
      r.enqueue({ id, startAt: seed.lastEventAt, endAt, topics, reason: 'relay start: since the outbox’s last event' });
    },
    status: () => r.status(),
    close: () => r.close(),
  };
}

function fromClientGap(gap: Gap): ResyncGap {
  const id = gapId([gap.shardId, gap.channelId, gap.startAt, gap.endAt]);
  return { id, startAt: gap.startAt, endAt: gap.endAt, topics: gap.topics, reason: gap.reason };
}

function resyncHooks(ctx: PipelineContext, metrics: ResyncMetrics): ResyncHooks {
  const { logger } = ctx;
  return {
    onHealed(report: GapReport) {
      const { gap } = report;
      const outcome = report.unhealed.length > 0 ? 'unhealed' : 'healed';
      metrics.gaps.inc({ outcome });
      audit(logger, 'resync.gap', {
        gapId: gap.id,
        runId: report.runId,
        coalesced: report.coalesced,
        startAt: gap.startAt,
        endAt: gap.endAt,
        reason: gap.reason,
        topics: gap.topics.length,
        strategies: report.strategies,
        unhealed: report.unhealed.length,
        attempts: report.attempts,
      });
      if (report.unhealed.length === 0) return;
      metrics.unhealedTopics.inc(report.unhealed.length);
      const topics = report.unhealed.slice(0, 20);
      audit(logger, 'resync.unhealed', { gapId: gap.id, count: report.unhealed.length, topics }, 'no resync strategy');
    },
    onEmitted: (strategy, count) => metrics.events.inc({ strategy }, count),
    onRetry(runId, attempt, delayMs, error) {
      metrics.retries.inc();
      audit(logger, 'resync.retry', { runId, attempt, delayMs, err: errorMessage(error) });
    },
    onFailed(gap, error, attempts) {
      metrics.gaps.inc({ outcome: 'failed' });
      const fields = { gapId: gap.id, startAt: gap.startAt, endAt: gap.endAt, topics: gap.topics.length, attempts };
      audit(logger, 'resync.failed', { ...fields, err: errorMessage(error) }, 'resync gave up: gap not healed');
    },
  };
}
