import { isRecord } from '../core/json.ts';
import type { ConversationRecord, ResyncStore } from './resync-store.ts';

/** The blog's "maximum number of records per page" (genesys-resync.md §2.3; the hard cap is UNVERIFIED). */
export const DETAILS_MAX_PAGE_SIZE = 200;
const DAY_MS = 86_400_000;

/**
 * `POST /api/v2/analytics/conversations/details/query` over the store, with the documented semantics we rely on:
 * only conversations that started on a (UTC) day touched by the interval; segment filters on `queueId` / `userId`
 * (`or` / `and` of predicates, every filter must match); the conversation filter `conversationEnd notExists`;
 * paging (default 25). The response omits `conversations` when there are none, as the real API does.
 * Returns an error message for a request the real API would refuse with 400.
 */
export function queryConversationDetails(store: ResyncStore, body: unknown): unknown {
  if (!isRecord(body) || typeof body.interval !== 'string') return 'interval is required (ISO-8601 start/end).';
  const [start, end] = body.interval.split('/').map((s) => Date.parse(s));
  if (start === undefined || end === undefined || Number.isNaN(start) || Number.isNaN(end) || end < start) {
    return `invalid interval ${body.interval}`;
  }
  const paging = isRecord(body.paging) ? body.paging : {};
  const pageSize = typeof paging.pageSize === 'number' ? paging.pageSize : 25;
  const pageNumber = typeof paging.pageNumber === 'number' ? paging.pageNumber : 1;
  if (pageSize < 1 || pageSize > DETAILS_MAX_PAGE_SIZE || pageNumber < 1) return 'invalid paging';
  const firstDay = Math.floor(start / DAY_MS);
  const lastDay = Math.floor(end / DAY_MS);
  const matches = [...store.conversations.values()]
    .filter((c) => Math.floor(c.startAt / DAY_MS) >= firstDay && Math.floor(c.startAt / DAY_MS) <= lastDay)
    .filter((c) => filtersMatch(body.segmentFilters, (p) => segmentPredicate(c, p)))
    .filter((c) => filtersMatch(body.conversationFilters, (p) => conversationPredicate(c, p)))
    .sort((a, b) => a.startAt - b.startAt);
  const page = matches.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map(toAnalytics);
  return { ...(page.length > 0 ? { conversations: page } : {}), totalHits: matches.length };
}

function filtersMatch(filters: unknown, test: (predicate: Record<string, unknown>) => boolean): boolean {
  if (!Array.isArray(filters)) return true;
  return filters.filter(isRecord).every((filter) => {
    const predicates = Array.isArray(filter.predicates) ? filter.predicates.filter(isRecord) : [];
    return filter.type === 'and' ? predicates.every(test) : predicates.some(test);
  });
}

function segmentPredicate(c: ConversationRecord, p: Record<string, unknown>): boolean {
  if (p.dimension === 'queueId') return typeof p.value === 'string' && c.queueIds.has(p.value);
  if (p.dimension === 'userId') return typeof p.value === 'string' && c.userIds.has(p.value);
  return false;
}

function conversationPredicate(c: ConversationRecord, p: Record<string, unknown>): boolean {
  if (p.dimension === 'conversationEnd' && p.operator === 'notExists') return c.endAt === undefined;
  if (p.dimension === 'conversationEnd' && p.operator === 'exists') return c.endAt !== undefined;
  if (p.dimension === 'conversationId') return p.value === c.id;
  return false;
}

/** The analytics shape: one agent participant per user, its segments as published changes. */
function toAnalytics(c: ConversationRecord): Record<string, unknown> {
  const users = c.userIds.size > 0 ? [...c.userIds] : [undefined];
  return {
    conversationId: c.id,
    conversationStart: new Date(c.startAt).toISOString(),
    ...(c.endAt === undefined ? {} : { conversationEnd: new Date(c.endAt).toISOString() }),
    participants: users.map((userId, index) => ({
      participantId: `${c.id}-p${index}`,
      purpose: 'agent',
      ...(userId === undefined ? {} : { userId }),
      sessions: [{ mediaType: 'voice', segments: c.segments.map((s) => ({ ...s })) }],
    })),
  };
}
