import { errorMessage, RelayError } from '../core/errors.ts';
import { classifyClose, classifyFailure } from './close-policy.ts';
import { defaultSessionConfig, type SessionConfig } from './config.ts';
import {
  enterBackoff,
  enterClosed,
  enterConnecting,
  enterCreating,
  enterOpen,
  enterSubscribing,
  noop,
  resumeAfterBackoff,
  timeoutError,
  type Step,
  type Transition,
} from './enter.ts';
import type { SessionEffect, SessionEvent } from './events.ts';
import { stepOpen } from './transition-open.ts';
import { stepRollingOver } from './transition-rollover.ts';
import type { SessionState } from './state.ts';

export type { Transition } from './enter.ts';

type StateOf<K extends SessionState['kind']> = Extract<SessionState, { kind: K }>;

/**
 * The pure session reducer: (state, event, now) → next state + effects for the shell to run. It never throws and
 * gives every (state, event) pair an outcome; events that do not apply (stale generations, late replies, timers
 * of a state already left) are a no-op with a debug diagnostic.
 */
export function transition(
  state: SessionState,
  event: SessionEvent,
  nowMs: number,
  config: SessionConfig = defaultSessionConfig,
): Transition {
  try {
    return step(state, event, { nowMs, config });
  } catch (err) {
    // A bug here must not take the relay down (cf. Slack #1521); keep the state and report it.
    return {
      state,
      effects: [
        {
          type: 'diagnostic',
          level: 'error',
          message: `reducer failed: ${errorMessage(err)}`,
          data: { event: event.type },
        },
      ],
    };
  }
}

function step(state: SessionState, event: SessionEvent, s: Step): Transition {
  if (event.type === 'closeRequested') return beginClose(state, s);
  switch (state.kind) {
    case 'idle':
      return event.type === 'started' ? enterCreating(s, state.generation, 0, false) : noop(state, event.type);
    case 'creatingChannel':
      return stepCreating(state, event, s);
    case 'subscribing':
      return stepSubscribing(state, event, s);
    case 'connecting':
      return stepConnecting(state, event, s);
    case 'open':
      return stepOpen(state, event, s);
    case 'checkingChannel':
      return stepChecking(state, event, s);
    case 'rollingOver':
      return stepRollingOver(state, event, s);
    case 'backingOff':
      return event.type === 'timerFired' && event.timer === 'retry' && event.at === state.retryAt
        ? resumeAfterBackoff(s, state)
        : noop(state, event.type);
    case 'closing':
      return stepClosing(state, event);
    case 'closed':
      return noop(state, `${event.type} after close`);
  }
}

function stepCreating(state: StateOf<'creatingChannel'>, event: SessionEvent, s: Step): Transition {
  const { generation, attempt } = state;
  if (event.type === 'channelCreated') return enterSubscribing(s, generation, event.channel, attempt);
  if (event.type === 'channelCreateFailed') {
    if (classifyFailure(event.error) === 'fatal') return enterClosed(generation, event.error);
    return enterBackoff(s, generation, attempt + 1, { next: 'createChannel' }, event.error, event.jitter);
  }
  if (isDeadline(event, state.deadlineAt)) {
    const error = timeoutError('channel creation', state.deadlineAt, s.nowMs);
    return withAbort(enterBackoff(s, generation, attempt + 1, { next: 'createChannel' }, error, 0.5));
  }
  return noop(state, event.type);
}

function stepSubscribing(state: StateOf<'subscribing'>, event: SessionEvent, s: Step): Transition {
  const { generation, attempt, channel } = state;
  if (event.type === 'subscribed' && event.channelId === channel.id) {
    return enterConnecting(s, generation, channel, attempt, 0);
  }
  if (event.type === 'subscribeFailed' && event.channelId === channel.id) {
    const action = classifyFailure(event.error);
    if (action === 'fatal') return enterClosed(generation, event.error);
    const target =
      action === 'newChannel' ? { next: 'createChannel' as const } : { next: 'subscribe' as const, channel };
    return enterBackoff(s, generation, attempt + 1, target, event.error, event.jitter);
  }
  if (isDeadline(event, state.deadlineAt)) {
    const error = timeoutError('subscription', state.deadlineAt, s.nowMs);
    return withAbort(enterBackoff(s, generation, attempt + 1, { next: 'subscribe', channel }, error, 0.5));
  }
  return noop(state, event.type);
}

function stepConnecting(state: StateOf<'connecting'>, event: SessionEvent, s: Step): Transition {
  const { generation, attempt, channel } = state;
  if (event.type === 'socketOpened' && event.generation === generation) {
    return enterOpen(s, generation, channel, attempt);
  }
  if (event.type === 'socketClosed' && event.generation === generation) {
    const cause = new RelayError('GENESYS_RELAY_ERR_NETWORK', `socket failed to open (${event.code} ${event.reason})`, {
      retryable: true,
    });
    return connectFailed(
      state,
      s,
      classifyClose(event.code, event.reason, event.httpStatus) === 'newChannel',
      cause,
      event.jitter,
    );
  }
  if (isDeadline(event, state.deadlineAt)) {
    const result = connectFailed(state, s, false, timeoutError('socket upgrade', state.deadlineAt, s.nowMs), 0.5);
    return { state: result.state, effects: [{ type: 'terminateSocket', generation }, ...result.effects] };
  }
  return noop(state, event.type);
}

/** Escalation ladder: retry the same channel a few times, then give up on it and create a new one. */
function connectFailed(
  state: StateOf<'connecting'>,
  s: Step,
  channelGone: boolean,
  cause: RelayError,
  jitter: number,
): Transition {
  const failures = state.sameChannelFailures + 1;
  const target =
    channelGone || failures >= s.config.maxSameChannelFailures
      ? { next: 'createChannel' as const }
      : { next: 'checkChannel' as const, channel: state.channel, sameChannelFailures: failures };
  return enterBackoff(s, state.generation, state.attempt + 1, target, cause, jitter);
}

function stepChecking(state: StateOf<'checkingChannel'>, event: SessionEvent, s: Step): Transition {
  const { generation, attempt, channel, sameChannelFailures } = state;
  if (event.type === 'channelChecked' && event.channelId === channel.id) {
    return event.exists
      ? enterConnecting(s, generation, channel, attempt, sameChannelFailures)
      : enterCreating(s, generation, attempt, true);
  }
  if (event.type === 'channelCheckFailed' && event.channelId === channel.id) {
    const action = classifyFailure(event.error);
    if (action === 'fatal') return enterClosed(generation, event.error);
    if (action === 'newChannel') return enterCreating(s, generation, attempt, true);
    const target = { next: 'checkChannel' as const, channel, sameChannelFailures };
    return enterBackoff(s, generation, attempt + 1, target, event.error, event.jitter);
  }
  if (isDeadline(event, state.deadlineAt)) {
    const error = timeoutError('channel check', state.deadlineAt, s.nowMs);
    const target = { next: 'checkChannel' as const, channel, sameChannelFailures };
    return withAbort(enterBackoff(s, generation, attempt + 1, target, error, 0.5));
  }
  return noop(state, event.type);
}

/** Graceful close of whatever sockets exist; states without one close at once. */
function beginClose(state: SessionState, s: Step): Transition {
  if (state.kind === 'closing' || state.kind === 'closed') return noop(state, 'close already requested');
  const sockets = socketsOf(state);
  if (sockets.length === 0) return enterClosed(state.generation, undefined);
  const deadlineAt = s.nowMs + s.config.closeTimeoutMs;
  const effects: SessionEffect[] = [{ type: 'abortRequests' }];
  for (const generation of sockets)
    effects.push({ type: 'closeSocket', generation, code: 1000, reason: 'client closing' });
  effects.push({ type: 'armTimer', timer: 'deadline', at: deadlineAt });
  return { state: { kind: 'closing', generation: state.generation, sockets, deadlineAt }, effects };
}

function stepClosing(state: StateOf<'closing'>, event: SessionEvent): Transition {
  if (event.type === 'socketClosed' && state.sockets.includes(event.generation)) {
    const sockets = state.sockets.filter((g) => g !== event.generation);
    if (sockets.length === 0) return enterClosed(state.generation, undefined);
    return { state: { ...state, sockets }, effects: [] };
  }
  if (isDeadline(event, state.deadlineAt)) {
    // The close handshake stalled (a dead peer never answers): terminate instead of waiting (discord.js #7450).
    const effects: SessionEffect[] = state.sockets.map((generation) => ({ type: 'terminateSocket', generation }));
    return enterClosed(state.generation, undefined, effects);
  }
  return noop(state, event.type);
}

/** Generations of the sockets a state holds (open, connecting, or both during a rollover). */
export function socketsOf(state: SessionState): number[] {
  switch (state.kind) {
    case 'connecting':
    case 'open':
      return [state.generation];
    case 'rollingOver':
      return state.phase === 'connecting' ? [state.from.generation, state.generation] : [state.from.generation];
    case 'closing':
      return [...state.sockets];
    case 'idle':
    case 'creatingChannel':
    case 'subscribing':
    case 'checkingChannel':
    case 'backingOff':
    case 'closed':
      return [];
  }
}

export function isDeadline(event: SessionEvent, deadlineAt: number): boolean {
  return event.type === 'timerFired' && event.timer === 'deadline' && event.at === deadlineAt;
}

function withAbort(t: Transition): Transition {
  return { state: t.state, effects: [{ type: 'abortRequests' }, ...t.effects] };
}
