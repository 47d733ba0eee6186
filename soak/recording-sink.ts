import { createWriteStream, type WriteStream } from 'node:fs';
import type { RelayEvent } from '../src/envelope/envelope.ts';
import type { BatchOutcome, Sink } from '../src/sinks/sink.ts';
import type { Ledger } from './ledger.ts';

/** The end of the soak's pipeline: books every delivery in the ledger (optionally also as ndjson) and never fails. */
export class RecordingSink implements Sink {
  readonly name = 'soak';
  readonly maxBatch = 500;
  delivered = 0;
  private readonly file: WriteStream | undefined;

  constructor(
    private readonly ledger: Ledger,
    ndjsonPath?: string,
  ) {
    this.file = ndjsonPath === undefined ? undefined : createWriteStream(ndjsonPath, { flags: 'w' });
  }

  deliver(events: readonly RelayEvent[]): Promise<BatchOutcome> {
    for (const event of events) {
      this.ledger.recordDelivered(event.topicName, event.metadata['emulatorSequence']);
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
