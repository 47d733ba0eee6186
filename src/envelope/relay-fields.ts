import { eventKey, type RelayFields } from './envelope.ts';

/**
 * The relay fields of one event, with `key` (a sha256 digest) computed on first read and then cached. The digest
 * costs about as much as parsing the frame, and consumers that never read the key (counting, filtering) should not
 * pay for it. `key` is an own enumerable getter, so JSON.stringify, spread and structuredClone all see its value.
 */
export function relayFields(
  receivedAt: string,
  channelId: string,
  topicName: string,
  correlationId: string | undefined,
  rawFrame: string,
): RelayFields {
  let key: string | undefined;
  return {
    receivedAt,
    channelId,
    source: 'notification',
    get key(): string {
      key ??= eventKey(topicName, correlationId, rawFrame);
      return key;
    },
  };
}

/**
 * Cheap identity for de-duplication across overlapping channels: the server sends the same event to both with the
 * same topic text and CorrelationId, so no case folding or hashing is needed; without a CorrelationId the raw
 * frame is the identity (as in `eventKey`).
 */
export function dedupeIdentity(topicName: string, correlationId: string | undefined, rawFrame: string): string {
  return correlationId === undefined ? rawFrame : `${topicName}\u0000${correlationId}`;
}
