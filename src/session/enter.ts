import { computeBackoffMs } from '../core/backoff.ts';
import { TimeoutError, type RelayError } from '../core/errors.ts';
import type { SessionConfig } from './config.ts';
import type { SessionEffect } from './events.ts';
import type { SessionChannel, SessionState } from './state.ts';

/** Result of one reducer step. */
export interface Transition {
  state: SessionState;
  effects: SessionEffect[];
}

/** Shared context of one reducer step. */
export interface Step {
  nowMs: number;
  config: SessionConfig;
}

/** Entry actions of each state: the only places a waiting state and its deadline timer are created together. */

export function enterCreating(s: Step, generation: number, attempt: number, recovery: boolean): Transition {
  const deadlineAt = s.nowMs + s.config.createTimeoutMs;
  return {
    state: { kind: 'creatingChannel', generation, attempt, deadlineAt },
    effects: [
      { type: 'createChannel', purpose: recovery ? 'recovery' : 'initial' },
      { type: 'armTimer', timer: 'deadline', at: deadlineAt },
    ],
  };
}

export function enterSubscribing(s: Step, generation: number, channel: SessionChannel, attempt: number): Transition {
  const deadlineAt = s.nowMs + s.config.subscribeTimeoutMs;
  return {
    state: { kind: 'subscribing', generation, channel, attempt, deadlineAt },
    effects: [
      { type: 'subscribe', channel },
      { type: 'armTimer', timer: 'deadline', at: deadlineAt },
    ],
  };
}

/** Opens a socket with a fresh generation, so anything the previous socket still says is recognised as stale. */
export function enterConnecting(
  s: Step,
  previousGeneration: number,
  channel: SessionChannel,
  attempt: number,
  sameChannelFailures: number,
): Transition {
  const generation = previousGeneration + 1;
  const deadlineAt = s.nowMs + s.config.connectTimeoutMs;
  return {
    state: { kind: 'connecting', generation, channel, attempt, sameChannelFailures, deadlineAt },
    effects: [
      { type: 'openSocket', channel, generation },
      { type: 'armTimer', timer: 'deadline', at: deadlineAt },
    ],
  };
}

/** HEAD the channel before reconnecting; an expired one (or one whose creating token expired) is known gone. */
export function enterChecking(
  s: Step,
  generation: number,
  channel: SessionChannel,
  attempt: number,
  sameChannelFailures: number,
): Transition {
  if (channel.expiresAt <= s.nowMs || (channel.tokenExpiresAt ?? Infinity) <= s.nowMs) {
    return enterCreating(s, generation, attempt, true);
  }
  const deadlineAt = s.nowMs + s.config.checkTimeoutMs;
  return {
    state: { kind: 'checkingChannel', generation, channel, attempt, sameChannelFailures, deadlineAt },
    effects: [
      { type: 'checkChannel', channel },
      { type: 'armTimer', timer: 'deadline', at: deadlineAt },
    ],
  };
}

export function enterOpen(s: Step, generation: number, channel: SessionChannel, attempt: number): Transition {
  const renewAt = renewTime(s, channel);
  return {
    state: {
      kind: 'open',
      generation,
      channel,
      attempt,
      openedAt: s.nowMs,
      renewAt,
      putInFlight: false,
      putQueued: false,
      retryRollover: undefined,
    },
    effects: [{ type: 'armTimer', timer: 'renew', at: renewAt }],
  };
}

/**
 * When the renew timer fires next: to extend, after a fraction of the remaining lifetime (so a reconnect late in a
 * channel's life still renews), or to roll over, ahead of the creating token's expiry, whichever comes first.
 */
export function renewTime(s: Step, channel: SessionChannel): number {
  const remaining = Math.max(0, channel.expiresAt - s.nowMs);
  const extendAt = s.nowMs + Math.floor(remaining * s.config.renewFraction);
  const rollAt = tokenRolloverAt(s, channel);
  return rollAt === undefined ? extendAt : Math.max(s.nowMs, Math.min(extendAt, rollAt));
}

/** When to replace the channel because its creating token is about to expire; undefined if that token is unknown. */
export function tokenRolloverAt(s: Step, channel: SessionChannel): number | undefined {
  if (channel.tokenExpiresAt === undefined) return undefined;
  const leadMs = Math.min(s.config.tokenRolloverLeadMs, Math.floor((channel.tokenTtlMs ?? 0) / 2));
  return channel.tokenExpiresAt - leadMs;
}

/** True once the channel's creating token is within its rollover lead (or already expired). */
export function tokenExpiring(s: Step, channel: SessionChannel): boolean {
  const rollAt = tokenRolloverAt(s, channel);
  return rollAt !== undefined && s.nowMs >= rollAt;
}

export type RetryTarget =
  | { next: 'createChannel' }
  | { next: 'subscribe' | 'checkChannel'; channel: SessionChannel; sameChannelFailures?: number };

/** Waits before retrying: full-jitter backoff, never sooner than a server's Retry-After. */
export function enterBackoff(
  s: Step,
  generation: number,
  attempt: number,
  target: RetryTarget,
  cause: RelayError,
  jitter: number,
): Transition {
  const delayMs = Math.max(
    computeBackoffMs(attempt, s.config.backoff, () => jitter),
    cause.retryAfterMs ?? 0,
  );
  const retryAt = s.nowMs + delayMs;
  const channel = target.next === 'createChannel' ? undefined : target.channel;
  const sameChannelFailures = target.next === 'createChannel' ? 0 : (target.sameChannelFailures ?? 0);
  return {
    state: { kind: 'backingOff', generation, attempt, retryAt, next: target.next, channel, sameChannelFailures, cause },
    effects: [
      { type: 'armTimer', timer: 'retry', at: retryAt },
      { type: 'diagnostic', level: 'warn', message: `retrying ${target.next} in ${delayMs} ms`, data: { attempt } },
    ],
  };
}

/** Leaves `backingOff` for the step it was waiting to retry. */
export function resumeAfterBackoff(s: Step, state: Extract<SessionState, { kind: 'backingOff' }>): Transition {
  const { generation, attempt, channel } = state;
  if (state.next === 'createChannel' || channel === undefined) return enterCreating(s, generation, attempt, true);
  if (state.next === 'subscribe') return enterSubscribing(s, generation, channel, attempt);
  return enterChecking(s, generation, channel, attempt, state.sameChannelFailures);
}

export function enterClosed(
  generation: number,
  cause: RelayError | undefined,
  effects: SessionEffect[] = [],
): Transition {
  return { state: { kind: 'closed', generation, cause }, effects: [...effects, { type: 'abortRequests' }] };
}

export function timeoutError(what: string, deadlineAt: number, nowMs: number): TimeoutError {
  return new TimeoutError(`${what} did not finish by its deadline (${nowMs - deadlineAt} ms late)`);
}

export function noop(state: SessionState, why: string, data?: Record<string, unknown>): Transition {
  const effect: SessionEffect = { type: 'diagnostic', level: 'debug', message: `ignored: ${why}` };
  if (data !== undefined) effect.data = data;
  return { state, effects: [effect] };
}
