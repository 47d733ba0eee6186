import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeartbeatWatchdog, afterPendingIo, type YieldToIo } from '../../../src/session/heartbeat-watchdog.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';

interface Setup {
  clock: ManualClock;
  dog: HeartbeatWatchdog;
  pings: number[];
  stale: string[];
}

/** `yieldToIo` runs its callback at once unless a test passes its own (to model reads pending in the event loop). */
function setup(yieldToIo: YieldToIo = (fn) => fn()): Setup {
  const clock = new ManualClock(0);
  const pings: number[] = [];
  const stale: string[] = [];
  const dog = new HeartbeatWatchdog(
    clock,
    { watchdogMs: 60_000, pingIntervalMs: 30_000, pongTimeoutMs: 10_000, missedPongLimit: 2 },
    { sendPing: () => pings.push(clock.now()), onStale: (r) => stale.push(r) },
    yieldToIo,
  );
  return { clock, dog, pings, stale };
}

describe('HeartbeatWatchdog', () => {
  it('after an event-loop stall, reads the frames already waiting before calling the socket stale', () => {
    let pendingRead: (() => void) | undefined;
    // The heartbeat that sat in the socket buffer during the stall is read before the deferred re-check runs.
    const { clock, dog, stale } = setup((recheck) => {
      pendingRead?.();
      recheck();
    });
    dog.start();
    pendingRead = () => dog.frameReceived();
    clock.advance(60_000);
    assert.deepEqual(stale, []);
    pendingRead = undefined;
    clock.advance(60_000);
    assert.equal(stale.length, 1);
  });

  it('defers the stale verdict past pending I/O by default', async () => {
    const stale: string[] = [];
    const clock = new ManualClock(0);
    const dog = new HeartbeatWatchdog(
      clock,
      { watchdogMs: 10, pingIntervalMs: 1_000, pongTimeoutMs: 1_000, missedPongLimit: 2 },
      { sendPing: () => {}, onStale: (r) => stale.push(r) },
    );
    dog.start();
    clock.advance(10);
    assert.deepEqual(stale, [], 'not yet: the verdict waits for the check phase');
    await new Promise<void>((resolve) => afterPendingIo(resolve));
    assert.equal(stale.length, 1);
  });

  it('stays quiet while heartbeats and pongs arrive', () => {
    const { clock, dog, pings, stale } = setup();
    dog.start();
    for (let i = 0; i < 10; i++) {
      clock.advance(30_000);
      dog.frameReceived();
      clock.advance(1);
      dog.pongReceived();
    }
    assert.deepEqual(stale, []);
    assert.equal(pings.length, 10);
  });

  it('reports stale when no frame arrives within watchdogMs', () => {
    const { clock, dog, stale } = setup();
    dog.start();
    clock.advance(59_999);
    assert.equal(stale.length, 0);
    clock.advance(1);
    assert.equal(stale.length, 1);
    assert.match(stale[0] ?? '', /no frame for 60000 ms/);
  });

  it('reports stale when pings go unanswered even if frames arrive', () => {
    const { clock, dog, stale } = setup();
    dog.start();
    for (let t = 0; t < 80_000; t += 5_000) {
      clock.advance(5_000);
      dog.frameReceived();
    }
    assert.equal(stale.length, 1);
    assert.match(stale[0] ?? '', /2 pings unanswered/);
  });

  it('tolerates a single lost pong', () => {
    const { clock, dog, stale } = setup();
    dog.start();
    clock.advance(30_000);
    dog.frameReceived();
    clock.advance(15_000);
    dog.frameReceived();
    clock.advance(15_000);
    dog.pongReceived();
    clock.advance(20_000);
    assert.deepEqual(stale, []);
  });

  it('does nothing after stop()', () => {
    const { clock, dog, stale, pings } = setup();
    dog.start();
    dog.stop();
    clock.advance(200_000);
    assert.deepEqual(stale, []);
    assert.deepEqual(pings, []);
    assert.equal(clock.pendingCount, 0);
  });
});
