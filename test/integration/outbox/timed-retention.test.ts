import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { makeEvent, tempDir } from './helpers.ts';

/** Appends `n` events received at the clock's now, and acknowledges them for every sink. */
function appendDelivered(outbox: SqliteOutbox, clock: ManualClock, first: number, n: number): void {
  const receivedAt = new Date(clock.now()).toISOString();
  for (let i = first; i < first + n; i++) void outbox.append(makeEvent(i, 0, receivedAt));
  outbox.flush();
  for (const sink of outbox.sinkNames()) {
    for (;;) {
      const { events } = outbox.claim(sink, 500);
      if (events.length === 0) break;
      outbox.settle(
        sink,
        events.map((e) => ({ seq: e.seq, action: 'ack' as const })),
      );
    }
  }
}

describe('timed retention', () => {
  it('deletes a large backlog of finished events 1,000 a transaction, giving the event loop its turn in between', () => {
    const { dir, cleanup } = tempDir();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const outbox = new SqliteOutbox({
      path: join(dir, 'outbox.sqlite'),
      clock,
      retentionMs: 10_000,
      pruneIntervalMs: 60_000,
      groupCommitMaxEvents: 5_000,
    });
    try {
      outbox.setActiveSinks(['a', 'b']);
      appendDelivered(outbox, clock, 0, 3_500);
      clock.advance(59_999);
      assert.equal(outbox.stats().events, 3_500, 'nothing before the first run');
      assert.ok(clock.fireNext());
      assert.equal(clock.now(), Date.UTC(2026, 0, 1) + 60_000);
      // Before: one run deleted all 3,500 in back-to-back transactions without returning to the event loop (60,000
      // rows took 773 ms).
      assert.equal(outbox.stats().events, 2_500, 'one transaction, then a turn of the event loop');
      appendDelivered(outbox, clock, 3_500, 10); // work done in between; received now: not old enough
      for (const left of [1_510, 510, 10]) {
        assert.ok(clock.fireNext(), 'the next step is a zero-delay timer');
        assert.equal(outbox.stats().events, left);
      }
      assert.equal(clock.now(), Date.UTC(2026, 0, 1) + 60_000, 'the steps follow each other at once');
      clock.advance(0);
      assert.equal(outbox.stats().events, 10, 'the run is over: the new events stay');
      clock.advance(60_000);
      assert.equal(outbox.stats().events, 0, 'the next run, a minute later, takes the rest');
    } finally {
      outbox.close();
      cleanup();
    }
  });
});
