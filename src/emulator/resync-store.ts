import { isRecord } from '../core/json.ts';
import type { EmulatorContext } from './context.ts';

/**
 * The state behind the topics a relay re-reads over REST after a gap (genesys-resync.md §2): each published event
 * changes it, so a test can prove that after a gap the sink holds every entity's latest state. Presence and routing
 * status per user; conversations with an analytics-style segment history (a new segment per published change).
 */

export interface AnalyticsSegment {
  segmentStart: string;
  segmentEnd?: string;
  segmentType: 'interact' | 'wrapup';
  queueId?: string;
}

export interface ConversationRecord {
  id: string;
  /** The last published event body (the live shape). */
  body: Record<string, unknown>;
  startAt: number;
  endAt: number | undefined;
  queueIds: Set<string>;
  userIds: Set<string>;
  segments: AnalyticsSegment[];
}

export interface ResyncStore {
  /** When the store was created: the modifiedDate of a user that never changed. */
  readonly createdAt: number;
  readonly presence: Map<string, Record<string, unknown>>;
  readonly routing: Map<string, { status: string; startTime: string }>;
  readonly conversations: Map<string, ConversationRecord>;
  /** Requests served per REST state endpoint (what a resync costs, counted at the emulator). */
  readonly reads: Record<string, number>;
  /** Departures from the documented behaviour, for testing a client against the harsher case. */
  readonly quirks: ResyncQuirks;
}

export interface ResyncQuirks {
  /** The details query ignores `orderBy` (sorts by conversationStart, still honouring `order`). @default false */
  ignoreOrderBy: boolean;
}

/** Bound on stored conversations, so a long generated run does not grow the emulator without limit. */
const MAX_CONVERSATIONS = 20_000;
/**
 * Bound on one conversation's segments (a new one per published change): a conversation that gets events for hours
 * (the soak's never end) would otherwise grow without limit. The oldest go first; the newest, which say when the
 * conversation last changed, stay.
 */
export const MAX_SEGMENTS_PER_CONVERSATION = 100;

const stores = new WeakMap<EmulatorContext, ResyncStore>();

/** The store of one emulator (created on first use). */
export function resyncStoreOf(ctx: EmulatorContext): ResyncStore {
  let store = stores.get(ctx);
  if (!store) {
    store = {
      createdAt: ctx.options.clock.now(),
      presence: new Map(),
      routing: new Map(),
      conversations: new Map(),
      reads: {},
      quirks: { ignoreOrderBy: false },
    };
    stores.set(ctx, store);
  }
  return store;
}

/** Applies one published event (expanded topic name) to the state store. */
export function recordPublished(ctx: EmulatorContext, topic: string, body: unknown, now: number): void {
  if (!isRecord(body)) return;
  const segments = topic.split('.');
  const store = resyncStoreOf(ctx);
  const id = segments[1] === 'users' ? segments[2] : segments[3];
  if (id === undefined) return;
  if (segments[1] === 'users' && segments[3] === 'presence') store.presence.set(id, body);
  else if (segments[1] === 'users' && segments[3] === 'routingStatus') recordRouting(store, id, body);
  else if (segments[1] === 'users' && segments[3] === 'conversations')
    recordConversation(store, body, now, { userId: id });
  else if (segments[1] === 'routing' && segments[2] === 'queues' && segments[4] === 'conversations') {
    recordConversation(store, body, now, { queueId: id });
  }
}

function recordRouting(store: ResyncStore, userId: string, body: Record<string, unknown>): void {
  const routing = body.routingStatus;
  if (!isRecord(routing) || typeof routing.status !== 'string') return;
  const startTime = typeof routing.startTime === 'string' ? routing.startTime : new Date().toISOString();
  store.routing.set(userId, { status: routing.status, startTime });
}

function recordConversation(
  store: ResyncStore,
  body: Record<string, unknown>,
  now: number,
  link: { userId?: string; queueId?: string },
): void {
  if (typeof body.id !== 'string') return;
  let record = store.conversations.get(body.id);
  if (!record) {
    // Generated traffic makes a new conversation per event: keep the newest ones only (Map order = insertion).
    if (store.conversations.size >= MAX_CONVERSATIONS) {
      const oldest = store.conversations.keys().next();
      if (!oldest.done) store.conversations.delete(oldest.value);
    }
    record = {
      id: body.id,
      body,
      startAt: now,
      endAt: undefined,
      queueIds: new Set(),
      userIds: new Set(),
      segments: [],
    };
    store.conversations.set(body.id, record);
  }
  record.body = body;
  if (link.queueId) record.queueIds.add(link.queueId);
  if (link.userId) record.userIds.add(link.userId);
  const participants = Array.isArray(body.participants) ? body.participants.filter(isRecord) : [];
  for (const p of participants) {
    if (typeof p.queueId === 'string') record.queueIds.add(p.queueId);
    if (typeof p.userId === 'string') record.userIds.add(p.userId);
  }
  const at = new Date(now).toISOString();
  const open = record.segments[record.segments.length - 1];
  if (open && open.segmentEnd === undefined) open.segmentEnd = at;
  const ended = participants.length > 0 && participants.every((p) => p.state === 'disconnected');
  const queueId = link.queueId ?? [...record.queueIds][0];
  record.segments.push({
    segmentStart: at,
    segmentType: ended ? 'wrapup' : 'interact',
    ...(queueId ? { queueId } : {}),
  });
  if (record.segments.length > MAX_SEGMENTS_PER_CONVERSATION) record.segments.shift();
  record.endAt = ended ? now : undefined;
}

/** What GET /control/resync-state reports: the reads served and the size of the state. */
export function resyncStoreSnapshot(ctx: EmulatorContext): Record<string, unknown> {
  const store = resyncStoreOf(ctx);
  const reads = { ...store.reads };
  const total = Object.values(reads).reduce((n, v) => n + v, 0);
  const sizes = { users: store.presence.size, routing: store.routing.size, conversations: store.conversations.size };
  return { reads, totalReads: total, ...sizes };
}

/** Counts one served state read under `name`. */
export function countRead(ctx: EmulatorContext, name: string): void {
  const reads = resyncStoreOf(ctx).reads;
  reads[name] = (reads[name] ?? 0) + 1;
}

/**
 * `POST /control/resync-quirks` `{"ignoreOrderBy": true|false}`: sets the given quirks, answers all of them; an error
 * message for a body it cannot apply.
 */
export function setResyncQuirks(ctx: EmulatorContext, body: unknown): ResyncQuirks | string {
  if (!isRecord(body) || Object.keys(body).some((k) => k !== 'ignoreOrderBy'))
    return 'Expected {"ignoreOrderBy": true|false}.';
  const quirks = resyncStoreOf(ctx).quirks;
  if (body.ignoreOrderBy !== undefined) {
    if (typeof body.ignoreOrderBy !== 'boolean') return '"ignoreOrderBy" must be a boolean.';
    quirks.ignoreOrderBy = body.ignoreOrderBy;
  }
  return { ...quirks };
}
