import type { RelayEvent } from '../../envelope/envelope.ts';
import { toNdjsonRecord } from '../../envelope/ndjson-record.ts';

// The record builder lives in envelope (the browser stream shares it); re-exported for the sinks that import it here.
export { toNdjsonRecord, type NdjsonRecord } from '../../envelope/ndjson-record.ts';

/** The event as one line, newline included. Throws if the event cannot be serialised. */
export function formatNdjsonLine(event: RelayEvent): string {
  return `${JSON.stringify(toNdjsonRecord(event))}\n`;
}
