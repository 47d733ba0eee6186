import type { RelayEvent } from '../envelope/envelope.ts';

/**
 * What a delivery attempt came to. The outbox turns it into ack / retry-at / dead-letter
 * (outbox/delivery-policy.ts); sinks only classify.
 */
export type DeliveryOutcome =
  | { kind: 'delivered' }
  /** Try again later; `retryAfterMs` when the target said when (Retry-After). */
  | { kind: 'retryable'; error: string; retryAfterMs?: number }
  /** Retrying cannot help (400, 403, a mapping error): dead-letter it. */
  | { kind: 'permanent'; error: string }
  /**
   * The sink cannot deliver anything until its configuration or credentials are fixed (401 after a token refresh,
   * a rejected OAuth grant, a refused NATS login); the events stay pending and no attempt is counted. `error` says
   * what to check and never holds a secret; `retryAfterMs` when the sink knows when to look again.
   */
  | { kind: 'blocked'; error: string; retryAfterMs?: number };

/**
 * Outcome per event of a batch, in the batch's order. A sink that keeps order under partial failure may stop at the
 * first failure and return a non-empty prefix: the events past it count as not attempted and are queued again behind
 * the failed one (src/outbox/sink-worker.ts).
 */
export type BatchOutcome = DeliveryOutcome[];

/**
 * An event as the outbox stored it: `payload` is `JSON.stringify(event)`, and `event` is parsed from it on first
 * read. For sinks that write JSON text (see `Sink.deliverStored`).
 */
export interface StoredEvent {
  readonly payload: string;
  readonly event: RelayEvent;
}

export interface Sink {
  /** Unique per relay, e.g. `ndjson`, `webhook`, `servicenow`; names the outbox cursor. */
  readonly name: string;
  /** Largest batch the sink accepts in one `deliver` call. */
  readonly maxBatch: number;
  /**
   * Delivers a batch. Must not throw for delivery failures: it returns one outcome per event.
   * Each event's `relay.key` is the idempotency key to pass on (header, coalesce field, Msg-Id).
   */
  deliver(events: readonly RelayEvent[], signal: AbortSignal): Promise<BatchOutcome>;
  /**
   * Optional: like `deliver`, given the events as stored, so a sink that writes JSON can use the stored text
   * instead of parsing and re-serialising each event (serialise once). The dispatcher calls it when present.
   */
  deliverStored?(events: readonly StoredEvent[], signal: AbortSignal): Promise<BatchOutcome>;
  /** Flushes and releases resources. */
  close(): Promise<void>;
}
