import { isRecord } from '../core/json.ts';
import { chunk, instantOf, stableJson } from './topic-names.ts';
import type { EntityState, HealContext, HealedState, ResyncStrategy, StateReader } from './types.ts';

/** `GET /api/v2/users/presences/purecloud/bulk?id=…`: "Limit 50." (genesys-resync.md §2.1, PresenceApi.md L958). */
export const PRESENCE_BULK_IDS = 50;
/** Ids per `GET /api/v2/users?id=…&expand=routingStatus`; the real maximum is UNVERIFIED (docs/resync.md). */
export const USERS_BY_ID_IDS = 50;

const TOPIC = /^v2\.users\.([^.]+)\.(presence|routingstatus)$/i;

/**
 * User presence and routing status (`v2.users.<id>.presence`, `.routingStatus`, and the combined
 * `v2.users.<id>?presence&routingStatus`): presence in bulk, 50 users a call; routing status from
 * `GET /api/v2/users?id=…&expand=routingStatus` (no bulk routing endpoint exists; the expand is best effort), and one
 * `GET /api/v2/users/<id>/routingstatus` for each user the expand left out.
 */
export const presenceStrategy: ResyncStrategy = {
  name: 'presence',
  handles: (topicName) => TOPIC.test(topicName),
  identify(topicName, eventBody): EntityState | undefined {
    const match = TOPIC.exec(topicName);
    if (!match || !isRecord(eventBody)) return undefined;
    const userId = match[1] ?? '';
    return match[2]?.toLowerCase() === 'presence'
      ? presenceState(userId, eventBody)
      : routingState(userId, isRecord(eventBody.routingStatus) ? eventBody.routingStatus : undefined);
  },
  async heal(topics, context): Promise<HealedState[]> {
    const presenceUsers: string[] = [];
    const routingUsers: string[] = [];
    const topicOf = new Map<string, string>();
    for (const topic of topics) {
      const match = TOPIC.exec(topic);
      if (!match?.[1]) continue;
      const isPresence = match[2]?.toLowerCase() === 'presence';
      (isPresence ? presenceUsers : routingUsers).push(match[1]);
      topicOf.set(`${isPresence ? 'p' : 'r'}:${match[1]}`, topic);
    }
    const presence = await healPresence(presenceUsers, topicOf, context);
    const routing = await healRouting(routingUsers, topicOf, context);
    return [...presence, ...routing];
  },
};

function presenceState(userId: string, body: Record<string, unknown>): EntityState | undefined {
  const definition = isRecord(body.presenceDefinition) ? body.presenceDefinition : undefined;
  if (!definition) return undefined;
  // Casing of systemPresence differs between REST and events (genesys-resync.md §1): compare it upper-cased.
  const system = typeof definition.systemPresence === 'string' ? definition.systemPresence.toUpperCase() : null;
  const fingerprint = stableJson({ id: definition.id ?? null, system, message: body.message ?? '' });
  return { entity: `presence:${userId}`, fingerprint };
}

function routingState(userId: string, routing: Record<string, unknown> | undefined): EntityState | undefined {
  if (!routing || typeof routing.status !== 'string') return undefined;
  const fingerprint = stableJson({ status: routing.status, startTime: routing.startTime ?? null });
  return { entity: `routingStatus:${userId}`, fingerprint };
}

async function healPresence(
  users: readonly string[],
  topicOf: Map<string, string>,
  { reader, signal }: HealContext,
): Promise<HealedState[]> {
  const out: HealedState[] = [];
  const batches = chunk(users, PRESENCE_BULK_IDS).map(async (ids) => {
    const path = `/api/v2/users/presences/purecloud/bulk?id=${ids.map(encodeURIComponent).join(',')}`;
    const body = await reader.get(path, { signal });
    for (const presence of Array.isArray(body) ? body.filter(isRecord) : []) {
      const userId = typeof presence.userId === 'string' ? presence.userId : undefined;
      const topicName = userId === undefined ? undefined : topicOf.get(`p:${userId}`);
      if (userId === undefined || topicName === undefined) continue;
      const healed = presenceEvent(userId, topicName, presence);
      if (healed) out.push(healed);
    }
  });
  await Promise.all(batches);
  return out;
}

/** UcUserPresence → the live PresenceEventUserPresence body (the bulk form has no primary/futurePresenceDefinition). */
function presenceEvent(userId: string, topicName: string, presence: Record<string, unknown>): HealedState | undefined {
  const definition = isRecord(presence.presenceDefinition) ? presence.presenceDefinition : undefined;
  const eventBody: Record<string, unknown> = {
    ...(presence.source === undefined ? {} : { source: presence.source }),
    ...(definition ? { presenceDefinition: { id: definition.id, systemPresence: definition.systemPresence } } : {}),
    ...(presence.message === undefined ? {} : { message: presence.message }),
    ...(presence.modifiedDate === undefined ? {} : { modifiedDate: presence.modifiedDate }),
  };
  const state = presenceState(userId, eventBody);
  if (!state) return undefined;
  const changedAt = instantOf(presence.modifiedDate);
  return { ...state, topicName, eventBody, ...(changedAt === undefined ? {} : { changedAt }) };
}

async function healRouting(
  users: readonly string[],
  topicOf: Map<string, string>,
  { reader, signal }: HealContext,
): Promise<HealedState[]> {
  const found = new Map<string, Record<string, unknown>>();
  await Promise.all(
    chunk(users, USERS_BY_ID_IDS).map(async (ids) => {
      const query = `id=${ids.map(encodeURIComponent).join(',')}&expand=routingStatus&pageSize=${ids.length}`;
      const body = await reader.get(`/api/v2/users?${query}`, { signal });
      const entities = isRecord(body) && Array.isArray(body.entities) ? body.entities.filter(isRecord) : [];
      for (const user of entities) {
        if (typeof user.id === 'string' && isRecord(user.routingStatus)) found.set(user.id, user.routingStatus);
      }
    }),
  );
  // "Expand … is not guaranteed to be returned": ask per user for the ones it left out.
  await Promise.all(users.filter((id) => !found.has(id)).map((id) => routingOne(reader, id, signal, found)));
  const out: HealedState[] = [];
  for (const userId of users) {
    const routing = found.get(userId);
    const topicName = topicOf.get(`r:${userId}`);
    const state = routingState(userId, routing);
    if (!routing || !topicName || !state) continue;
    const eventBody = { id: userId, routingStatus: { status: routing.status, startTime: routing.startTime } };
    const changedAt = instantOf(routing.startTime);
    out.push({ ...state, topicName, eventBody, ...(changedAt === undefined ? {} : { changedAt }) });
  }
  return out;
}

async function routingOne(
  reader: StateReader,
  userId: string,
  signal: AbortSignal,
  found: Map<string, Record<string, unknown>>,
): Promise<void> {
  const body = await reader.get(`/api/v2/users/${encodeURIComponent(userId)}/routingstatus`, {
    accept404: true,
    signal,
  });
  if (isRecord(body)) found.set(userId, body);
}
