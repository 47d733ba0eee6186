import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultSessionConfig } from '../../../src/session/config.ts';
import type { Gap } from '../../../src/session/gap.ts';
import { Session, type SessionHooks } from '../../../src/session/session.ts';
import type { SessionStateKind } from '../../../src/session/state.ts';
import { flushMicrotasks, ManualClock } from '../../../src/testing/index.ts';
import { event, FakeApi, FakeSockets, heartbeat, socketClosing } from './fakes.ts';

function setup() {
  const clock = new ManualClock(1_000_000);
  const api = new FakeApi(() => clock.now());
  const sockets = new FakeSockets();
  const delivered: Array<{ id: string; channelId: string }> = [];
  const gaps: Gap[] = [];
  const states: SessionStateKind[] = [];
  const hooks: SessionHooks = {
    onEvent: (e, _raw, channelId) => delivered.push({ id: e.correlationId ?? '', channelId }),
    onMalformed: () => {},
    onStateChange: (s) => states.push(s.kind),
    onGap: (g) => gaps.push(g),
    onRollover: () => {},
    onRejectedTopics: () => {},
    onError: () => {},
    onInvalidateToken: () => {},
    onDiagnostic: () => {},
  };
  const session = new Session(
    {
      shardId: 'shard-0',
      api,
      clock,
      random: () => 0.5,
      sockets,
      config: defaultSessionConfig,
      watchdog: { watchdogMs: 60_000, pingIntervalMs: 30_000, pongTimeoutMs: 10_000, missedPongLimit: 2 },
      maxFrameBytes: 1 << 20,
      ignoreErrors: true,
      hooks,
    },
    ['v2.a'],
  );
  return { clock, api, sockets, session, delivered, gaps, states };
}

describe('Session shell', () => {
  it('reports the last frame of the live socket only: the open, then each frame; none once it is gone', async () => {
    const { clock, sockets, session } = setup();
    const started = session.start();
    await flushMicrotasks();
    assert.equal(session.lastFrameAt, undefined, 'no socket yet');
    clock.advance(500);
    sockets.last().handlers.onOpen();
    await started;
    assert.equal(session.lastFrameAt, 1_000_500, 'the open counts as the first sign of life');
    clock.advance(20_000);
    sockets.last().handlers.onMessage(heartbeat);
    clock.advance(7_000);
    assert.equal(session.lastFrameAt, 1_020_500);
    sockets.last().handlers.onMessage(event('v2.a', 'e1'));
    assert.equal(session.lastFrameAt, 1_027_500);
    sockets.last().handlers.onClose(1006, '', undefined);
    await flushMicrotasks();
    assert.equal(session.lastFrameAt, undefined, 'a lost socket has no last frame');
  });

  it('creates, subscribes, connects, delivers', async () => {
    const { api, sockets, session, delivered } = setup();
    const started = session.start();
    await flushMicrotasks();
    assert.deepEqual(api.calls, ['createChannel', 'replaceSubscriptions c1 v2.a']);
    sockets.last().handlers.onOpen();
    await started;
    sockets.last().handlers.onMessage(event('v2.a', 'e1'));
    assert.deepEqual(delivered, [{ id: 'e1', channelId: 'c1' }]);
  });

  it('a retired socket cannot touch its successor', async () => {
    const { clock, api, sockets, session, delivered } = setup();
    const started = session.start();
    await flushMicrotasks();
    const first = sockets.last();
    first.handlers.onOpen();
    await started;
    clock.advance(10_000);
    first.handlers.onClose(1006, '', undefined);
    await flushMicrotasks();
    assert.equal(api.calls.at(-1), 'channelExists c1');
    const second = sockets.last();
    assert.notEqual(second, first);
    second.handlers.onOpen();
    // Late callbacks of the first socket: ignored entirely.
    first.handlers.onMessage(event('v2.a', 'late'));
    first.handlers.onClose(1006, '', undefined);
    first.handlers.onMessage(socketClosing);
    await flushMicrotasks();
    assert.equal(session.state.kind, 'open');
    assert.deepEqual(delivered, []);
    second.handlers.onMessage(event('v2.a', 'e2'));
    assert.deepEqual(delivered, [{ id: 'e2', channelId: 'c1' }]);
  });

  it('rollover keeps delivering from the old socket until the new one is open, then closes it', async () => {
    const { sockets, session, delivered, gaps } = setup();
    const started = session.start();
    await flushMicrotasks();
    const old = sockets.last();
    old.handlers.onOpen();
    await started;
    old.handlers.onMessage(socketClosing);
    await flushMicrotasks();
    assert.equal(session.state.kind, 'rollingOver');
    old.handlers.onMessage(event('v2.a', 'during'));
    const replacement = sockets.last();
    assert.notEqual(replacement, old);
    assert.match(replacement.url, /c2$/);
    replacement.handlers.onOpen();
    assert.equal(old.closedWith, 1000);
    // Frames still in flight on the old socket are delivered until it has closed.
    old.handlers.onMessage(event('v2.a', 'tail'));
    replacement.handlers.onMessage(event('v2.a', 'new'));
    old.handlers.onClose(1000, '', undefined);
    assert.deepEqual(
      delivered.map((d) => `${d.id}@${d.channelId}`),
      ['during@c1', 'tail@c1', 'new@c2'],
    );
    assert.deepEqual(gaps, []);
    assert.equal(session.state.kind, 'open');
  });

  it('a zombie is detected by the watchdog; the gap starts at its last frame', async () => {
    const { clock, sockets, session, gaps } = setup();
    const started = session.start();
    await flushMicrotasks();
    sockets.last().handlers.onOpen();
    await started;
    clock.advance(30_000);
    sockets.last().handlers.onMessage(heartbeat);
    const lastFrameAt = clock.now();
    clock.advance(60_000);
    assert.equal(session.state.kind, 'checkingChannel');
    assert.ok(sockets.opened[0]?.terminated);
    await flushMicrotasks();
    sockets.last().handlers.onOpen();
    assert.equal(gaps.length, 1);
    assert.equal(gaps[0]?.startAt, lastFrameAt);
    assert.match(gaps[0]?.reason ?? '', /stale/);
  });

  it('close() sends 1000 and terminates a silent peer at the deadline', async () => {
    const { clock, sockets, session, states } = setup();
    const started = session.start();
    await flushMicrotasks();
    sockets.last().handlers.onOpen();
    await started;
    const closed = session.close();
    assert.equal(sockets.last().closedWith, 1000);
    clock.advance(defaultSessionConfig.closeTimeoutMs);
    await closed;
    assert.ok(sockets.last().terminated);
    assert.equal(states.at(-1), 'closed');
    assert.equal(clock.pendingCount, 0, 'no timers left');
  });
});
