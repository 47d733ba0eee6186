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
  | { kind: 'permanent'; error: string };

/** Outcome per event of a batch, in the batch's order. */
export type BatchOutcome = DeliveryOutcome[];

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
  /** Flushes and releases resources. */
  close(): Promise<void>;
}
