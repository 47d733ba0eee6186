import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, AuthError, NetworkError } from '../../../src/core/errors.ts';
import { defaultSessionConfig, type SessionConfig } from '../../../src/session/config.ts';
import type { SessionEffect, SessionEvent } from '../../../src/session/events.ts';
import type { SessionChannel, SessionState } from '../../../src/session/state.ts';
import { socketsOf, transition } from '../../../src/session/transition.ts';

const config: SessionConfig = { ...defaultSessionConfig, backoff: { baseMs: 100, maxMs: 1000, firstImmediate: true } };
const T0 = 1_000_000;
const chA: SessionChannel = { id: 'A', connectUri: 'ws://x/channels/A', expiresAt: T0 + 100_000, ttlMs: 100_000 };
const chB: SessionChannel = { id: 'B', connectUri: 'ws://x/channels/B', expiresAt: T0 + 100_000, ttlMs: 100_000 };

/** Runs events through the reducer from `state`, returning the final state and every effect. */
function run(
  state: SessionState,
  events: Array<[number, SessionEvent]>,
): { state: SessionState; effects: SessionEffect[] } {
  const effects: SessionEffect[] = [];
  let current = state;
  for (const [at, event] of events) {
    const t = transition(current, event, at, config);
    current = t.state;
    effects.push(...t.effects);
  }
  return { state: current, effects };
}

const types = (effects: SessionEffect[]): string[] => effects.filter((e) => e.type !== 'diagnostic').map((e) => e.type);

function openOn(channel: SessionChannel, generation = 1, at = T0): SessionState {
  return {
    kind: 'open',
    generation,
    channel,
    attempt: 0,
    openedAt: at,
    renewAt: at + 80_000,
    putInFlight: false,
    putQueued: false,
    retryRollover: undefined,
  };
}

describe('transition: happy path', () => {
  it('idle → creatingChannel → subscribing → connecting → open', () => {
    const r = run({ kind: 'idle', generation: 0 }, [
      [T0, { type: 'started' }],
      [T0 + 1, { type: 'channelCreated', channel: chA }],
      [T0 + 2, { type: 'subscribed', channelId: 'A' }],
      [T0 + 3, { type: 'socketOpened', generation: 1 }],
    ]);
    assert.equal(r.state.kind, 'open');
    assert.deepEqual(types(r.effects), [
      'createChannel',
      'armTimer',
      'subscribe',
      'armTimer',
      'openSocket',
      'armTimer',
      'armTimer',
    ]);
    if (r.state.kind === 'open') assert.equal(r.state.renewAt, T0 + 3 + Math.floor((100_000 - 3) * 0.8));
  });

  it('every waiting state arms a deadline timer', () => {
    for (const [state, event] of [
      [{ kind: 'idle', generation: 0 }, { type: 'started' }],
      [
        { kind: 'creatingChannel', generation: 0, attempt: 0, deadlineAt: T0 },
        { type: 'channelCreated', channel: chA },
      ],
      [
        { kind: 'subscribing', generation: 0, channel: chA, attempt: 0, deadlineAt: T0 },
        { type: 'subscribed', channelId: 'A' },
      ],
    ] as Array<[SessionState, SessionEvent]>) {
      const t = transition(state, event, T0, config);
      assert.ok('deadlineAt' in t.state, t.state.kind);
      const arm = t.effects.find((e) => e.type === 'armTimer');
      assert.deepEqual(arm, {
        type: 'armTimer',
        timer: 'deadline',
        at: (t.state as { deadlineAt: number }).deadlineAt,
      });
    }
  });
});

describe('transition: failures and backoff', () => {
  it('a fatal auth error closes with the cause', () => {
    const error = new AuthError('bad secret');
    const r = run({ kind: 'creatingChannel', generation: 0, attempt: 0, deadlineAt: T0 + 10 }, [
      [T0, { type: 'channelCreateFailed', error, jitter: 0.5 }],
    ]);
    assert.deepEqual(r.state, { kind: 'closed', generation: 0, cause: error });
  });

  it('a 429 backs off at least Retry-After, then retries the same step', () => {
    const error = new ApiError(429, 'slow', 'too.many.requests', { retryAfterMs: 2000 });
    const r = run({ kind: 'subscribing', generation: 0, channel: chA, attempt: 0, deadlineAt: T0 + 10 }, [
      [T0, { type: 'subscribeFailed', channelId: 'A', error, jitter: 0.99 }],
    ]);
    assert.equal(r.state.kind, 'backingOff');
    if (r.state.kind !== 'backingOff') return;
    assert.equal(r.state.retryAt, T0 + 2000);
    const early = transition(r.state, { type: 'timerFired', timer: 'retry', at: T0 + 1999 }, T0 + 1999, config);
    assert.equal(early.state.kind, 'backingOff', 'a timer for another instant is stale');
    const retried = transition(r.state, { type: 'timerFired', timer: 'retry', at: T0 + 2000 }, T0 + 2000, config);
    assert.equal(retried.state.kind, 'subscribing');
    assert.deepEqual(types(retried.effects), ['subscribe', 'armTimer']);
  });

  it('backoff grows with the attempt and uses the jitter sample', () => {
    const error = new NetworkError('reset');
    const at = (attempt: number, jitter: number): number => {
      const t = transition(
        { kind: 'creatingChannel', generation: 0, attempt, deadlineAt: T0 + 10 },
        { type: 'channelCreateFailed', error, jitter },
        T0,
        config,
      );
      return t.state.kind === 'backingOff' ? t.state.retryAt - T0 : -1;
    };
    assert.equal(at(0, 0.5), 50);
    assert.equal(at(1, 0.5), 100);
    assert.equal(at(10, 0.999), 999);
  });

  it('a subscribe 404 means the channel is gone: create a new one', () => {
    const error = new ApiError(404, 'gone', 'not.found');
    const r = run({ kind: 'subscribing', generation: 0, channel: chA, attempt: 0, deadlineAt: T0 + 10 }, [
      [T0, { type: 'subscribeFailed', channelId: 'A', error, jitter: 0 }],
    ]);
    assert.equal(r.state.kind === 'backingOff' && r.state.next, 'createChannel');
  });

  it('a deadline aborts the request and backs off', () => {
    const r = run(
      { kind: 'checkingChannel', generation: 1, channel: chA, attempt: 0, sameChannelFailures: 0, deadlineAt: T0 + 10 },
      [[T0 + 10, { type: 'timerFired', timer: 'deadline', at: T0 + 10 }]],
    );
    assert.equal(r.state.kind, 'backingOff');
    assert.equal(types(r.effects)[0], 'abortRequests');
  });

  it('repeated connect failures to one channel escalate to a new channel', () => {
    let state: SessionState = {
      kind: 'connecting',
      generation: 1,
      channel: chA,
      attempt: 0,
      sameChannelFailures: 0,
      deadlineAt: T0 + 10,
    };
    const nexts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const failed = transition(
        state,
        { type: 'socketClosed', generation: state.generation, code: 1006, reason: '', jitter: 0 },
        T0,
        config,
      );
      assert.equal(failed.state.kind, 'backingOff');
      if (failed.state.kind !== 'backingOff') return;
      nexts.push(failed.state.next);
      const resumed = transition(
        failed.state,
        { type: 'timerFired', timer: 'retry', at: failed.state.retryAt },
        T0,
        config,
      );
      state =
        resumed.state.kind === 'checkingChannel'
          ? transition(resumed.state, { type: 'channelChecked', channelId: 'A', exists: true }, T0, config).state
          : resumed.state;
    }
    assert.deepEqual(nexts, ['checkChannel', 'checkChannel', 'createChannel']);
  });

  it('a refused upgrade (404) goes straight to a new channel', () => {
    const state: SessionState = {
      kind: 'connecting',
      generation: 1,
      channel: chA,
      attempt: 0,
      sameChannelFailures: 0,
      deadlineAt: T0 + 10,
    };
    const t = transition(
      state,
      { type: 'socketClosed', generation: 1, code: 1006, reason: '', httpStatus: 404, jitter: 0 },
      T0,
      config,
    );
    assert.equal(t.state.kind === 'backingOff' && t.state.next, 'createChannel');
  });
});

describe('transition: unplanned loss while open', () => {
  it('a close HEADs the same channel immediately, then reconnects with a new generation', () => {
    const r = run(openOn(chA, 1, T0 - 60_000), [
      [T0, { type: 'socketClosed', generation: 1, code: 1006, reason: '', jitter: 0 }],
      [T0 + 1, { type: 'channelChecked', channelId: 'A', exists: true }],
    ]);
    assert.equal(r.state.kind, 'connecting');
    if (r.state.kind !== 'connecting') return;
    assert.equal(r.state.channel.id, 'A');
    assert.equal(r.state.generation, 2);
    assert.deepEqual(types(r.effects), ['checkChannel', 'armTimer', 'openSocket', 'armTimer']);
  });

  it('a 404 HEAD creates a new channel', () => {
    const r = run(openOn(chA, 1, T0 - 60_000), [
      [T0, { type: 'socketClosed', generation: 1, code: 1001, reason: 'idle', jitter: 0 }],
      [T0 + 1, { type: 'channelChecked', channelId: 'A', exists: false }],
    ]);
    assert.equal(r.state.kind, 'creatingChannel');
  });

  it('a stale (zombie) socket is terminated and recovered', () => {
    const r = run(openOn(chA, 1, T0 - 60_000), [
      [T0, { type: 'socketStale', generation: 1, reason: 'no heartbeat', jitter: 0 }],
    ]);
    assert.equal(r.state.kind, 'checkingChannel');
    assert.deepEqual(types(r.effects).slice(0, 1), ['terminateSocket']);
  });

  it('a flapping socket backs off instead of reconnecting at once', () => {
    const r = run(openOn(chA, 1, T0 - 10), [
      [T0, { type: 'socketClosed', generation: 1, code: 1006, reason: '', jitter: 0.5 }],
    ]);
    assert.equal(r.state.kind, 'backingOff');
  });

  it('events from an older socket are ignored', () => {
    const state = openOn(chA, 3);
    for (const event of [
      { type: 'socketClosed', generation: 2, code: 1006, reason: '', jitter: 0 },
      { type: 'socketStale', generation: 2, reason: 'x', jitter: 0 },
      { type: 'controlReceived', generation: 2, frame: { kind: 'socketClosing', body: {} } },
      { type: 'socketOpened', generation: 2 },
    ] as SessionEvent[]) {
      const t = transition(state, event, T0, config);
      assert.equal(t.state, state, event.type);
      assert.deepEqual(types(t.effects), []);
    }
  });

  it('eviction and revocation move to a new channel; revocation also invalidates the token', () => {
    const evicted = transition(
      openOn(chA),
      { type: 'controlReceived', generation: 1, frame: { kind: 'noLongerSubscribed', topic: 't', body: {} } },
      T0 + 60_000,
      config,
    );
    assert.equal(evicted.state.kind, 'creatingChannel');
    const revoked = transition(
      openOn(chA),
      { type: 'controlReceived', generation: 1, frame: { kind: 'tokenRevoked', topic: 't', body: {} } },
      T0 + 60_000,
      config,
    );
    assert.equal(revoked.state.kind, 'creatingChannel');
    assert.ok(types(revoked.effects).includes('invalidateToken'));
  });
});

describe('transition: renewal and topic changes', () => {
  it('the renew timer PUTs the topics; success extends the channel', () => {
    const r = run(openOn(chA), [
      [T0 + 80_000, { type: 'timerFired', timer: 'renew', at: T0 + 80_000 }],
      [T0 + 80_010, { type: 'subscribed', channelId: 'A' }],
    ]);
    assert.equal(r.state.kind, 'open');
    if (r.state.kind !== 'open') return;
    assert.equal(r.state.channel.expiresAt, T0 + 80_010 + 100_000);
    assert.deepEqual(types(r.effects), ['subscribe', 'armTimer']);
  });

  it('topic changes during a PUT are queued and sent after it', () => {
    const r = run(openOn(chA), [
      [T0, { type: 'topicsChanged' }],
      [T0, { type: 'topicsChanged' }],
      [T0 + 5, { type: 'subscribed', channelId: 'A' }],
    ]);
    assert.deepEqual(types(r.effects), ['subscribe', 'armTimer', 'subscribe']);
    assert.equal(r.state.kind === 'open' && r.state.putInFlight, true);
  });

  it('a forbidden topic is reported but keeps the channel streaming', () => {
    const error = new ApiError(403, 'forbidden', 'notification.unauthorized.topic');
    const r = run(openOn(chA), [
      [T0, { type: 'topicsChanged' }],
      [T0 + 5, { type: 'subscribeFailed', channelId: 'A', error, jitter: 0 }],
    ]);
    assert.equal(r.state.kind, 'open');
    assert.ok(types(r.effects).includes('reportError'));
  });

  it('a renewal that cannot be retried in time rolls over', () => {
    const error = new ApiError(503, 'down', 'service.unavailable', { retryAfterMs: 60_000 });
    const r = run(openOn(chA), [
      [T0 + 80_000, { type: 'timerFired', timer: 'renew', at: T0 + 80_000 }],
      [T0 + 80_001, { type: 'subscribeFailed', channelId: 'A', error, jitter: 0 }],
    ]);
    assert.equal(r.state.kind, 'rollingOver');
  });
});

describe('transition: make-before-break rollover', () => {
  it('socket_closing creates, subscribes and opens the replacement before closing the old socket', () => {
    const r = run(openOn(chA, 1), [
      [T0, { type: 'controlReceived', generation: 1, frame: { kind: 'socketClosing', body: {} } }],
      [T0 + 1, { type: 'channelCreated', channel: chB }],
      [T0 + 2, { type: 'subscribed', channelId: 'B' }],
      [T0 + 3, { type: 'socketOpened', generation: 2 }],
    ]);
    assert.equal(r.state.kind, 'open');
    if (r.state.kind !== 'open') return;
    assert.equal(r.state.channel.id, 'B');
    assert.equal(r.state.generation, 2);
    const t = types(r.effects);
    assert.deepEqual(t, [
      'createChannel',
      'armTimer',
      'subscribe',
      'openSocket',
      'closeSocket',
      'rolledOver',
      'armTimer',
    ]);
    const close = r.effects.find((e) => e.type === 'closeSocket');
    assert.deepEqual(close, { type: 'closeSocket', generation: 1, code: 1000, reason: 'rolled over' });
  });

  it('while rolling over, the old socket still counts as live', () => {
    const t = transition(openOn(chA, 1), { type: 'rolloverRequested' }, T0, config);
    assert.equal(t.state.kind, 'rollingOver');
    assert.deepEqual(socketsOf(t.state), [1]);
  });

  it('a failed rollover keeps the old socket and retries later', () => {
    const error = new ApiError(429, 'slow', 'too.many.requests', { retryAfterMs: 5000 });
    const r = run(openOn(chA, 1), [
      [T0, { type: 'rolloverRequested' }],
      [T0 + 1, { type: 'channelCreateFailed', error, jitter: 0 }],
    ]);
    assert.equal(r.state.kind, 'open');
    if (r.state.kind !== 'open') return;
    assert.equal(r.state.channel.id, 'A');
    assert.equal(r.state.renewAt, T0 + 1 + 5000);
  });

  it('a failed socket_closing rollover is retried as a rollover when the renew timer fires', () => {
    const error = new ApiError(429, 'slow', 'too.many.requests', { retryAfterMs: 2000 });
    const r = run(openOn(chA, 1), [
      [T0, { type: 'controlReceived', generation: 1, frame: { kind: 'socketClosing', body: {} } }],
      [T0 + 1, { type: 'channelCreateFailed', error, jitter: 0 }],
      [T0 + 2001, { type: 'timerFired', timer: 'renew', at: T0 + 2001 }],
    ]);
    assert.equal(r.state.kind, 'rollingOver');
    assert.equal(r.state.kind === 'rollingOver' && r.state.reason, 'socketClosing');
  });

  it('if the old socket closes first, the replacement continues as a recovery', () => {
    const r = run(openOn(chA, 1), [
      [T0, { type: 'rolloverRequested' }],
      [T0 + 1, { type: 'channelCreated', channel: chB }],
      [T0 + 2, { type: 'socketClosed', generation: 1, code: 1000, reason: '', jitter: 0 }],
      [T0 + 3, { type: 'subscribed', channelId: 'B' }],
      [T0 + 4, { type: 'socketOpened', generation: 2 }],
    ]);
    assert.equal(r.state.kind, 'open');
    assert.equal(r.state.kind === 'open' && r.state.channel.id, 'B');
  });

  it('a rollover that misses its deadline terminates the half-open replacement', () => {
    const r = run(openOn(chA, 1), [
      [T0, { type: 'rolloverRequested' }],
      [T0 + 1, { type: 'channelCreated', channel: chB }],
      [T0 + 2, { type: 'subscribed', channelId: 'B' }],
      [T0 + config.rolloverTimeoutMs, { type: 'timerFired', timer: 'deadline', at: T0 + config.rolloverTimeoutMs }],
    ]);
    assert.equal(r.state.kind, 'open');
    assert.ok(r.effects.some((e) => e.type === 'terminateSocket' && e.generation === 2));
    // It may have cut short a Retry-After wait, so the retry waits a whole rollover timeout.
    assert.equal(r.state.kind === 'open' && r.state.renewAt, T0 + 2 * config.rolloverTimeoutMs);
  });
});

describe('transition: token-bound channels', () => {
  // Channel A was created by a token with 20 s left: the rollover lead is min(300 s, 20 s / 2) = 10 s.
  const bound: SessionChannel = { ...chA, tokenExpiresAt: T0 + 40_000, tokenTtlMs: 20_000 };

  it('the renew timer is armed at the token rollover point when that comes before the renewal', () => {
    const r = run(
      { kind: 'connecting', generation: 1, channel: bound, attempt: 0, sameChannelFailures: 0, deadlineAt: T0 + 9 },
      [[T0, { type: 'socketOpened', generation: 1 }]],
    );
    assert.equal(r.state.kind === 'open' && r.state.renewAt, T0 + 30_000);
    assert.ok(r.effects.some((e) => e.type === 'armTimer' && e.timer === 'renew' && e.at === T0 + 30_000));
  });

  it('at the rollover point it rolls over make-before-break, asking for a token that outlives the old one', () => {
    const open = { ...(openOn(bound) as Extract<SessionState, { kind: 'open' }>), renewAt: T0 + 30_000 };
    const fresh: SessionChannel = { ...chB, tokenExpiresAt: T0 + 130_000, tokenTtlMs: 100_000 };
    const r = run(open, [
      [T0 + 30_000, { type: 'timerFired', timer: 'renew', at: T0 + 30_000 }],
      [T0 + 30_001, { type: 'channelCreated', channel: fresh }],
      [T0 + 30_002, { type: 'subscribed', channelId: 'B' }],
      [T0 + 30_003, { type: 'socketOpened', generation: 2 }],
    ]);
    const create = r.effects.find((e) => e.type === 'createChannel');
    assert.deepEqual(create, { type: 'createChannel', purpose: 'rollover', tokenMustOutlive: T0 + 40_000 });
    const rolled = r.effects.find((e) => e.type === 'rolledOver');
    assert.equal(rolled?.type === 'rolledOver' && rolled.reason, 'tokenExpiring');
    // The old socket is closed only once the replacement is open; the rollover had a deadline.
    assert.ok(types(r.effects).indexOf('closeSocket') > types(r.effects).indexOf('openSocket'));
    assert.ok(
      r.effects.some(
        (e) => e.type === 'armTimer' && e.timer === 'deadline' && e.at === T0 + 30_000 + config.rolloverTimeoutMs,
      ),
    );
    assert.equal(r.state.kind === 'open' && r.state.channel.id, 'B');
    // The new channel's own rollover point: 100 s token, lead 50 s.
    assert.equal(
      r.state.kind === 'open' && r.state.renewAt,
      Math.min(T0 + 130_000 - 50_000, T0 + 30_003 + Math.floor((T0 + 100_000 - T0 - 30_003) * 0.8)),
    );
  });

  it('a failed token rollover keeps the old socket and is retried as a token rollover', () => {
    const open = { ...(openOn(bound) as Extract<SessionState, { kind: 'open' }>), renewAt: T0 + 30_000 };
    const error = new ApiError(503, 'down', 'service.unavailable');
    const r = run(open, [
      [T0 + 30_000, { type: 'timerFired', timer: 'renew', at: T0 + 30_000 }],
      [T0 + 30_001, { type: 'channelCreateFailed', error, jitter: 0.5 }],
    ]);
    assert.equal(r.state.kind, 'open');
    if (r.state.kind !== 'open') return;
    assert.equal(r.state.channel.id, 'A');
    assert.equal(r.state.retryRollover, 'tokenExpiring');
    assert.ok(r.state.renewAt > T0 + 30_001, 'backs off instead of spinning');
  });

  it('a channel whose token is known expired is not HEADed: a new one is created', () => {
    const r = run(openOn(bound), [
      [T0 + 41_000, { type: 'socketClosed', generation: 1, code: 1000, reason: 'x', jitter: 0 }],
    ]);
    assert.equal(r.state.kind, 'creatingChannel');
  });

  it('without a known creating token nothing changes (renewal only)', () => {
    const r = run(openOn(chA), [[T0 + 80_000, { type: 'timerFired', timer: 'renew', at: T0 + 80_000 }]]);
    assert.deepEqual(types(r.effects), ['subscribe']);
  });
});

describe('transition: closing', () => {
  it('closes every socket gracefully, then terminates at the deadline', () => {
    const r = run(openOn(chA, 1), [
      [T0, { type: 'closeRequested' }],
      [T0 + config.closeTimeoutMs, { type: 'timerFired', timer: 'deadline', at: T0 + config.closeTimeoutMs }],
    ]);
    assert.equal(r.state.kind, 'closed');
    assert.deepEqual(types(r.effects), [
      'abortRequests',
      'closeSocket',
      'armTimer',
      'terminateSocket',
      'abortRequests',
    ]);
  });

  it('closes once the last socket reports closed', () => {
    const r = run(openOn(chA, 1), [
      [T0, { type: 'closeRequested' }],
      [T0 + 1, { type: 'socketClosed', generation: 1, code: 1000, reason: '', jitter: 0 }],
    ]);
    assert.deepEqual(r.state, { kind: 'closed', generation: 1, cause: undefined });
  });

  it('a state without sockets closes at once, and closed ignores everything', () => {
    const t = transition(
      {
        kind: 'backingOff',
        generation: 0,
        attempt: 1,
        retryAt: T0,
        next: 'createChannel',
        channel: undefined,
        sameChannelFailures: 0,
        cause: new NetworkError('x'),
      },
      { type: 'closeRequested' },
      T0,
      config,
    );
    assert.equal(t.state.kind, 'closed');
    const again = transition(t.state, { type: 'started' }, T0, config);
    assert.equal(again.state, t.state);
  });
});

describe('transition: totality', () => {
  const states: SessionState[] = [
    { kind: 'idle', generation: 0 },
    { kind: 'creatingChannel', generation: 0, attempt: 0, deadlineAt: T0 },
    { kind: 'subscribing', generation: 0, channel: chA, attempt: 0, deadlineAt: T0 },
    { kind: 'connecting', generation: 1, channel: chA, attempt: 0, sameChannelFailures: 0, deadlineAt: T0 },
    openOn(chA),
    { kind: 'checkingChannel', generation: 1, channel: chA, attempt: 0, sameChannelFailures: 0, deadlineAt: T0 },
    {
      kind: 'rollingOver',
      generation: 1,
      from: { channel: chA, generation: 1 },
      phase: 'creatingChannel',
      to: undefined,
      reason: 'requested',
      deadlineAt: T0,
    },
    {
      kind: 'backingOff',
      generation: 1,
      attempt: 1,
      retryAt: T0,
      next: 'checkChannel',
      channel: chA,
      sameChannelFailures: 0,
      cause: new NetworkError('x'),
    },
    { kind: 'closing', generation: 1, sockets: [1], deadlineAt: T0 },
    { kind: 'closed', generation: 1, cause: undefined },
  ];
  const events: SessionEvent[] = [
    { type: 'started' },
    { type: 'channelCreated', channel: chB },
    { type: 'channelCreateFailed', error: new NetworkError('x'), jitter: 0 },
    { type: 'subscribed', channelId: 'Z' },
    { type: 'subscribeFailed', channelId: 'Z', error: new NetworkError('x'), jitter: 0 },
    { type: 'channelChecked', channelId: 'Z', exists: true },
    { type: 'channelCheckFailed', channelId: 'Z', error: new NetworkError('x'), jitter: 0 },
    { type: 'socketOpened', generation: 9 },
    { type: 'socketClosed', generation: 9, code: 1006, reason: '', jitter: 0 },
    { type: 'socketStale', generation: 9, reason: '', jitter: 0 },
    { type: 'controlReceived', generation: 9, frame: { kind: 'socketClosing', body: {} } },
    { type: 'timerFired', timer: 'deadline', at: T0 - 1 },
    { type: 'topicsChanged' },
    { type: 'rolloverRequested' },
    { type: 'closeRequested' },
  ];
  it('every (state, event) pair has an outcome and never throws', () => {
    for (const state of states) {
      for (const event of events) {
        const t = transition(state, event, T0, config);
        assert.ok(t.state, `${state.kind} × ${event.type}`);
        assert.ok(
          !t.effects.some((e) => e.type === 'diagnostic' && e.level === 'error'),
          `${state.kind} × ${event.type}`,
        );
      }
    }
  });
});
