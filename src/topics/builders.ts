import { TopicError } from '../core/errors.ts';
import { parseSubscribableTopic } from './topic-name.ts';

/** Suffixes of `v2.users.{id}.*` usable in a combined user topic (a common subset; any valid suffix is accepted). */
export type UserTopicSuffix =
  | 'presence'
  | 'routingStatus'
  | 'conversations'
  | 'conversations.calls'
  | 'conversationsummary'
  | 'geolocation'
  | 'outofoffice'
  | (string & {});

const ID = /^[A-Za-z0-9_:-]+$/;

function id(kind: string, value: string): string {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw new TopicError(
      `${kind} id "${String(value).slice(0, 80)}" is not a valid topic id (letters, digits, _ - : only)`,
    );
  }
  return value;
}

/** Builds and validates in one step, so a builder can never hand out a name Genesys would refuse. */
function build(name: string): string {
  return parseSubscribableTopic(name).name;
}

/**
 * Typed builders for the topics relays use most (genesys-api.md §3). Each returns a validated topic name;
 * a bad id throws TopicError naming it.
 */
export const topics = {
  /** `v2.users.{id}.presence` */
  userPresence: (userId: string): string => build(`v2.users.${id('user', userId)}.presence`),
  /** `v2.users.{id}.routingStatus` */
  userRoutingStatus: (userId: string): string => build(`v2.users.${id('user', userId)}.routingStatus`),
  /** `v2.users.{id}.conversations` */
  userConversations: (userId: string): string => build(`v2.users.${id('user', userId)}.conversations`),
  /** `v2.routing.queues.{id}.conversations` */
  queueConversations: (queueId: string): string => build(`v2.routing.queues.${id('queue', queueId)}.conversations`),
  /** `v2.analytics.queues.{id}.observations` */
  queueObservations: (queueId: string): string => build(`v2.analytics.queues.${id('queue', queueId)}.observations`),
  /** `v2.conversations.{id}` or `v2.conversations.{id}.{suffix}` (e.g. `transcription`). */
  conversation: (conversationId: string, suffix?: string): string =>
    build(`v2.conversations.${id('conversation', conversationId)}${suffix ? `.${suffix}` : ''}`),
  /**
   * Detail events: `v2.detail.events.conversation.{id}.{event}`, e.g. event `customer.start`, `acd.end`.
   * @default event 'customer.start'
   */
  conversationDetail: (conversationId: string, event = 'customer.start'): string =>
    build(`v2.detail.events.conversation.${id('conversation', conversationId)}.${event}`),
  /** `v2.users.{id}?presence&routingStatus…`: one subscription entry for several user topics. */
  combinedUser: (userId: string, suffixes: readonly UserTopicSuffix[]): string => {
    if (suffixes.length === 0) throw new TopicError(`combinedUser(${userId}) needs at least one suffix`);
    const prefix = `v2.users.${id('user', userId)}`;
    return build(suffixes.length === 1 ? `${prefix}.${suffixes[0] ?? ''}` : `${prefix}?${suffixes.join('&')}`);
  },
} as const;
