import { errorMessage } from '../../core/errors.ts';
import { isRecord } from '../../core/json.ts';
import type { RelayEvent } from '../../envelope/envelope.ts';
import type { DeliveryOutcome } from '../sink.ts';

/** One ServiceNow row as sent: the Import Set API accepts only flat string name-value pairs. */
export type ServiceNowRecord = Record<string, string>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Flattens an event into the columns of `u_genesys_event(_import)`. Nested JSON sent to the Import Set API is
 * mangled (`:` becomes `=`), so the body travels as one JSON string in `u_event_body` (give that column a large
 * max length, e.g. 65000), and a few scalars are lifted out so they can be filtered and indexed in ServiceNow:
 *
 * | column | value |
 * |---|---|
 * | `keyField` (u_event_key) | `relay.key`, the coalesce key |
 * | u_topic | topicName, e.g. `v2.users.<id>.presence` |
 * | u_topic_pattern | topicName with ids replaced by `{id}`, e.g. `v2.users.{id}.presence` |
 * | u_entity_id | the first UUID in the topic (user, queue, conversation…) |
 * | u_event_id | `eventBody.id` when it is a scalar |
 * | u_version | version |
 * | u_correlation_id | `metadata.CorrelationId` |
 * | u_received_at | `relay.receivedAt` (ISO-8601) |
 * | u_channel_id | `relay.channelId` |
 * | u_event_body | `JSON.stringify(eventBody)` |
 */
export function toServiceNowRecord(event: RelayEvent, keyField: string): ServiceNowRecord {
  const segments = event.topicName.split('.');
  return {
    [keyField]: event.relay.key,
    u_topic: event.topicName,
    u_topic_pattern: segments.map((s) => (UUID.test(s) ? '{id}' : s)).join('.'),
    u_entity_id: segments.find((s) => UUID.test(s)) ?? '',
    u_event_id: scalarText(isRecord(event.eventBody) ? event.eventBody['id'] : undefined),
    u_version: event.version ?? '',
    u_correlation_id: scalarText(event.metadata['CorrelationId']),
    u_received_at: event.relay.receivedAt,
    u_channel_id: event.relay.channelId,
    u_event_body: JSON.stringify(event.eventBody ?? null),
  };
}

function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/** An event that cannot be turned into a record (an unserialisable body) is permanent on its own. */
export function mapEvent(
  event: RelayEvent,
  keyField: string,
): { record: ServiceNowRecord } | { outcome: DeliveryOutcome } {
  try {
    return { record: toServiceNowRecord(event, keyField) };
  } catch (err) {
    return {
      outcome: { kind: 'permanent', error: `cannot map the event to a ServiceNow record: ${errorMessage(err)}` },
    };
  }
}
