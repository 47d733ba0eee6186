import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Settlement } from '../../../src/outbox/outbox.ts';
import type { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { makeEvent } from './helpers.ts';
import { useOutboxFixture } from './outbox-fixture.ts';

/** The cases where the per-sink cursor needs its skip ranges and exceptions (sink-cursor.ts). */
describe('per-sink cursor: out-of-order settlements, inactive sinks, replay, retention', () => {
  const fx = useOutboxFixture();
  const { open, append, deliverAll } = fx;
  const figures = (outbox: SqliteOutbox, sink: string): number[] => {
    const s = outbox.stats().sinks.find((x) => x.sink === sink);
    return [s?.pending ?? -1, s?.inflight ?? -1, s?.delivered ?? -1, s?.dead ?? -1];
  };

  it('a batch cut short: later acks and dead letters hold, the released event goes again alone', () => {
    const outbox = open();
    outbox.setActiveSinks(['a']);
    append(outbox, 1, 2, 3, 4, 5);
    assert.equal(outbox.claim('a', 5).events.length, 5);
    const settlements: Settlement[] = [
      { seq: 1, action: 'ack' },
      { seq: 3, action: 'ack' },
      { seq: 4, action: 'deadLetter', reason: 'x' },
      { seq: 5, action: 'ack' },
    ];
    outbox.settle('a', settlements);
    outbox.release('a', [2]);
    assert.deepEqual(figures(outbox, 'a'), [1, 0, 3, 1]);
    assert.deepEqual(
      outbox.claim('a', 10).events.map((c) => [c.seq, c.attempts]),
      [[2, 1]],
    );
    outbox.settle('a', [{ seq: 2, action: 'ack' }]);
    assert.deepEqual(figures(outbox, 'a'), [0, 0, 4, 1]);
    append(outbox, 6);
    assert.deepEqual(deliverAll(outbox, 'a'), [6]);
  });

  it('many skip ranges (read a page at a time): the released events come back in order, then the cursor folds', () => {
    const outbox = open();
    outbox.setActiveSinks(['a']);
    const ids = Array.from({ length: 300 }, (_, i) => i + 1);
    append(outbox, ...ids);
    assert.equal(outbox.claim('a', 300).events.length, 300);
    const odd = ids.filter((seq) => seq % 2 === 1);
    outbox.settle(
      'a',
      ids.filter((seq) => seq % 2 === 0).map((seq) => ({ seq, action: 'ack' as const })),
    );
    outbox.release('a', odd);
    assert.deepEqual(figures(outbox, 'a'), [150, 0, 150, 0]);
    assert.deepEqual(
      outbox.claim('a', 1_000).events.map((c) => c.seq),
      odd,
    );
    outbox.settle(
      'a',
      odd.map((seq) => ({ seq, action: 'ack' as const })),
    );
    assert.deepEqual(figures(outbox, 'a'), [0, 0, 300, 0]);
    append(outbox, 301);
    assert.deepEqual(deliverAll(outbox, 'a'), [301]);
  });

  it('a crash after acks behind an unsettled event: only that event goes again, its attempt counted', () => {
    let outbox = open();
    outbox.setActiveSinks(['a']);
    append(outbox, 1, 2, 3);
    outbox.claim('a', 3);
    outbox.settle('a', [
      { seq: 2, action: 'ack' },
      { seq: 3, action: 'ack' },
    ]);
    assert.deepEqual(figures(outbox, 'a'), [1, 1, 2, 0]);
    outbox.close();
    outbox = open();
    assert.deepEqual(
      outbox.claim('a', 10).events.map((c) => [c.seq, c.attempts]),
      [[1, 2]],
    );
  });

  it('an inactive sink keeps its backlog, is owed nothing appended meanwhile, and new events once back', () => {
    const outbox = open();
    outbox.setActiveSinks(['a', 'b']);
    append(outbox, 1, 2, 3);
    assert.deepEqual(deliverAll(outbox, 'b').slice(0, 1), [1]);
    outbox.replay('b', { fromSeq: 2 });
    outbox.setActiveSinks(['a']);
    append(outbox, 4, 5);
    assert.deepEqual(figures(outbox, 'b'), [2, 0, 1, 0], 'the backlog 2-3, not 4-5');
    outbox.setActiveSinks(['a', 'b']);
    append(outbox, 6);
    assert.deepEqual(deliverAll(outbox, 'b'), [2, 3, 6]);
    outbox.setActiveSinks(['a']);
    append(outbox, 7);
    outbox.setActiveSinks(['a', 'b']);
    append(outbox, 8);
    assert.deepEqual(deliverAll(outbox, 'b'), [8], 'nothing to skip over but the inactive stretch');
  });

  it('replay reaches what an inactive sink was never owed; later events stay not owed', () => {
    const outbox = open();
    outbox.setActiveSinks(['a', 'b']);
    append(outbox, 1);
    deliverAll(outbox, 'b');
    outbox.setActiveSinks(['a']);
    append(outbox, 2, 3);
    assert.equal(outbox.replay('b', { fromSeq: 2 }), 2);
    append(outbox, 4);
    assert.deepEqual(deliverAll(outbox, 'b'), [2, 3]);
    assert.equal(outbox.replay('b', { fromSeq: 1 }), 4, '1-3 delivered, 4 never owed');
    append(outbox, 5);
    assert.deepEqual(deliverAll(outbox, 'b'), [1, 2, 3, 4]);
  });

  it('replay since an instant leaves an earlier-received event after it alone', () => {
    const outbox = open();
    outbox.setActiveSinks(['a']);
    const t0 = fx.clock.now();
    for (const [i, at] of [0, 2_000, 1_000, 3_000].entries()) {
      outbox.appendSync(makeEvent(i, 0, new Date(t0 + at).toISOString()));
    }
    deliverAll(outbox, 'a');
    assert.equal(outbox.replay('a', { sinceAt: t0 + 1_500 }), 2);
    assert.deepEqual(deliverAll(outbox, 'a'), [2, 4]);
  });

  it('retention: an inactive sink pins only its backlog, not what was appended while it was inactive', () => {
    const outbox = open({ retentionMs: 1_000 });
    outbox.setActiveSinks(['a', 'b']);
    append(outbox, 1);
    outbox.setActiveSinks(['a']);
    append(outbox, 2, 3);
    deliverAll(outbox, 'a');
    fx.clock.advance(5_000);
    assert.deepEqual(outbox.prune(), { expired: 2, evicted: 0 });
    assert.deepEqual(deliverAll(outbox, 'b'), [1]);
    assert.deepEqual(outbox.prune(), { expired: 1, evicted: 0 });
    assert.deepEqual(figures(outbox, 'a'), [0, 0, 0, 0], 'delivered counts go with the events');
  });
});
