import type { ClientCounters, ClientStatus } from '../client/index.ts';
import type { Readiness } from '../metrics/readiness.ts';
import type { CoordinationStatus } from './distributed/event-source.ts';
import type { SinkBlock, SinkCounters } from '../outbox/dispatcher.ts';
import type { OutboxStats } from '../outbox/outbox.ts';
import type { ResyncStatus } from '../resync/index.ts';

export type RelayPhase = 'new' | 'starting' | 'running' | 'closing' | 'closed' | 'failed';

/** One sink's progress: the outbox's durable view plus this run's delivery counters. */
export interface SinkStatus {
  name: string;
  pending: number;
  inflight: number;
  delivered: number;
  dead: number;
  oldestPendingAt: number | undefined;
  /** Since this process started. */
  run: SinkCounters;
  /**
   * Set while the sink cannot deliver because of its configuration or credentials (its events stay pending):
   * `reason` says what to check.
   */
  blocked: SinkBlock | undefined;
}

/** A snapshot of the whole relay; contains no secret (ids of channels and topics only). */
export interface RelayStatus {
  phase: RelayPhase;
  /** Why the relay failed (phase `failed`). */
  failure: string | undefined;
  topics: number;
  shards: ClientStatus['shards'];
  socketsOpen: number;
  /** Events committed to the outbox in this run (duplicates excluded). */
  committed: number;
  /** Events the outbox already had (same relay.key), e.g. redelivered after a restart. */
  outboxDuplicates: number;
  lastEventAt: number | undefined;
  lastEventTopic: string | undefined;
  client: ClientCounters;
  tokenRefreshes: number;
  sinks: SinkStatus[];
  readiness: Readiness;
  /** Gap healing: gaps pending or being healed, and how past ones ended (absent when `resync.enabled` is false). */
  resync?: ResyncStatus;
  /** Base URL of /metrics, /livez, /readyz when the server runs. */
  metricsUrl: string | undefined;
  /** Distributed mode: the lease store's health (degraded while it fails), live workers, held and unheld shards. */
  coordination?: CoordinationStatus;
}

/** Joins the outbox's per-sink rows with the dispatcher's counters (sinks configured in this run only). */
export function sinkStatuses(
  names: readonly string[],
  stats: OutboxStats | undefined,
  counters: Record<string, SinkCounters>,
  blocked: Readonly<Record<string, SinkBlock>> = {},
): SinkStatus[] {
  return names.map((name) => {
    const row = stats?.sinks.find((s) => s.sink === name);
    return {
      name,
      pending: row?.pending ?? 0,
      inflight: row?.inflight ?? 0,
      delivered: row?.delivered ?? 0,
      dead: row?.dead ?? 0,
      oldestPendingAt: row?.oldestPendingAt,
      run: counters[name] ?? { delivered: 0, retried: 0, deadLettered: 0 },
      blocked: blocked[name],
    };
  });
}
