import { createWriteStream, type WriteStream } from 'node:fs';
import type { RelayEvent } from '../src/envelope/envelope.ts';
import type { BatchOutcome, Sink } from '../src/sinks/sink.ts';
import type { EntityStates } from './entity-states.ts';
import type { Ledger } from './ledger.ts';

/** The sink's Retry-After during an outage: HTTP gives it in whole seconds, so 1 s is the shortest a server sends. */
const OUTAGE_RETRY_AFTER_MS = 1_000;

/**
 * The end of the soak's pipeline: books every delivery in the ledger (optionally also as ndjson). During an outage
 * (`failFor`) it answers every batch as retryable, as a sink whose target is down would, so the outbox builds a
 * backlog and the dispatcher has to retry it.
 */
export class RecordingSink implements Sink {
  readonly name = 'soak';
  readonly maxBatch = 500;
  delivered = 0;
  /** Of `delivered`, resync events (`relay.source: "resync"`: read over REST, not in the ledger). */
  resyncDelivered = 0;
  /** Batches refused during outages. */
  refusedBatches = 0;
  private outageUntil = 0;
  private readonly file: WriteStream | undefined;

  constructor(
    private readonly ledger: Ledger,
    private readonly entities: EntityStates,
    ndjsonPath?: string,
  ) {
    this.file = ndjsonPath === undefined ? undefined : createWriteStream(ndjsonPath, { flags: 'w' });
  }

  /** Refuses every delivery for the next `ms`. */
  failFor(ms: number): void {
    this.outageUntil = Math.max(this.outageUntil, Date.now() + ms);
  }

  deliver(events: readonly RelayEvent[]): Promise<BatchOutcome> {
    if (Date.now() < this.outageUntil) {
      this.refusedBatches++;
      const outcome = { kind: 'retryable' as const, error: 'soak sink outage', retryAfterMs: OUTAGE_RETRY_AFTER_MS };
      return Promise.resolve(events.map(() => outcome));
    }
    for (const event of events) {
      if (event.relay.source === 'resync') this.resyncDelivered++;
      else this.ledger.recordDelivered(event.topicName, event.metadata['emulatorSequence']);
      this.entities.delivered(event);
      this.file?.write(`${JSON.stringify(event)}\n`);
    }
    this.delivered += events.length;
    return Promise.resolve(events.map(() => ({ kind: 'delivered' as const })));
  }

  close(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    return new Promise((resolve) => file.end(() => resolve()));
  }
}
