import { createHash } from 'node:crypto';
import type { RelayEvent } from '../../envelope/envelope.ts';
import { toNdjsonRecord, type NdjsonRecord } from '../ndjson/ndjson-format.ts';

/**
 * The object a webhook receives per event: exactly the NDJSON contract line (CONTRACT.md) - the original
 * `topicName`, `version`, `eventBody`, `metadata` plus `relay` {receivedAt, channelId, key} - so every sink speaks
 * the same shape.
 */
export function toWebhookPayload(event: RelayEvent): NdjsonRecord {
  return toNdjsonRecord(event);
}

/**
 * Idempotency key of an array batch: a hash of the member keys, so re-sending the same batch repeats the key.
 * A single event uses its own `relay.key` unchanged.
 */
export function batchIdempotencyKey(events: readonly RelayEvent[]): string {
  if (events.length === 1 && events[0]) return events[0].relay.key;
  const hash = createHash('sha256');
  for (const event of events) hash.update(`${event.relay.key}\n`);
  return `batch-${hash.digest('hex').slice(0, 32)}`;
}
