import { computeBackoffMs } from '../core/backoff.ts';
import { RelayError } from '../core/errors.ts';
import { classifyClose, classifyControl, classifyFailure } from './close-policy.ts';
import {
  enterBackoff,
  enterChecking,
  enterClosed,
  enterCreating,
  noop,
  renewTime,
  tokenExpiring,
  type Step,
  type Transition,
} from './enter.ts';
import type { SessionEffect, SessionEvent } from './events.ts';
import type { RolloverReason, SessionState } from './state.ts';

type Open = Extract<SessionState, { kind: 'open' }>;

/** `open`: delivering. Watches for loss (unplanned → reconnect) and for reasons to roll over (planned). */
export function stepOpen(state: Open, event: SessionEvent, s: Step): Transition {
  const mine = 'generation' in event && event.generation === state.generation;
  switch (event.type) {
    case 'socketClosed':
      if (!mine) return noop(state, 'close of a retired socket', { generation: event.generation });
      return lostSocket(state, s, classifyClose(event.code, event.reason, event.httpStatus) === 'newChannel', []);
    case 'socketStale':
      if (!mine) return noop(state, 'stale report of a retired socket');
      return lostSocket(state, s, false, [{ type: 'terminateSocket', generation: state.generation }]);
    case 'controlReceived':
      return mine ? onControl(state, event.frame, s) : noop(state, 'control frame of a retired socket');
    case 'timerFired':
      if (event.timer !== 'renew' || event.at !== state.renewAt) return noop(state, `stale ${event.timer} timer`);
      if (state.retryRollover) return startRollover(state, s, state.retryRollover);
      return tokenExpiring(s, state.channel) ? startRollover(state, s, 'tokenExpiring') : requestPut(state);
    case 'topicsChanged':
      return requestPut(state);
    case 'subscribed':
      return event.channelId === state.channel.id ? putSucceeded(state, s) : noop(state, 'late subscribe reply');
    case 'subscribeFailed':
      return event.channelId === state.channel.id
        ? putFailed(state, s, event.error, event.jitter)
        : noop(state, 'late subscribe failure');
    case 'rolloverRequested':
      return startRollover(state, s, 'requested');
    case 'started':
    case 'channelCreated':
    case 'channelCreateFailed':
    case 'channelChecked':
    case 'channelCheckFailed':
    case 'socketOpened':
    case 'closeRequested':
      return noop(state, event.type);
  }
}

/**
 * Unplanned loss. The first retry is immediate (a dropped socket usually comes straight back), unless the socket
 * was flapping, in which case the failure count carries over and backoff applies.
 */
function lostSocket(state: Open, s: Step, channelGone: boolean, extra: SessionEffect[]): Transition {
  const stable = s.nowMs - state.openedAt >= s.config.stableAfterMs;
  const attempt = stable ? 0 : state.attempt + 1;
  const cause = new RelayError('GENESYS_RELAY_ERR_NETWORK', 'socket lost', { retryable: true });
  let next: Transition;
  if (channelGone) next = enterCreating(s, state.generation, attempt, true);
  else if (attempt === 0) next = enterChecking(s, state.generation, state.channel, 0, 0);
  else {
    const target = { next: 'checkChannel' as const, channel: state.channel };
    next = enterBackoff(s, state.generation, attempt, target, cause, 0.5);
  }
  return { state: next.state, effects: [...extra, ...next.effects] };
}

function onControl(state: Open, frame: Parameters<typeof classifyControl>[0], s: Step): Transition {
  const action = classifyControl(frame);
  const closeOld: SessionEffect = { type: 'closeSocket', generation: state.generation, code: 1000, reason: frame.kind };
  switch (action) {
    case 'ignore':
      return noop(state, `control ${frame.kind}`);
    case 'rollover':
      return startRollover(state, s, 'socketClosing');
    case 'reconnect':
      return lostSocket(state, s, false, [closeOld]);
    case 'newChannel':
      return lostSocket(state, s, true, [closeOld]);
    case 'reauth':
      return lostSocket(state, s, true, [{ type: 'invalidateToken' }, closeOld]);
    case 'fatal':
      return enterClosed(state.generation, new RelayError('GENESYS_RELAY_ERR_PROTOCOL', `fatal ${frame.kind}`), [
        { type: 'terminateSocket', generation: state.generation },
      ]);
  }
}

/** One PUT at a time per channel (PUT replaces, so concurrent writers would race); later changes queue. */
function requestPut(state: Open): Transition {
  if (state.putInFlight) return { state: { ...state, putQueued: true }, effects: [] };
  return {
    state: { ...state, putInFlight: true, putQueued: false },
    effects: [{ type: 'subscribe', channel: state.channel }],
  };
}

/** A successful PUT also extends the channel: the server restarts its lifetime (genesys-api.md §1.6). */
function putSucceeded(state: Open, s: Step): Transition {
  const channel = { ...state.channel, expiresAt: s.nowMs + state.channel.ttlMs };
  const renewAt = renewTime(s, channel);
  const next: Open = { ...state, channel, renewAt, putInFlight: false, putQueued: false };
  const effects: SessionEffect[] = [{ type: 'armTimer', timer: 'renew', at: renewAt }];
  if (state.putQueued) {
    next.putInFlight = true;
    effects.push({ type: 'subscribe', channel });
  }
  return { state: next, effects };
}

/**
 * A failed renewal or topic change. Retry while the channel has time left; once retrying would run past the point
 * where renewal was due anyway, or the channel is gone, move to a fresh channel without breaking the stream.
 */
function putFailed(state: Open, s: Step, error: RelayError, jitter: number): Transition {
  const action = classifyFailure(error);
  const settled: Open = { ...state, putInFlight: false };
  if (action === 'fatal') {
    // e.g. a forbidden topic without ignoreErrors: the channel itself is fine, so keep streaming and report.
    return { state: { ...settled, putQueued: false }, effects: [{ type: 'reportError', error }] };
  }
  if (action === 'newChannel') return startRollover(settled, s, 'renewFailed');
  const retryAt =
    s.nowMs +
    Math.max(
      computeBackoffMs(3, s.config.backoff, () => jitter),
      error.retryAfterMs ?? 0,
    );
  const safeUntil = state.channel.expiresAt - Math.floor(state.channel.ttlMs * (1 - s.config.renewFraction) * 0.5);
  if (retryAt >= safeUntil) return startRollover(settled, s, 'renewFailed');
  return {
    state: { ...settled, renewAt: retryAt, putQueued: false },
    effects: [
      { type: 'armTimer', timer: 'renew', at: retryAt },
      { type: 'diagnostic', level: 'warn', message: 'subscription PUT failed; will retry', data: { retryAt } },
    ],
  };
}

/** Make-before-break: the old socket keeps delivering while the replacement is created, subscribed and opened. */
export function startRollover(state: Open, s: Step, reason: RolloverReason): Transition {
  const deadlineAt = s.nowMs + s.config.rolloverTimeoutMs;
  const from = { channel: state.channel, generation: state.generation };
  // Past the old token's rollover point, the replacement must not be bound to that same token (it would end with it).
  const mustOutlive = tokenExpiring(s, state.channel) ? state.channel.tokenExpiresAt : undefined;
  const create: SessionEffect = { type: 'createChannel', purpose: 'rollover' };
  if (mustOutlive !== undefined) create.tokenMustOutlive = mustOutlive;
  return {
    state: {
      kind: 'rollingOver',
      generation: state.generation,
      from,
      phase: 'creatingChannel',
      to: undefined,
      reason,
      deadlineAt,
    },
    effects: [
      create,
      { type: 'armTimer', timer: 'deadline', at: deadlineAt },
      { type: 'diagnostic', level: 'info', message: `rolling over (${reason})`, data: { channelId: state.channel.id } },
    ],
  };
}
