import type { ChannelBody, ChannelEntityListing, ChannelTopicEntityListing } from '../genesys/wire.ts';
import { notFound, type ApiRequest } from './api-request.ts';
import { availableTopics } from './available-topics.ts';
import { createChannel, findChannel } from './channels.ts';
import type { ChannelRecord, EmulatorContext } from './context.ts';
import { errorBody, sendEmpty, sendJson } from './http.ts';
import { applySubscriptions, listEntities, type SubscriptionMode } from './subscriptions.ts';

const PREFIX = '/api/v2/notifications/';
const CHANNEL_PATH = /^channels\/([^/]+)$/;
const SUBSCRIPTIONS_PATH = /^channels\/([^/]+)\/subscriptions$/;

/** Routes `/api/v2/notifications/…`; returns false when no route matches. */
export function handleNotifications(api: ApiRequest): boolean {
  const { pathname } = api.url;
  if (!pathname.startsWith(PREFIX)) return false;
  const rest = pathname.slice(PREFIX.length).replace(/\/$/, '');
  const method = api.req.method ?? 'GET';
  if (rest === 'channels' && method === 'POST') return createRoute(api);
  if (rest === 'channels' && method === 'GET') return listRoute(api);
  if (rest === 'availabletopics' && method === 'GET') {
    sendJson(api.res, 200, { entities: availableTopics() }, api.headers);
    return true;
  }
  const channelMatch = CHANNEL_PATH.exec(rest);
  if (channelMatch?.[1] && method === 'HEAD') {
    const channel = ownChannel(api, decodeURIComponent(channelMatch[1]));
    sendEmpty(api.res, channel ? 200 : 404, api.headers);
    return true;
  }
  const subsMatch = SUBSCRIPTIONS_PATH.exec(rest);
  if (subsMatch?.[1]) return subscriptionsRoute(api, decodeURIComponent(subsMatch[1]), method);
  return false;
}

export function channelBody(ctx: EmulatorContext, channel: ChannelRecord, host: string | undefined): ChannelBody {
  return {
    connectUri: `ws://${host ?? ctx.address}/channels/${channel.id}`,
    id: channel.id,
    expires: new Date(channel.expiresAt).toISOString(),
  };
}

function createRoute(api: ApiRequest): boolean {
  const channel = createChannel(api.ctx, api.token);
  sendJson(api.res, 200, channelBody(api.ctx, channel, api.req.headers.host), api.headers);
  return true;
}

/** `includechannels=oauthclient` lists the client's other channels without their ids (masking format [U]). */
function listRoute(api: ApiRequest): boolean {
  const scope = api.url.searchParams.get('includechannels') ?? 'token';
  const listing: ChannelEntityListing = { entities: [] };
  for (const channel of [...api.ctx.channels.values()]) {
    if (!findChannel(api.ctx, channel.id) || channel.clientId !== api.token.clientId) continue;
    if (channel.ownerTokenId === api.token.id) {
      listing.entities.push(channelBody(api.ctx, channel, api.req.headers.host));
    } else if (scope === 'oauthclient') {
      listing.entities.push({ expires: new Date(channel.expiresAt).toISOString() });
    }
  }
  sendJson(api.res, 200, listing, api.headers);
  return true;
}

/** A live channel of the caller's OAuth client; other clients' channels do not exist for it. */
function ownChannel(api: ApiRequest, id: string): ChannelRecord | undefined {
  const channel = findChannel(api.ctx, id);
  return channel && channel.clientId === api.token.clientId ? channel : undefined;
}

const MODES: Record<string, SubscriptionMode> = { PUT: 'replace', POST: 'add' };

function subscriptionsRoute(api: ApiRequest, channelId: string, method: string): boolean {
  if (!['GET', 'PUT', 'POST', 'DELETE'].includes(method)) return false;
  const channel = ownChannel(api, channelId);
  if (!channel) {
    notFound(api, `Channel ${channelId} not found.`);
    return true;
  }
  if (method === 'GET') {
    const listing: ChannelTopicEntityListing = { entities: listEntities(channel, false) };
    sendJson(api.res, 200, listing, api.headers);
    return true;
  }
  if (method === 'DELETE') {
    applySubscriptions(api.ctx, channel, [...channel.topics.keys()], 'remove', true);
    sendEmpty(api.res, 200, api.headers);
    return true;
  }
  const ids = topicIds(api.body);
  if (!ids) {
    sendJson(api.res, 400, errorBody(400, 'bad.request', 'Expected a JSON array of {"id": "<topic>"}.'), api.headers);
    return true;
  }
  const ignoreErrors = api.url.searchParams.get('ignoreErrors') === 'true';
  const outcome = applySubscriptions(api.ctx, channel, ids, MODES[method] ?? 'add', ignoreErrors);
  if (outcome.ok) sendJson(api.res, 200, { entities: outcome.entities }, api.headers);
  else sendJson(api.res, outcome.status, errorBody(outcome.status, outcome.code, outcome.message), api.headers);
  return true;
}

/** `[{"id": "v2.…"}, …]` → the ids; anything else → undefined. */
function topicIds(body: unknown): unknown[] | undefined {
  if (!Array.isArray(body)) return undefined;
  const ids: unknown[] = [];
  for (const item of body) {
    if (typeof item !== 'object' || item === null || !('id' in item)) return undefined;
    ids.push((item as { id: unknown }).id);
  }
  return ids;
}
