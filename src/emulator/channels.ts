import type { ChannelRecord, EmulatorContext, TokenRecord } from './context.ts';
import { NO_LONGER_SUBSCRIBED_PREFIX, SOCKET_CLOSING_TOPIC } from '../genesys/wire.ts';
import { systemFrame } from './frames.ts';
import { newChannelId } from './ids.ts';
import { closeSocket, sendFrame } from './sockets.ts';

/** Channel lifecycle: creation with the per-client cap, extension, expiry and removal. */

export function createChannel(ctx: EmulatorContext, token: TokenRecord): ChannelRecord {
  const owned = [...ctx.channels.values()].filter((channel) => channel.clientId === token.clientId);
  if (owned.length >= ctx.options.maxChannelsPerClient) {
    const victim = pickEvictionVictim(owned);
    if (victim) evictChannel(ctx, victim);
  }
  const now = ctx.options.clock.now();
  const channel: ChannelRecord = {
    id: newChannelId(),
    clientId: token.clientId,
    ownerTokenId: token.id,
    ownerTokenExpiresAt: token.expiresAt,
    createdAt: now,
    expiresAt: 0,
    lastUsedAt: now,
    topics: new Map(),
    delivery: new Set(),
    socket: undefined,
    sent: 0,
    dropped: 0,
    expiryTimer: undefined,
    warnTimer: undefined,
  };
  channel.expiresAt = lifetimeEnd(ctx, channel, now);
  ctx.channels.set(channel.id, channel);
  ctx.counters.channelsCreated++;
  armExpiry(ctx, channel);
  return channel;
}

/**
 * "Creating a 21st channel will remove the channel with oldest last used date. Channels without an active
 * connection will be removed first." (genesys-api.md §1.2)
 */
export function pickEvictionVictim(owned: readonly ChannelRecord[]): ChannelRecord | undefined {
  const byAge = [...owned].sort((a, b) => a.lastUsedAt - b.lastUsedAt || a.createdAt - b.createdAt);
  return byAge.find((channel) => channel.socket === undefined) ?? byAge[0];
}

/** Sends `no_longer_subscribed` to a connected socket, closes it and deletes the channel. */
export function evictChannel(ctx: EmulatorContext, channel: ChannelRecord): void {
  const sock = channel.socket;
  if (sock) {
    const frame = systemFrame(`${NO_LONGER_SUBSCRIBED_PREFIX}${channel.id}`, {
      channelId: channel.id,
      systemTopicType: 'no_longer_subscribed',
      oauthClientId: channel.clientId,
      reason: 'another_channel_subscribed',
      message: 'Channel was removed because another channel subscribed.',
    });
    if (sendFrame(sock, frame)) ctx.counters.systemMessages++;
    closeSocket(ctx, sock, 1000, 'channel evicted');
  }
  removeChannel(ctx, channel);
  ctx.counters.channelsEvicted++;
}

/** Closes the socket at expiry; the channel is gone, so HEAD answers 404 from now on. */
export function expireChannel(ctx: EmulatorContext, channel: ChannelRecord): void {
  if (channel.socket) closeSocket(ctx, channel.socket, 1000, 'channel expired');
  removeChannel(ctx, channel);
  ctx.counters.channelsExpired++;
}

export function removeChannel(ctx: EmulatorContext, channel: ChannelRecord): void {
  ctx.options.clock.clearTimeout(channel.expiryTimer);
  ctx.options.clock.clearTimeout(channel.warnTimer);
  channel.expiryTimer = undefined;
  channel.warnTimer = undefined;
  ctx.channels.delete(channel.id);
}

/** A subscribe extends the lifetime to now + TTL and marks the channel used (genesys-api.md §1.6). */
export function touchChannel(ctx: EmulatorContext, channel: ChannelRecord): void {
  const now = ctx.options.clock.now();
  channel.lastUsedAt = now;
  channel.expiresAt = lifetimeEnd(ctx, channel, now);
  armExpiry(ctx, channel);
}

function lifetimeEnd(ctx: EmulatorContext, channel: ChannelRecord, now: number): number {
  const end = now + ctx.options.channelTtlMs;
  return ctx.options.channelsEndWithToken ? Math.min(end, channel.ownerTokenExpiresAt) : end;
}

/** The live channel with this id, expiring it on the spot if its time has passed. */
export function findChannel(ctx: EmulatorContext, id: string): ChannelRecord | undefined {
  const channel = ctx.channels.get(id);
  if (channel && channel.expiresAt <= ctx.options.clock.now()) {
    expireChannel(ctx, channel);
    return undefined;
  }
  return channel;
}

/** Node timers overflow past 2^31-1 ms (~24.8 days); longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2_147_483_647;

function armExpiry(ctx: EmulatorContext, channel: ChannelRecord): void {
  const { clock, socketClosingLeadMs, sendSocketClosingOnExpiry } = ctx.options;
  clock.clearTimeout(channel.expiryTimer);
  clock.clearTimeout(channel.warnTimer);
  channel.warnTimer = undefined;
  const remainingMs = channel.expiresAt - clock.now();
  channel.expiryTimer = clock.setTimeout(
    () => {
      channel.expiryTimer = undefined;
      if (ctx.channels.get(channel.id) !== channel) return;
      if (clock.now() < channel.expiresAt) armExpiry(ctx, channel);
      else expireChannel(ctx, channel);
    },
    Math.min(remainingMs, MAX_TIMER_MS),
  );
  const warnInMs = remainingMs - socketClosingLeadMs;
  if (sendSocketClosingOnExpiry && warnInMs > 0 && warnInMs <= MAX_TIMER_MS) {
    channel.warnTimer = clock.setTimeout(() => {
      channel.warnTimer = undefined;
      if (channel.socket) sendSocketClosing(ctx, channel);
    }, warnInMs);
  }
}

export function sendSocketClosing(ctx: EmulatorContext, channel: ChannelRecord): boolean {
  if (!channel.socket) return false;
  const frame = systemFrame(SOCKET_CLOSING_TOPIC, {
    channelId: channel.id,
    systemTopicType: 'socket_closing',
    oauthClientId: channel.clientId,
    message: 'The WebSocket will be closed by the server for maintenance; reconnect now.',
  });
  const sent = sendFrame(channel.socket, frame);
  if (sent) ctx.counters.systemMessages++;
  return sent;
}
