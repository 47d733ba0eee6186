import { eventKey, type RelayFields } from './envelope.ts';

/**
 * The relay fields of one event, with `key` (a sha256 digest over topic, CorrelationId and the canonical body)
 * computed on first read and then cached. The digest costs more than parsing the frame, and consumers that never
 * read the key (counting, filtering) should not pay for it. `key` is an own enumerable getter, so JSON.stringify,
 * spread and structuredClone all see its value.
 */
export function relayFields(
  receivedAt: string,
  channelId: string,
  topicName: string,
  correlationId: string | undefined,
  eventBody: unknown,
): RelayFields {
  let key: string | undefined;
  return {
    receivedAt,
    channelId,
    source: 'notification',
    get key(): string {
      key ??= eventKey(topicName, correlationId, eventBody);
      return key;
    },
  };
}
