import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { useOutboxFixture } from './outbox-fixture.ts';

/** Cases found in the zero-loss review of the per-sink cursor (issue 10), each on a real SQLite file. */
describe('per-sink cursor review: replay over deleted events, replay beside an inflight batch', () => {
  const fx = useOutboxFixture();
  const { open, append, deliverAll } = fx;
  const figures = (outbox: SqliteOutbox, sink: string): [number, number, number | undefined] => {
    const s = outbox.stats().sinks.find((x) => x.sink === sink);
    return [s?.pending ?? -1, s?.inflight ?? -1, s?.oldestPendingAt];
  };

  it('replay over events retention already deleted: the cursor passes the gap, nothing stays pending', () => {
    const outbox = open({ retentionMs: 1_000 });
    outbox.setActiveSinks(['a']);
    append(outbox, 1, 2, 3, 4);
    const first = outbox.claim('a', 10).events;
    outbox.settle('a', [
      { seq: 1, action: 'deadLetter', reason: 'rejected' },
      ...first.slice(1).map((c) => ({ seq: c.seq, action: 'ack' as const })),
    ]);
    fx.clock.advance(5_000);
    // The dead letter waits for the operator; the delivered events 2-4 expire.
    assert.deepEqual(outbox.prune(), { expired: 3, evicted: 0 });
    append(outbox, 5);
    assert.deepEqual(deliverAll(outbox, 'a'), [5]);
    assert.equal(outbox.replay('a', { fromSeq: 1 }), 1, 'only 5 is still there to go again');
    assert.deepEqual(deliverAll(outbox, 'a'), [5]);
    append(outbox, 6);
    assert.deepEqual(deliverAll(outbox, 'a'), [6]);
    assert.deepEqual(figures(outbox, 'a'), [0, 0, undefined], 'no deleted event counted as owed for ever');
    // The cursor really moved: a crash now has nothing to hand out again.
    outbox.close();
    const reopened = open({ retentionMs: 1_000 });
    assert.deepEqual(deliverAll(reopened, 'a'), []);
    assert.deepEqual(figures(reopened, 'a'), [0, 0, undefined]);
  });

  it('replay beside an inflight batch: it stays inflight, and a crash then counts its attempt', () => {
    const outbox = open();
    outbox.setActiveSinks(['a']);
    append(outbox, 1, 2, 3);
    assert.deepEqual(deliverAll(outbox, 'a'), [1, 2, 3]);
    append(outbox, 4, 5);
    assert.equal(outbox.claim('a', 10).events.length, 2);
    assert.equal(outbox.replay('a', { fromSeq: 1 }), 3);
    assert.deepEqual(figures(outbox, 'a').slice(0, 2), [5, 2], '4 and 5 still inflight');
    outbox.close();
    const reopened = open();
    assert.deepEqual(
      reopened.claim('a', 10).events.map((c) => [c.seq, c.attempts]),
      [
        [1, 1],
        [2, 1],
        [3, 1],
        [4, 2],
        [5, 2],
      ],
    );
  });
});
