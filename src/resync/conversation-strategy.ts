import { isRecord } from '../core/json.ts';
import { arrayOf, conversationsTouchingGap, segmentTimes } from './conversation-details.ts';
import { chunk, instantOf, stableJson } from './topic-names.ts';
import type { EntityState, HealContext, HealedState, ResyncStrategy } from './types.ts';

const TOPIC = /^v2\.(users|routing\.queues)\.([^.]+)\.conversations$/i;
/** Predicates per details query (the limit on OR predicates is UNVERIFIED; docs/resync.md). */
export const PREDICATES_PER_QUERY = 25;
export { DETAILS_MAX_PAGES, DETAILS_PAGE_MAX_BYTES, DETAILS_PAGE_SIZE } from './conversation-details.ts';

/** Top-level fields of REST `Conversation` that the event has not (genesys-resync.md §2.3 field diff). */
const REST_ONLY = ['name', 'startTime', 'endTime', 'conversationIds', 'state', 'selfUri'];
/** The participant-level REST-only fields, left out of the state comparison. */
const REST_ONLY_PARTICIPANT = [
  'startTime',
  'userUri',
  'queueName',
  'participantType',
  'ani',
  'aniName',
  'dnis',
  'locale',
];

interface Watched {
  kind: 'users' | 'queues';
  id: string;
  topicName: string;
}

/**
 * Queue and user conversations (`v2.routing.queues.<id>.conversations`, `v2.users.<id>.conversations`): the
 * conversations that changed during the gap (analytics details query over the gap's interval, a segment or the
 * conversation's end inside it), then each one's current state (`GET /api/v2/conversations/<id>`), emitted on every
 * watched topic it belongs to. This is Genesys' own advice for recovering after a WebSocket loss (§4).
 */
export const conversationStrategy: ResyncStrategy = {
  name: 'conversations',
  handles: (topicName) => TOPIC.test(topicName),
  identify(topicName, eventBody): EntityState | undefined {
    if (!isRecord(eventBody) || typeof eventBody.id !== 'string' || !TOPIC.test(topicName)) return undefined;
    return { entity: `conversation:${topicName.toLowerCase()}:${eventBody.id}`, fingerprint: fingerprintOf(eventBody) };
  },
  async heal(topics, context): Promise<HealedState[]> {
    const watched = topics.flatMap((topicName): Watched[] => {
      const match = TOPIC.exec(topicName);
      if (!match?.[2]) return [];
      return [{ kind: match[1]?.toLowerCase() === 'users' ? 'users' : 'queues', id: match[2], topicName }];
    });
    const changed = await changedConversations(watched, context);
    const out: HealedState[] = [];
    await Promise.all(
      [...changed].map(async (conversationId) => {
        const path = `/api/v2/conversations/${encodeURIComponent(conversationId)}`;
        const body = await context.reader.get(path, { accept404: true, signal: context.signal });
        // 404: gone (purged or not visible to this client); nothing to deliver.
        if (isRecord(body)) out.push(...eventsFor(body, watched));
      }),
    );
    return out;
  },
};

/**
 * Ids of the conversations with a segment, or an end, inside the gap (started on a day the interval touches): two
 * details queries per 25 ids, active ones and ended ones read down to the gap (conversation-details.ts).
 */
async function changedConversations(watched: readonly Watched[], context: HealContext): Promise<Set<string>> {
  const { gap, readStartedAt } = context;
  const changed = new Set<string>();
  const inGap = (at: number | undefined): boolean => at !== undefined && at >= gap.startAt && at <= readStartedAt;
  for (const kind of ['queues', 'users'] as const) {
    const ids = watched.filter((w) => w.kind === kind).map((w) => w.id);
    for (const group of chunk([...new Set(ids)], PREDICATES_PER_QUERY)) {
      const dimension = kind === 'queues' ? 'queueId' : 'userId';
      const filter = { type: 'or', predicates: group.map((value) => ({ type: 'dimension', dimension, value })) };
      for (const conversation of await conversationsTouchingGap(filter, context)) {
        const id = conversation.conversationId;
        if (typeof id !== 'string') continue;
        if (inGap(instantOf(conversation.conversationEnd)) || segmentTimes(conversation).some(inGap)) changed.add(id);
      }
    }
  }
  return changed;
}

/** REST Conversation → the live body (REST-only top-level keys dropped), once per watched topic it belongs to. */
function eventsFor(rest: Record<string, unknown>, watched: readonly Watched[]): HealedState[] {
  const eventBody = Object.fromEntries(Object.entries(rest).filter(([key]) => !REST_ONLY.includes(key)));
  const participants = arrayOf(rest.participants);
  const belongs = (w: Watched): boolean =>
    participants.some((p) => (w.kind === 'queues' ? p.queueId === w.id : p.userId === w.id));
  const fingerprint = fingerprintOf(eventBody);
  return watched.filter(belongs).map((w) => ({
    entity: `conversation:${w.topicName.toLowerCase()}:${String(rest.id)}`,
    fingerprint,
    topicName: w.topicName,
    eventBody,
  }));
}

/** The conversation's state without the fields only one of REST and the event carries. */
function fingerprintOf(body: Record<string, unknown>): string {
  const participants = arrayOf(body.participants).map((p) =>
    Object.fromEntries(Object.entries(p).filter(([key]) => !REST_ONLY_PARTICIPANT.includes(key))),
  );
  const top = Object.fromEntries(Object.entries(body).filter(([key]) => !REST_ONLY.includes(key)));
  return stableJson({ ...top, participants });
}
