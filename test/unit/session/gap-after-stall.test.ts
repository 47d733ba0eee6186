import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultSessionConfig } from '../../../src/session/config.ts';
import type { Gap } from '../../../src/session/gap.ts';
import { HeartbeatWatchdog } from '../../../src/session/heartbeat-watchdog.ts';
import { Session, type SessionHooks } from '../../../src/session/session.ts';
import { flushMicrotasks, ManualClock } from '../../../src/testing/index.ts';
import { event, FakeApi, FakeSockets, heartbeat, socketClosing } from './fakes.ts';

/**
 * A ManualClock that also keeps the event loop's idle time (SystemClock reads it from
 * performance.eventLoopUtilization): `idle(ms)` is time the loop waited for I/O, `busy(ms)` time it ran code
 * (a stall, or a CPU taken by other processes) while frames piled up in the socket buffer.
 */
class LoopClock extends ManualClock {
  private idleMs = 0;
  loopIdleMs(): number {
    return this.idleMs;
  }
  idle(ms: number): void {
    this.idleMs += ms;
    this.advance(ms);
  }
  busy(ms: number): void {
    this.advance(ms);
  }
}

const noPort = { sendPing: (): void => {}, onStale: (): void => {} };
/** Every read is its own poll phase (the batch ends at once). */
const eachReadOwnBatch = (fn: () => void): void => fn();
const watchdogOptions = { watchdogMs: 60_000, pingIntervalMs: 30_000, pongTimeoutMs: 10_000, missedPongLimit: 2 };

describe('gap start after a busy event loop (soak: losses before the recorded gap under load)', () => {
  it('a frame read when the loop was idle proves the socket alive at its read time', () => {
    const clock = new LoopClock(1_000_000);
    const dog = new HeartbeatWatchdog(clock, watchdogOptions, noPort, eachReadOwnBatch);
    dog.start();
    clock.idle(30_000);
    dog.frameReceived();
    assert.equal(dog.aliveAtMs, 1_030_000);
    assert.equal(dog.lastFrameAtMs, 1_030_000);
  });

  it('a frame read after the loop was busy proves it alive only up to the loop’s last idle moment', () => {
    const clock = new LoopClock(1_000_000);
    const dog = new HeartbeatWatchdog(clock, watchdogOptions, noPort, eachReadOwnBatch);
    dog.start();
    clock.idle(100);
    dog.frameReceived();
    clock.idle(40);
    clock.busy(600);
    dog.frameReceived();
    assert.equal(dog.lastFrameAtMs, 1_000_740, 'silence is still measured from the read');
    assert.equal(dog.aliveAtMs, 1_000_140, 'the frame may have waited out the 600 ms the loop was busy');
    clock.idle(5);
    dog.frameReceived();
    assert.equal(dog.aliveAtMs, 1_000_745, 'once the loop has idled, a read is recent again');
  });

  it('a saturated loop (never idle) still advances the proof batch by batch: each poll phase drains the socket', () => {
    const clock = new LoopClock(1_000_000);
    const endOfPoll: Array<() => void> = [];
    const dog = new HeartbeatWatchdog(clock, watchdogOptions, noPort, (fn) => endOfPoll.push(fn));
    dog.start();
    const endPhase = (): void => endOfPoll.splice(0).forEach((fn) => fn());
    for (let batch = 1; batch <= 3; batch++) {
      clock.busy(5);
      dog.frameReceived();
      clock.busy(1);
      dog.frameReceived();
      endPhase();
    }
    // The third batch arrived after the second was read (at 1_000_012), no later than its own first read.
    assert.equal(dog.aliveAtMs, 1_000_012);
    assert.equal(dog.lastFrameAtMs, 1_000_018);
  });

  it('the gap of a socket the server dropped during a stall starts before the frames read late', async () => {
    const clock = new LoopClock(1_000_000);
    const { sockets, gaps, session } = sessionOn(clock);
    const started = session.start();
    await flushMicrotasks();
    sockets.last().handlers.onOpen();
    await started;
    clock.idle(1_000);
    sockets.last().handlers.onMessage(event('v2.a', 'e1'));
    const lastIdleRead = clock.now();
    // The loop is taken for 700 ms. Meanwhile the server sends e2 and a heartbeat, then drops the socket; events
    // published after that are lost. The loop then reads the frames and the close, all late.
    clock.busy(700);
    sockets.last().handlers.onMessage(event('v2.a', 'e2'));
    sockets.last().handlers.onMessage(heartbeat);
    const lost = sockets.last();
    lost.handlers.onClose(1006, '', undefined);
    // The socket had not been open long enough to count as stable: the reconnect backs off first.
    for (let waited = 0; sockets.last() === lost && waited < 60_000; waited += 100) {
      await flushMicrotasks();
      clock.idle(100);
    }
    assert.notEqual(sockets.last(), lost, 'reconnecting');
    sockets.last().handlers.onOpen();
    assert.equal(gaps.length, 1);
    // Before: the gap started at the late read (lastIdleRead + 700), after the events lost in the stall.
    assert.equal(gaps[0]?.startAt, lastIdleRead);
    assert.match(gaps[0]?.reason ?? '', /1006/);
  });

  it('a rollover completed after the server had closed the old socket on its own is a gap', async () => {
    const { clock, sockets, gaps, session, old } = await rollingOver();
    old.handlers.onMessage(event('v2.a', 'e1'));
    const oldAliveAt = clock.now();
    // Busy loop: the server closes the old channel (its token expired) before the replacement is up; the client
    // reads the replacement's open first, then the old socket's own close, which crossed our 'rolled over'.
    clock.busy(400);
    sockets.last().handlers.onOpen();
    const rolledOverAt = clock.now();
    assert.equal(session.state.kind, 'open');
    assert.equal(gaps.length, 0, 'a rollover, as far as the client can tell');
    old.handlers.onClose(1000, 'channel expired', undefined);
    assert.equal(gaps.length, 1);
    assert.equal(gaps[0]?.startAt, oldAliveAt);
    assert.equal(gaps[0]?.endAt, rolledOverAt);
    assert.match(gaps[0]?.reason ?? '', /server closed the old socket: 1000 \(channel expired\)/);
  });

  it('the echo of our close (our reason, or none) or a 1006 after a rollover is no gap', async () => {
    for (const [code, reason] of [
      [1000, 'rolled over'],
      [1000, ''],
      [1006, ''],
    ] as const) {
      const { sockets, gaps, old } = await rollingOver();
      sockets.last().handlers.onOpen();
      old.handlers.onClose(code, reason, undefined);
      assert.deepEqual(gaps, [], `${code} ${reason}`);
    }
  });
});

function hooksCollecting(gaps: Gap[]): SessionHooks {
  return {
    onEvent: () => {},
    onMalformed: () => {},
    onStateChange: () => {},
    onGap: (g) => gaps.push(g),
    onRollover: () => {},
    onRejectedTopics: () => {},
    onError: () => {},
    onInvalidateToken: () => {},
    onDiagnostic: () => {},
  };
}

/** An open session whose old socket got socket_closing: the replacement is created, subscribed and connecting. */
async function rollingOver(): Promise<
  ReturnType<typeof sessionOn> & { clock: LoopClock; old: ReturnType<FakeSockets['last']> }
> {
  const clock = new LoopClock(1_000_000);
  const parts = sessionOn(clock);
  const started = parts.session.start();
  await flushMicrotasks();
  const old = parts.sockets.last();
  old.handlers.onOpen();
  await started;
  clock.idle(1_000);
  old.handlers.onMessage(socketClosing);
  await flushMicrotasks();
  assert.equal(parts.session.state.kind, 'rollingOver');
  assert.notEqual(parts.sockets.last(), old);
  return { ...parts, clock, old };
}

function sessionOn(clock: LoopClock): { sockets: FakeSockets; gaps: Gap[]; session: Session } {
  const sockets = new FakeSockets();
  const gaps: Gap[] = [];
  const session = new Session(
    {
      shardId: 'shard-0',
      api: new FakeApi(() => clock.now()),
      clock,
      random: () => 0.5,
      sockets,
      config: defaultSessionConfig,
      watchdog: watchdogOptions,
      maxFrameBytes: 1 << 20,
      ignoreErrors: true,
      hooks: hooksCollecting(gaps),
    },
    ['v2.a'],
  );
  return { sockets, gaps, session };
}
