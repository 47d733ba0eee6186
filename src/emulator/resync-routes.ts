import { isRecord } from '../core/json.ts';
import type { ApiRequest } from './api-routes.ts';
import { errorBody, sendJson } from './http.ts';
import { queryConversationDetails } from './resync-analytics.ts';
import { countRead, resyncStoreOf, type ResyncStore } from './resync-store.ts';

/** Documented limit of the bulk presence call (genesys-resync.md §2.1). */
export const PRESENCE_BULK_LIMIT = 50;
/** Ids per `GET /api/v2/users?id=` call; the real limit is UNVERIFIED (genesys-resync.md §5.2), 100 is our guess. */
export const USERS_BY_ID_LIMIT = 100;

const USER_PRESENCE = /^\/api\/v2\/users\/([^/]+)\/presences\/purecloud$/;
const USER_ROUTING = /^\/api\/v2\/users\/([^/]+)\/routingstatus$/;
const CONVERSATION = /^\/api\/v2\/conversations\/([^/]+)$/;

/**
 * The REST endpoints a relay re-reads state with after a gap, answered from the state store that published events
 * maintain. They sit behind the same pipeline as the notification routes (bearer, rate limit, armed faults).
 * Returns false when the request is not one of them.
 */
export function handleResyncRoutes(api: ApiRequest): boolean {
  const { req, url, ctx } = api;
  const store = resyncStoreOf(ctx);
  const path = url.pathname;
  const method = req.method ?? 'GET';
  let match: RegExpExecArray | null;
  if (method === 'GET' && path === '/api/v2/users/presences/purecloud/bulk') return presenceBulk(api, store);
  if (method === 'GET' && path === '/api/v2/users') return usersById(api, store);
  if (method === 'GET' && (match = USER_PRESENCE.exec(path))) {
    countRead(ctx, 'userPresence');
    return send(api, 200, userPresence(store, decodeURIComponent(match[1] ?? '')));
  }
  if (method === 'GET' && (match = USER_ROUTING.exec(path))) {
    countRead(ctx, 'routingStatus');
    return send(api, 200, routingStatus(store, decodeURIComponent(match[1] ?? '')));
  }
  if (method === 'POST' && path === '/api/v2/analytics/conversations/details/query') {
    countRead(ctx, 'conversationDetailsQuery');
    const result = queryConversationDetails(store, api.body);
    if (typeof result === 'string') return send(api, 400, errorBody(400, 'bad.request', result));
    return send(api, 200, result);
  }
  if (method === 'GET' && (match = CONVERSATION.exec(path))) return conversation(api, store, match[1] ?? '');
  return false;
}

function send(api: ApiRequest, status: number, body: unknown): true {
  sendJson(api.res, status, body, api.headers);
  return true;
}

function idsOf(url: URL): string[] {
  return url.searchParams
    .getAll('id')
    .flatMap((v) => v.split(','))
    .filter((id) => id !== '');
}

function presenceBulk(api: ApiRequest, store: ResyncStore): true {
  countRead(api.ctx, 'presenceBulk');
  const ids = idsOf(api.url);
  if (ids.length > PRESENCE_BULK_LIMIT) {
    return send(
      api,
      400,
      errorBody(400, 'bad.request', `At most ${PRESENCE_BULK_LIMIT} ids are allowed (got ${ids.length}).`),
    );
  }
  // UcUserPresence[], a bare array, without primary / futurePresenceDefinition.
  return send(
    api,
    200,
    ids.map((userId) => {
      const p = userPresence(store, userId);
      return {
        id: p.id,
        userId,
        source: p.source,
        presenceDefinition: p.presenceDefinition,
        message: p.message,
        modifiedDate: p.modifiedDate,
      };
    }),
  );
}

function usersById(api: ApiRequest, store: ResyncStore): true {
  countRead(api.ctx, 'usersById');
  const ids = idsOf(api.url);
  if (ids.length > USERS_BY_ID_LIMIT) {
    return send(api, 400, errorBody(400, 'bad.request', `At most ${USERS_BY_ID_LIMIT} ids are allowed.`));
  }
  const expand = (api.url.searchParams.get('expand') ?? '').split(',');
  const entities = ids.map((id) => ({
    id,
    name: `User ${id.slice(0, 8)}`,
    state: 'active',
    ...(expand.includes('presence') ? { presence: userPresence(store, id) } : {}),
    ...(expand.includes('routingStatus') ? { routingStatus: routingStatus(store, id) } : {}),
  }));
  const listing = { entities, pageSize: Math.max(25, ids.length), pageNumber: 1, total: ids.length, pageCount: 1 };
  return send(api, 200, listing);
}

/** `UserPresence`: the last published presence event of the user, or Offline since the emulator started. */
function userPresence(store: ResyncStore, userId: string): Record<string, unknown> {
  const body = store.presence.get(userId);
  const definition = isRecord(body?.presenceDefinition)
    ? body.presenceDefinition
    : { id: 'offline-definition', systemPresence: 'Offline' };
  return {
    id: typeof body?.id === 'string' ? body.id : userId,
    source: typeof body?.source === 'string' ? body.source : 'PURECLOUD',
    presenceDefinition: definition,
    message: typeof body?.message === 'string' ? body.message : '',
    modifiedDate: typeof body?.modifiedDate === 'string' ? body.modifiedDate : new Date(store.createdAt).toISOString(),
    primary: true,
  };
}

function routingStatus(store: ResyncStore, userId: string): Record<string, unknown> {
  const status = store.routing.get(userId) ?? {
    status: 'OFF_QUEUE',
    startTime: new Date(store.createdAt).toISOString(),
  };
  return { userId, ...status };
}

/** `Conversation`: the last published body plus the REST-only fields (startTime, endTime, state, selfUri). */
function conversation(api: ApiRequest, store: ResyncStore, rawId: string): true {
  countRead(api.ctx, 'conversation');
  const id = decodeURIComponent(rawId);
  const record = store.conversations.get(id);
  if (!record) return send(api, 404, errorBody(404, 'not.found', `Conversation ${id} not found.`));
  return send(api, 200, {
    ...record.body,
    id,
    startTime: new Date(record.startAt).toISOString(),
    ...(record.endAt === undefined ? {} : { endTime: new Date(record.endAt).toISOString() }),
    state: record.endAt === undefined ? 'connected' : 'disconnected',
    selfUri: `/api/v2/conversations/${id}`,
  });
}
