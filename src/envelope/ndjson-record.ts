import type { RelayEvent, RelayFields } from './envelope.ts';

/**
 * One event as consumers see it: an NDJSON line (sinks/ndjson), a webhook body, a browser stream's `data:`. Here, in
 * envelope, so every consumer stage can share it. One NDJSON line (shared/CONTRACT.md "Sinks"): the original notification's fields at the top level and what the
 * relay adds under `relay`. Nothing else, so consumers can rely on the shape.
 */
export interface NdjsonRecord {
  topicName: string;
  /** `null` when the frame had none, so the field is always present. */
  version: string | null;
  eventBody: unknown;
  metadata: Record<string, unknown>;
  relay: RelayFields;
}

export function toNdjsonRecord(event: RelayEvent): NdjsonRecord {
  const { receivedAt, channelId, key, source, gap } = event.relay;
  return {
    topicName: event.topicName,
    version: event.version ?? null,
    eventBody: event.eventBody,
    metadata: event.metadata,
    // `source` (and a resync event's `gap`): CONTRACT.md "Sinks"; absent on events stored before it existed.
    relay: { receivedAt, channelId, key, ...(source ? { source } : {}), ...(gap ? { gap } : {}) },
  };
}
