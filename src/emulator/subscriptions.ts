import type { ChannelTopic } from '../genesys/wire.ts';
import { touchChannel } from './channels.ts';
import type { ChannelRecord, EmulatorContext } from './context.ts';
import { deniedMessage, parseTopic, permissionFor, type ParsedTopic } from './topics.ts';

/** Subscription changes shared by the REST endpoints and the socket's subscribe frames. */

export type SubscriptionMode = 'replace' | 'add' | 'remove';

export type SubscriptionOutcome =
  | { ok: true; entities: ChannelTopic[]; accepted: string[] }
  | { ok: false; status: 400 | 403; code: string; message: string };

interface Screened {
  accepted: Map<string, string[]>;
  rejected: ChannelTopic[];
  firstDenied: string | undefined;
}

export function applySubscriptions(
  ctx: EmulatorContext,
  channel: ChannelRecord,
  ids: readonly unknown[],
  mode: SubscriptionMode,
  ignoreErrors: boolean,
): SubscriptionOutcome {
  const parsed: ParsedTopic[] = [];
  for (const id of ids) {
    const result = parseTopic(id);
    if (!result.ok) return { ok: false, status: 400, code: 'bad.request', message: result.message };
    parsed.push(result.topic);
  }
  if (mode === 'remove') {
    const next = new Map(channel.topics);
    for (const topic of parsed) next.delete(topic.id);
    commit(channel, next);
    return { ok: true, entities: listEntities(channel), accepted: parsed.map((topic) => topic.id) };
  }
  const screened = screen(ctx, channel.clientId, parsed);
  if (screened.firstDenied !== undefined && !ignoreErrors) {
    return {
      ok: false,
      status: 403,
      code: 'notification.unauthorized.topic',
      message: deniedMessage(screened.firstDenied),
    };
  }
  const next = mode === 'replace' ? new Map<string, string[]>() : new Map(channel.topics);
  for (const [id, expanded] of screened.accepted) next.set(id, expanded);
  if (next.size > ctx.options.maxTopicsPerChannel) {
    const message = `Channel subscriptions are limited to ${ctx.options.maxTopicsPerChannel} topics; the request would leave ${next.size}.`;
    return { ok: false, status: 400, code: 'bad.request', message };
  }
  commit(channel, next);
  touchChannel(ctx, channel);
  return {
    ok: true,
    entities: [...listEntities(channel), ...screened.rejected],
    accepted: [...screened.accepted.keys()],
  };
}

/** Splits each topic's expansions into permitted and refused ones, following the streaming-client tests (§1.4). */
function screen(ctx: EmulatorContext, clientId: string, parsed: readonly ParsedTopic[]): Screened {
  const denied = ctx.clients.get(clientId)?.denied;
  const result: Screened = { accepted: new Map(), rejected: [], firstDenied: undefined };
  for (const topic of parsed) {
    const refused = denied ? topic.expanded.filter((name) => denied.denies(name)) : [];
    const permitted = topic.expanded.filter((name) => !refused.includes(name));
    for (const name of refused) {
      result.firstDenied ??= name;
      result.rejected.push({
        id: name,
        state: 'Rejected',
        rejectionReason: deniedMessage(name),
        missingPermissions: [permissionFor(name)],
      });
    }
    if (permitted.length > 0) result.accepted.set(topic.id, permitted);
  }
  return result;
}

function commit(channel: ChannelRecord, next: Map<string, string[]>): void {
  channel.topics = next;
  channel.delivery = new Set([...next.values()].flat());
}

/** The channel's subscriptions; change responses add `state`, GET lists `{id, selfUri}` only (§7). */
export function listEntities(channel: ChannelRecord, withState = true): ChannelTopic[] {
  const selfUri = `/api/v2/notifications/channels/${channel.id}/subscriptions`;
  return [...channel.topics.keys()].map((id) => (withState ? { id, state: 'Permitted', selfUri } : { id, selfUri }));
}
