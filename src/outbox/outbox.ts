import type { RelayEvent } from '../envelope/envelope.ts';

/**
 * The durable outbox: every accepted event is committed here before anything downstream sees it, and each sink
 * makes its own, independent progress through it (one slow sink never holds up another).
 *
 * Delivery is at least once. A row that was handed to a sink when the process died goes back to `pending` on the next
 * open, so a sink may see an event twice; `event.relay.key` is the idempotency key it passes on.
 *
 * Per sink, a row moves:
 *
 * ```
 *   append ──▶ pending ──claim──▶ inflight ──ack──────────▶ delivered ──replay──┐
 *                 ▲                  │ ──retry(at)──┐                          │
 *                 │                  │ ──deadLetter─┼──▶ dead ──requeueDead──┐ │
 *                 └──────────────────┴──release─────┴─────────────────────────┴─┘
 * ```
 */
export interface Outbox {
  /**
   * Buffers `event` and commits it with others (group commit). Resolves once the event is durable (fsynced), or was
   * already present among the recent events (same `relay.key`: `duplicate: true`; SqliteOutbox's
   * `dedupeWindowEvents`). Rejects with `OutboxError` if the commit failed.
   */
  append(event: RelayEvent): Promise<AppendResult>;
  /** Like `append`, but commits now (together with anything buffered) and returns when durable. */
  appendSync(event: RelayEvent): AppendResult;
  /** Commits whatever is buffered now. */
  flush(): void;
  /**
   * Declares the sinks that receive new events from now on. Sinks not listed keep their backlog (visible in `stats`,
   * reachable through `replay`/`dlq`) but get no new rows.
   */
  setActiveSinks(names: readonly string[]): void;
  /** Names of every sink the outbox has ever known, active or not. */
  sinkNames(): string[];
  /**
   * Marks up to `limit` due rows of `sink` inflight and returns them in sequence order. Rows are taken strictly in order:
   * if the oldest pending row is not yet due, nothing is returned and `nextDueAt` says when to look again. A batch of
   * fewer than `limit` rows took everything the sink was owed and due at that moment, up to the first row not yet
   * due (`nextDueAt`, if there is one).
   */
  claim(sink: string, limit: number): ClaimedBatch;
  /** Applies the fate of claimed rows in one transaction. */
  settle(sink: string, settlements: readonly Settlement[]): void;
  /** Puts claimed rows back to pending without counting the attempt (delivery aborted by shutdown). */
  release(sink: string, seqs: readonly number[]): void;
  /** Dead letters of `sink`, oldest first. */
  listDead(sink: string, limit: number): DeadLetter[];
  /** Moves dead letters back to pending with a fresh attempt budget. Returns how many. */
  requeueDead(sink: string, selector: DeadSelector): number;
  /** Discards dead letters (the events go once no sink still needs them). Returns how many. */
  purgeDead(sink: string, selector: DeadSelector): number;
  /** Marks already-delivered events of `sink` from a point on for delivery again. Returns how many. */
  replay(sink: string, from: ReplayFrom): number;
  /**
   * Forgets a sink that is no longer configured (inactive): its pending, delivered and dead rows are deleted, so
   * its backlog no longer pins events. Throws for an active or unknown sink. Returns how many rows went.
   */
  dropSink(sink: string): number;
  /** Applies retention now (it also runs on its own every `pruneIntervalMs`). */
  prune(): PruneResult;
  stats(): OutboxStats;
  /**
   * Committed events after sequence `afterSeq`, in sequence order, at most `limit` rows scanned; only those whose topic
   * starts with one of `topicPrefixes` (every event when the list is empty) are returned. For readers that keep their
   * own cursor (the browser stream): read-only, no delivery state.
   */
  readAfter(afterSeq: number, limit: number, topicPrefixes: readonly string[]): EventPage;
  /** Calls `listener` after every commit of new events; returns the unsubscribe function. */
  onCommit(listener: () => void): () => void;
  /** Commits what is buffered and closes the database. Idempotent. */
  close(): void;
}

export interface AppendResult {
  key: string;
  /** The event's sequence number; undefined for a duplicate. */
  seq: number | undefined;
  /** True if an event with the same key was already in the outbox (nothing was written). */
  duplicate: boolean;
}

export interface ClaimedEvent {
  seq: number;
  /** Attempts made so far, counting this one (1 on the first delivery). */
  attempts: number;
  /**
   * The event exactly as stored: `JSON.stringify` of `event`. A sink that writes that JSON as is (ndjson) uses it
   * and never pays for a parse and a re-stringify.
   */
  payload: string;
  /** Parsed from `payload` on first use. */
  readonly event: RelayEvent;
  /** `event.relay.receivedAt` as epoch ms (the stored column: no parse needed for latency). */
  receivedAt: number;
}

export interface ClaimedBatch {
  events: ClaimedEvent[];
  /** When the first row left behind by this claim falls due, if the claim stopped at a row not due yet. */
  nextDueAt: number | undefined;
}

export type Settlement =
  | { seq: number; action: 'ack' }
  | { seq: number; action: 'retry'; at: number; error: string }
  /** Like retry, but the attempt is not counted (the sink was blocked, see DeliveryOutcome 'blocked'). */
  | { seq: number; action: 'defer'; at: number; error: string }
  | { seq: number; action: 'deadLetter'; reason: string };

export interface DeadLetter {
  seq: number;
  key: string;
  topic: string;
  attempts: number;
  lastError: string | null;
  receivedAt: number;
  deadAt: number;
}

/** Which dead letters a `requeueDead` / `purgeDead` applies to. */
export type DeadSelector = { all: true } | { keys: readonly string[] };

/** Where a `replay` starts: a sequence number, or an instant (epoch ms) compared with the events' receive time. */
export type ReplayFrom = { fromSeq: number } | { sinceAt: number };

export interface SinkStats {
  sink: string;
  /** Receives new events (see `setActiveSinks`). */
  active: boolean;
  /** Rows waiting for delivery, including inflight ones: the sink's queue depth. */
  pending: number;
  inflight: number;
  delivered: number;
  dead: number;
  /** Receive time of the oldest undelivered event, for an "oldest pending age" gauge. */
  oldestPendingAt: number | undefined;
}

export interface OutboxStats {
  /** Events stored (delivered ones stay until retention removes them). */
  events: number;
  /** Highest sequence number ever assigned (0 when empty). */
  lastSeq: number;
  sinks: SinkStats[];
}

export interface PruneResult {
  /** Events removed because every sink was done with them and they were older than `retentionMs`. */
  expired: number;
  /** Finished events removed early to keep the table under `maxRows`. */
  evicted: number;
}

/** One page of `Outbox.readAfter`. */
export interface EventPage {
  events: Array<{ seq: number; event: RelayEvent }>;
  /** The last sequence scanned (matching or not): the reader's next `afterSeq`; `afterSeq` when nothing was there. */
  scannedTo: number;
  /** The oldest sequence still stored; `lastSeq + 1` when the table is empty (everything before it is gone). */
  oldestSeq: number;
  /** Highest sequence ever assigned (0 when none). */
  lastSeq: number;
}
