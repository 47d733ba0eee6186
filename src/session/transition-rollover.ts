import { computeBackoffMs } from '../core/backoff.ts';
import { RelayError, TimeoutError } from '../core/errors.ts';
import { classifyControl, classifyFailure } from './close-policy.ts';
import { enterClosed, enterCreating, enterOpen, noop, timeoutError, type Step, type Transition } from './enter.ts';
import type { SessionEffect, SessionEvent } from './events.ts';
import type { SessionState } from './state.ts';

type Rolling = Extract<SessionState, { kind: 'rollingOver' }>;

/**
 * `rollingOver`: the old socket (`from`) keeps delivering while the replacement channel is created, subscribed and
 * connected. Only when the replacement is open is the old socket closed, so nothing published in between is lost;
 * events seen on both are removed by the client's dedupe window.
 */
export function stepRollingOver(state: Rolling, event: SessionEvent, s: Step): Transition {
  const fromOld = 'generation' in event && event.generation === state.from.generation;
  const fromNew = 'generation' in event && state.phase === 'connecting' && event.generation === state.generation;
  switch (event.type) {
    case 'channelCreated':
      if (state.phase !== 'creatingChannel') return noop(state, 'unexpected channel');
      return {
        state: { ...state, phase: 'subscribing', to: event.channel },
        effects: [{ type: 'subscribe', channel: event.channel }],
      };
    case 'subscribed':
      if (state.phase !== 'subscribing' || state.to?.id !== event.channelId) return noop(state, 'late subscribe reply');
      return {
        state: { ...state, phase: 'connecting', generation: state.generation + 1 },
        effects: [{ type: 'openSocket', channel: state.to, generation: state.generation + 1 }],
      };
    case 'socketOpened':
      return fromNew ? completeRollover(state, s) : noop(state, 'open of an unknown socket');
    case 'channelCreateFailed':
      return state.phase === 'creatingChannel'
        ? rolloverFailed(state, s, event.error, event.jitter)
        : noop(state, 'late failure');
    case 'subscribeFailed':
      return state.phase === 'subscribing' && state.to?.id === event.channelId
        ? rolloverFailed(state, s, event.error, event.jitter)
        : noop(state, 'late subscribe failure');
    case 'socketClosed':
      if (fromOld) return oldLost(state, s, []);
      if (fromNew)
        return rolloverFailed(state, s, socketError(`replacement socket closed (${event.code})`), event.jitter);
      return noop(state, 'close of a retired socket');
    case 'socketStale':
      return fromOld
        ? oldLost(state, s, [{ type: 'terminateSocket', generation: state.from.generation }])
        : noop(state, 'stale');
    case 'controlReceived':
      return fromOld ? onOldControl(state, event.frame, s) : noop(state, 'control frame during rollover');
    case 'timerFired':
      if (event.timer !== 'deadline' || event.at !== state.deadlineAt) return noop(state, `stale ${event.timer} timer`);
      return rolloverFailed(state, s, timeoutError('rollover', state.deadlineAt, s.nowMs), 0.5);
    case 'topicsChanged':
    case 'rolloverRequested':
    case 'started':
    case 'channelChecked':
    case 'channelCheckFailed':
    case 'closeRequested':
      // Topic changes are re-synced by the shell once the replacement is open.
      return noop(state, event.type);
  }
}

function completeRollover(state: Rolling, s: Step): Transition {
  const to = state.to;
  if (to === undefined) return noop(state, 'no replacement channel');
  const opened = enterOpen(s, state.generation, to, 0);
  return {
    state: opened.state,
    effects: [
      { type: 'closeSocket', generation: state.from.generation, code: 1000, reason: 'rolled over' },
      { type: 'rolledOver', from: state.from, to: { channel: to, generation: state.generation }, reason: state.reason },
      ...opened.effects,
    ],
  };
}

/**
 * The replacement could not be made. Keep the old socket (still delivering) and try again later via the renew
 * timer; if the server then closes the old socket, the unplanned path (HEAD, reconnect) takes over.
 */
function rolloverFailed(state: Rolling, s: Step, error: RelayError, jitter: number): Transition {
  const effects: SessionEffect[] = [{ type: 'abortRequests' }];
  if (state.phase === 'connecting') effects.push({ type: 'terminateSocket', generation: state.generation });
  if (classifyFailure(error) === 'fatal') {
    effects.push({ type: 'terminateSocket', generation: state.from.generation });
    return enterClosed(state.generation, error, effects);
  }
  const opened = enterOpen(s, state.from.generation, state.from.channel, 0);
  if (opened.state.kind !== 'open') return opened;
  // A timed-out rollover may have cut short a Retry-After wait inside the REST client; wait as long again.
  const floorMs = error instanceof TimeoutError ? s.config.rolloverTimeoutMs : 0;
  const backoffMs = computeBackoffMs(3, s.config.backoff, () => jitter);
  const retryAt = s.nowMs + Math.max(backoffMs, error.retryAfterMs ?? 0, floorMs);
  effects.push(
    { type: 'diagnostic', level: 'warn', message: `rollover failed: ${error.message}`, data: { retryAt } },
    { type: 'armTimer', timer: 'renew', at: retryAt },
  );
  // A renewal failure is retried as a renewal (it may simply succeed); the others need a new channel.
  const retryRollover = state.reason === 'renewFailed' ? undefined : state.reason;
  return { state: { ...opened.state, renewAt: retryAt, retryRollover }, effects };
}

/** The old socket died before the replacement was ready: carry on with the replacement as an unplanned recovery. */
function oldLost(state: Rolling, s: Step, extra: SessionEffect[]): Transition {
  const common = { generation: state.generation, attempt: 0, deadlineAt: state.deadlineAt };
  switch (state.phase) {
    case 'creatingChannel':
      return { state: { kind: 'creatingChannel', ...common }, effects: extra };
    case 'subscribing':
      if (state.to === undefined) return { state: enterCreating(s, state.generation, 0, true).state, effects: extra };
      return { state: { kind: 'subscribing', ...common, channel: state.to }, effects: extra };
    case 'connecting':
      if (state.to === undefined) return { state: enterCreating(s, state.generation, 0, true).state, effects: extra };
      return { state: { kind: 'connecting', ...common, channel: state.to, sameChannelFailures: 0 }, effects: extra };
  }
}

function onOldControl(state: Rolling, frame: Parameters<typeof classifyControl>[0], s: Step): Transition {
  const action = classifyControl(frame);
  const closeOld: SessionEffect = {
    type: 'closeSocket',
    generation: state.from.generation,
    code: 1000,
    reason: frame.kind,
  };
  switch (action) {
    case 'ignore':
    case 'rollover':
      return noop(state, `control ${frame.kind} during rollover`);
    case 'reconnect':
    case 'newChannel':
      return oldLost(state, s, [closeOld]);
    case 'reauth':
      return oldLost(state, s, [{ type: 'invalidateToken' }, closeOld]);
    case 'fatal':
      return enterClosed(state.generation, new RelayError('GENESYS_RELAY_ERR_PROTOCOL', `fatal ${frame.kind}`), [
        { type: 'terminateSocket', generation: state.from.generation },
      ]);
  }
}

function socketError(message: string): RelayError {
  return new RelayError('GENESYS_RELAY_ERR_NETWORK', message, { retryable: true });
}
