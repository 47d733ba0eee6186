import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeartbeatWatchdog } from '../../../src/session/heartbeat-watchdog.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';

function setup(): { clock: ManualClock; dog: HeartbeatWatchdog; pings: number[]; stale: string[] } {
  const clock = new ManualClock(0);
  const pings: number[] = [];
  const stale: string[] = [];
  const dog = new HeartbeatWatchdog(
    clock,
    { watchdogMs: 60_000, pingIntervalMs: 30_000, pongTimeoutMs: 10_000, missedPongLimit: 2 },
    { sendPing: () => pings.push(clock.now()), onStale: (r) => stale.push(r) },
  );
  return { clock, dog, pings, stale };
}

describe('HeartbeatWatchdog', () => {
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
