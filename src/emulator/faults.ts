import { assertNever } from '../core/errors.ts';
import { TOKEN_REVOKED_PREFIX } from '../genesys/wire.ts';
import { evictChannel, expireChannel, removeChannel, sendSocketClosing } from './channels.ts';
import type { ChannelRecord, EmulatorContext, SocketRecord } from './context.ts';
import type { FaultResult, FaultSpec } from './fault-spec.ts';
import { systemFrame } from './frames.ts';
import { isSendableCloseCode } from './options.ts';
import { closeSocket, dropSocket, sendFrame, targetChannels } from './sockets.ts';
import { findToken } from './tokens.ts';

/** Thrown for a fault that cannot be applied as asked; the control API turns it into a 400. */
export class FaultInputError extends Error {}

const DEFAULT_MALFORMED = '{"topicName":"v2.users';

/** Applies one fault (genesys-api.md §7 "Fault-injection hooks"). */
export function applyFault(ctx: EmulatorContext, spec: FaultSpec): FaultResult {
  switch (spec.kind) {
    case 'drop':
      return eachSocket(ctx, spec, (sock) => dropSocket(ctx, sock));
    case 'close':
      return closeFault(ctx, spec);
    case 'socket-closing':
      return eachSocket(ctx, spec, (sock) => socketClosing(ctx, sock, spec));
    case 'zombie':
      return eachSocket(ctx, spec, (sock) => void (sock.zombie = true));
    case 'expire-channel':
      return eachChannel(ctx, spec, (channel) => expireChannel(ctx, channel));
    case 'evict-channel':
      return eachChannel(ctx, spec, (channel) => evictChannel(ctx, channel));
    case 'revoke-token':
      return revokeTokens(ctx, spec);
    case 'reject-token':
      ctx.pending.rejectTokens = spec.count ?? 1;
      return { applied: ctx.pending.rejectTokens };
    case 'rate-limit':
      return armHttp(ctx, 'rateLimit', spec, { retryAfterS: spec.retryAfterS ?? 1 });
    case 'server-error':
      return armHttp(ctx, 'serverError', spec, { status: spec.status ?? 503 });
    case 'malformed-frame':
      return eachSocket(ctx, spec, (sock) => sock.ws.send(spec.payload ?? DEFAULT_MALFORMED));
    case 'pong-delay':
      return eachSocket(ctx, spec, (sock) => void (sock.pongDelayMs = spec.delayMs ?? 0));
    case 'pong-drop':
      return eachSocket(ctx, spec, (sock) => void (sock.pongDropRemaining = spec.count ?? Infinity));
    case 'ws-subscribe-error':
      ctx.pending.wsSubscribeErrors = spec.count ?? 1;
      return { applied: ctx.pending.wsSubscribeErrors };
    case 'deny-topic':
      return denyTopic(ctx, spec);
    case 'clear':
      return clearFaults(ctx, spec);
    default:
      return assertNever(spec.kind, 'fault kind');
  }
}

function eachChannel(ctx: EmulatorContext, spec: FaultSpec, act: (channel: ChannelRecord) => void): FaultResult {
  const targets = targetChannels(ctx, spec.channelId);
  for (const channel of targets) act(channel);
  return { applied: targets.length };
}

function eachSocket(ctx: EmulatorContext, spec: FaultSpec, act: (sock: SocketRecord) => void): FaultResult {
  let applied = 0;
  for (const channel of targetChannels(ctx, spec.channelId)) {
    if (!channel.socket) continue;
    act(channel.socket);
    applied++;
  }
  return { applied };
}

function closeFault(ctx: EmulatorContext, spec: FaultSpec): FaultResult {
  const code = spec.code ?? 1001;
  // 1006 is what a client sees when the connection just dies, so "close with 1006" means drop.
  if (code === 1006) return eachSocket(ctx, spec, (sock) => dropSocket(ctx, sock));
  if (!isSendableCloseCode(code)) throw new FaultInputError(`Close code ${code} cannot be sent in a close frame.`);
  const reason = spec.reason ?? 'idle timeout';
  // RFC 6455 §5.5: a control frame payload is at most 125 bytes, two of which carry the code.
  if (Buffer.byteLength(reason) > 123) throw new FaultInputError('Close reason must be at most 123 bytes.');
  return eachSocket(ctx, spec, (sock) => closeSocket(ctx, sock, code, reason));
}

/** Warns, then closes after the lead if that socket is still the channel's; the channel survives. */
function socketClosing(ctx: EmulatorContext, sock: SocketRecord, spec: FaultSpec): void {
  const warn = spec.warn ?? true;
  if (warn) sendSocketClosing(ctx, sock.channel);
  const leadMs = spec.leadMs ?? (warn ? ctx.options.socketClosingLeadMs : 0);
  ctx.options.clock.clearTimeout(sock.closingTimer);
  sock.closingTimer = ctx.options.clock.setTimeout(() => {
    sock.closingTimer = undefined;
    if (sock.channel.socket === sock) closeSocket(ctx, sock, 1001, 'going away');
  }, leadMs);
}

function revokeTokens(ctx: EmulatorContext, spec: FaultSpec): FaultResult {
  const tokens =
    spec.token !== undefined ? [findToken(ctx, spec.token)].filter((t) => t !== undefined) : [...ctx.tokens.values()];
  const revoked = tokens.filter(
    (token) => !token.revoked && (spec.clientId === undefined || token.clientId === spec.clientId),
  );
  const ids = new Set(revoked.map((token) => token.id));
  for (const token of revoked) token.revoked = true;
  for (const channel of [...ctx.channels.values()]) {
    if (!ids.has(channel.ownerTokenId)) continue;
    if (channel.socket) {
      const frame = systemFrame(`${TOKEN_REVOKED_PREFIX}${channel.clientId}`, {
        channelId: channel.id,
        systemTopicType: 'token_revoked',
        oauthClientId: channel.clientId,
        reason: 'user_tokens_revoked',
        message: 'The access token that created this channel was revoked.',
      });
      if (sendFrame(channel.socket, frame)) ctx.counters.systemMessages++;
      closeSocket(ctx, channel.socket, 1000, 'token revoked');
    }
    removeChannel(ctx, channel);
  }
  return { applied: revoked.length };
}

function armHttp(
  ctx: EmulatorContext,
  which: 'rateLimit' | 'serverError',
  spec: FaultSpec,
  extra: { retryAfterS: number } | { status: number },
): FaultResult {
  const scope = { remaining: spec.count ?? 1, target: spec.target ?? 'api', match: spec.match };
  if (which === 'rateLimit' && 'retryAfterS' in extra) ctx.pending.rateLimit = { ...scope, ...extra };
  if (which === 'serverError' && 'status' in extra) {
    if (extra.status < 500 || extra.status > 599) throw new FaultInputError('server-error "status" must be 5xx.');
    ctx.pending.serverError = { ...scope, ...extra };
  }
  return { applied: scope.remaining };
}

function denyTopic(ctx: EmulatorContext, spec: FaultSpec): FaultResult {
  let applied = 0;
  for (const client of ctx.clients.values()) {
    if (spec.clientId !== undefined && client.id !== spec.clientId) continue;
    client.denied.add(spec.pattern ?? '');
    applied++;
  }
  return { applied };
}

/** Heals sockets (zombie, pong faults) and disarms pending HTTP and subscribe faults. */
function clearFaults(ctx: EmulatorContext, spec: FaultSpec): FaultResult {
  ctx.pending.rateLimit.remaining = 0;
  ctx.pending.serverError.remaining = 0;
  ctx.pending.wsSubscribeErrors = 0;
  ctx.pending.rejectTokens = 0;
  return eachSocket(ctx, spec, (sock) => {
    sock.zombie = false;
    sock.pongDelayMs = 0;
    sock.pongDropRemaining = 0;
  });
}
