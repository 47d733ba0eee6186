import { isRecord } from '../core/json.ts';
import { instantOf } from './topic-names.ts';
import type { HealContext } from './types.ts';

/** Page size of the details query ("Maximum number of records per page" 200 per a Genesys blog; 100 is safe). */
export const DETAILS_PAGE_SIZE = 100;
/** Pages per query before the heal reports itself incomplete instead of paging on for ever. */
export const DETAILS_MAX_PAGES = 50;
/**
 * Body cap of one details page. A page carries every segment of up to 100 conversations: long ones (many transfers,
 * holds, wrap-ups) passed the REST client's 1 MiB default in the soak, and each such page failed the whole heal.
 */
export const DETAILS_PAGE_MAX_BYTES = 32 * 1024 * 1024;

const DETAILS_PATH = '/api/v2/analytics/conversations/details/query';

export type AnalyticsConversation = Record<string, unknown>;

/**
 * The conversations matched by `segmentFilter` that may have changed in the gap, in two queries over the gap's
 * interval (which returns every conversation that started on a day the interval touches, so a busy queue has
 * thousands): every active one (`conversationEnd notExists`, few: concurrent calls), then the ended ones newest end
 * first, read only down to the first page that ended before the gap when the pages prove that order (EndOrderWitness),
 * else all of them. Active first: a conversation that ends between the two queries is then in one of them; the other
 * way round it could be in neither.
 */
export async function conversationsTouchingGap(
  segmentFilter: unknown,
  context: HealContext,
): Promise<AnalyticsConversation[]> {
  const active = await pageQuery(
    { order: 'asc', segmentFilters: [segmentFilter], conversationFilters: [endFilter('notExists')] },
    context,
  );
  const witness = new EndOrderWitness(context.gap.startAt);
  const ended = await pageQuery(
    {
      order: 'desc',
      orderBy: 'conversationEnd',
      segmentFilters: [segmentFilter],
      conversationFilters: [endFilter('exists')],
    },
    context,
    (page) => witness.observe(page),
  );
  return [...active, ...ended];
}

function endFilter(operator: 'exists' | 'notExists'): unknown {
  return { type: 'and', predicates: [{ type: 'dimension', dimension: 'conversationEnd', operator }] };
}

/**
 * Pages `query` until a short page, `totalHits`, or `done(page)` says the rest cannot matter; more than
 * DETAILS_MAX_PAGES pages fail the heal (retried, then reported) rather than page on for ever.
 */
async function pageQuery(
  query: Record<string, unknown>,
  context: HealContext,
  done: (page: AnalyticsConversation[]) => boolean = () => false,
): Promise<AnalyticsConversation[]> {
  const { gap, reader, signal, readStartedAt } = context;
  const interval = `${new Date(gap.startAt).toISOString()}/${new Date(Math.max(readStartedAt, gap.endAt)).toISOString()}`;
  const all: AnalyticsConversation[] = [];
  for (let pageNumber = 1; pageNumber <= DETAILS_MAX_PAGES; pageNumber++) {
    const paging = { pageSize: DETAILS_PAGE_SIZE, pageNumber };
    const body = await reader.post(
      DETAILS_PATH,
      { interval, ...query, paging },
      { signal, maxResponseBytes: DETAILS_PAGE_MAX_BYTES },
    );
    const page = isRecord(body) && Array.isArray(body.conversations) ? body.conversations.filter(isRecord) : [];
    all.push(...page);
    const total = isRecord(body) && typeof body.totalHits === 'number' ? body.totalHits : 0;
    if (page.length < DETAILS_PAGE_SIZE || pageNumber * DETAILS_PAGE_SIZE >= total || done(page)) return all;
  }
  throw new Error(`conversation details query over ${interval} has more than ${DETAILS_MAX_PAGES} pages`);
}

/**
 * Decides, page by page, whether the ended conversations read so far prove that the API sorts them by
 * `conversationEnd` descending, so that the pages not read yet hold only conversations whose last activity was
 * before the gap. That the real API honours `orderBy: conversationEnd` is UNVERIFIED (the Java SDK's enum has it,
 * the docs text does not), so the proof is checked on every conversation and any doubt means paging on:
 * - every conversation has a `conversationEnd` not after the previous one's, and no segment time after its own end
 *   (so its end bounds its activity);
 * - the `conversationStart`s go both up and down. An API that honoured `order` but ignored `orderBy` would sort by
 *   conversationStart, and on a queue whose calls do not overlap that order is also an end order: it would look
 *   right while the long conversations that ended in the gap wait on the last pages.
 * Once the proof fails it stays failed: the query is paged in full (up to DETAILS_MAX_PAGES), as before.
 */
export class EndOrderWitness {
  private ordered = true;
  private lastEnd = Number.POSITIVE_INFINITY;
  private lastStart: number | undefined;
  private startsRose = false;
  private startsFell = false;

  constructor(private readonly gapStart: number) {}

  /** Takes the next page; true when the pages after it cannot hold a conversation that changed in the gap. */
  observe(page: readonly AnalyticsConversation[]): boolean {
    for (const conversation of page) this.take(conversation);
    return this.ordered && this.startsRose && this.startsFell && this.lastEnd < this.gapStart;
  }

  private take(conversation: AnalyticsConversation): void {
    if (!this.ordered) return;
    const end = instantOf(conversation.conversationEnd);
    const start = instantOf(conversation.conversationStart);
    if (end === undefined || start === undefined || end > this.lastEnd || latestActivity(conversation) > end) {
      this.ordered = false;
      return;
    }
    this.lastEnd = end;
    if (this.lastStart !== undefined && start > this.lastStart) this.startsRose = true;
    if (this.lastStart !== undefined && start < this.lastStart) this.startsFell = true;
    this.lastStart = start;
  }
}

/** The latest segment start or end of a conversation (-Infinity without segments). */
function latestActivity(conversation: AnalyticsConversation): number {
  // A reduce, not Math.max(...times): a conversation with very many segments must not overflow the call stack.
  return segmentTimes(conversation).reduce<number>(
    (latest, t) => (t !== undefined && t > latest ? t : latest),
    -Infinity,
  );
}

export function segmentTimes(conversation: AnalyticsConversation): Array<number | undefined> {
  const times: Array<number | undefined> = [];
  for (const participant of arrayOf(conversation.participants))
    for (const session of arrayOf(participant.sessions))
      for (const segment of arrayOf(session.segments))
        times.push(instantOf(segment.segmentStart), instantOf(segment.segmentEnd));
  return times;
}

export function arrayOf(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}
