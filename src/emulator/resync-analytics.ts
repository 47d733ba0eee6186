import { isRecord } from '../core/json.ts';
import type { ConversationRecord, ResyncStore } from './resync-store.ts';

/** The blog's "maximum number of records per page" (genesys-resync.md §2.3; the hard cap is UNVERIFIED). */
export const DETAILS_MAX_PAGE_SIZE = 200;
const DAY_MS = 86_400_000;

/**
 * `POST /api/v2/analytics/conversations/details/query` over the store, with the documented semantics we rely on:
 * only conversations that started on a (UTC) day touched by the interval; segment filters on `queueId` / `userId`
 * (`or` / `and` of predicates, every filter must match); the conversation filter `conversationEnd exists|notExists`;
 * `order` (asc, desc, unordered; default asc) and `orderBy` (the SDK enum; default conversationStart);
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
  const sort = sortOf(body, store.quirks.ignoreOrderBy);
  if (typeof sort === 'string') return sort;
  const firstDay = Math.floor(start / DAY_MS);
  const lastDay = Math.floor(end / DAY_MS);
  const matches = [...store.conversations.values()]
    .filter((c) => Math.floor(c.startAt / DAY_MS) >= firstDay && Math.floor(c.startAt / DAY_MS) <= lastDay)
    .filter((c) => filtersMatch(body.segmentFilters, (p) => segmentPredicate(c, p)))
    .filter((c) => filtersMatch(body.conversationFilters, (p) => conversationPredicate(c, p)));
  if (sort) matches.sort(sort);
  const page = matches.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map(toAnalytics);
  return { ...(page.length > 0 ? { conversations: page } : {}), totalHits: matches.length };
}

/** The SDK's `ConversationQuery.OrderByEnum` (Java SDK; the docs text names only three of the four). */
const ORDER_BY = ['conversationStart', 'conversationEnd', 'segmentStart', 'segmentEnd'] as const;
type OrderBy = (typeof ORDER_BY)[number];
type Compare = (a: ConversationRecord, b: ConversationRecord) => number;

/**
 * The comparator `order` / `orderBy` ask for (undefined: `unordered`), or the 400 message. A conversation without the
 * sort key (no end yet) sorts last in both directions. With the `ignoreOrderBy` quirk the query is sorted by
 * conversationStart in the requested direction: the harsher reading, since a result that honours `order` but not
 * `orderBy` looks plausible page by page.
 */
function sortOf(body: Record<string, unknown>, ignoreOrderBy: boolean): Compare | undefined | string {
  const order = body.order ?? 'asc';
  if (order !== 'asc' && order !== 'desc' && order !== 'unordered') return `invalid order ${JSON.stringify(order)}`;
  const orderBy = body.orderBy ?? 'conversationStart';
  if (!ORDER_BY.includes(orderBy as OrderBy)) {
    return `invalid orderBy ${JSON.stringify(orderBy)}: expected one of ${ORDER_BY.join(', ')}`;
  }
  if (order === 'unordered') return undefined;
  const key = keyOf(ignoreOrderBy ? 'conversationStart' : (orderBy as OrderBy));
  const sign = order === 'desc' ? -1 : 1;
  return (a, b) => {
    const [x, y] = [key(a), key(b)];
    if (x === undefined || y === undefined) return (x === undefined ? 1 : 0) - (y === undefined ? 1 : 0);
    return sign * (x - y);
  };
}

/** The sort key per orderBy; segment keys are the conversation's latest segment start / end (our choice). */
function keyOf(orderBy: OrderBy): (c: ConversationRecord) => number | undefined {
  const latest = (times: Array<string | undefined>): number | undefined => {
    const ms = times.flatMap((t) => (t === undefined ? [] : [Date.parse(t)]));
    return ms.length > 0 ? Math.max(...ms) : undefined;
  };
  switch (orderBy) {
    case 'conversationStart':
      return (c) => c.startAt;
    case 'conversationEnd':
      return (c) => c.endAt;
    case 'segmentStart':
      return (c) => latest(c.segments.map((s) => s.segmentStart));
    case 'segmentEnd':
      return (c) => latest(c.segments.map((s) => s.segmentEnd));
  }
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
