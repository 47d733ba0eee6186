import { RelayError } from '../core/errors.ts';
import { isRecord } from '../core/json.ts';
import type { Channel, SubscribeResult } from './notifications-api.ts';
import type { AvailableTopic, ChannelTopic } from './wire.ts';

/** Documented channel lifetime, used only when a response lacks a readable `expires` (genesys-api.md §1.6). */
const DEFAULT_CHANNEL_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Response bodies → NotificationsApi types. Bodies are checked field by field: a 200 from a misconfigured proxy
 * must become a clear protocol error, not an `undefined` deep inside the session.
 */
function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw protocolError(`${what}: response body is not JSON`);
  }
}

function protocolError(message: string): RelayError {
  // Retrying a call whose 200 response we cannot read would just repeat the side effect.
  return new RelayError('GENESYS_RELAY_ERR_PROTOCOL', message, { retryable: false });
}

function entitiesOf(text: string, what: string): unknown[] {
  const body = parseJson(text, what);
  if (!isRecord(body)) throw protocolError(`${what}: expected an object with "entities"`);
  const entities = body.entities ?? [];
  if (!Array.isArray(entities)) throw protocolError(`${what}: "entities" is not an array`);
  return entities as unknown[];
}

function parseExpires(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

export function toChannel(text: string, nowMs: number): Channel {
  const body = parseJson(text, 'createChannel');
  if (!isRecord(body) || typeof body.id !== 'string' || typeof body.connectUri !== 'string') {
    throw protocolError('createChannel: response lacks "id" or "connectUri"');
  }
  return {
    id: body.id,
    connectUri: body.connectUri,
    expiresAt: parseExpires(body.expires) ?? nowMs + DEFAULT_CHANNEL_TTL_MS,
  };
}

export function toChannelList(text: string): Array<Partial<Channel>> {
  return entitiesOf(text, 'listChannels')
    .filter(isRecord)
    .map((raw) => {
      const channel: Partial<Channel> = {};
      if (typeof raw.id === 'string') channel.id = raw.id;
      if (typeof raw.connectUri === 'string') channel.connectUri = raw.connectUri;
      const expiresAt = parseExpires(raw.expires);
      if (expiresAt !== undefined) channel.expiresAt = expiresAt;
      return channel;
    });
}

function toChannelTopic(raw: Record<string, unknown>): ChannelTopic | undefined {
  if (typeof raw.id !== 'string') return undefined;
  const topic: ChannelTopic = { id: raw.id };
  if (raw.state === 'Permitted' || raw.state === 'Rejected') topic.state = raw.state;
  if (typeof raw.rejectionReason === 'string') topic.rejectionReason = raw.rejectionReason;
  if (Array.isArray(raw.missingPermissions)) {
    topic.missingPermissions = raw.missingPermissions.filter((p): p is string => typeof p === 'string');
  }
  if (typeof raw.selfUri === 'string') topic.selfUri = raw.selfUri;
  return topic;
}

export function toTopicList(text: string): ChannelTopic[] {
  return entitiesOf(text, 'getSubscriptions')
    .filter(isRecord)
    .map(toChannelTopic)
    .filter((t): t is ChannelTopic => t !== undefined);
}

/**
 * A subscribe response lists what the channel now holds. Entities without a state count as permitted (the server
 * only marks refusals). With ignoreErrors a combined topic comes back Permitted *and* with a Rejected entity per
 * failing expansion (genesys-api.md §1.4), so both lists can mention related names.
 */
export function toSubscribeResult(text: string, requested: readonly string[]): SubscribeResult {
  // Some gateways answer an accepted subscribe with an empty body; then everything requested stands.
  if (text.trim() === '') return { permitted: [...requested], rejected: [] };
  const entities = toTopicList(text);
  return {
    permitted: entities.filter((t) => t.state !== 'Rejected').map((t) => t.id),
    rejected: entities.filter((t) => t.state === 'Rejected'),
  };
}

export function toAvailableTopics(text: string): AvailableTopic[] {
  // Pass-through of the documented shape; only entries with an id are kept.
  return entitiesOf(text, 'availableTopics').filter(
    (raw): raw is AvailableTopic => isRecord(raw) && typeof raw.id === 'string',
  );
}
