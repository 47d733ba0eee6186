import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { migrate, migrations } from '../../../src/outbox/migrations.ts';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { makeEvent, tempDir } from './helpers.ts';

/** What stats() says, in the same shape. */
function reported(outbox: SqliteOutbox): { events: number; bySink: Record<string, Record<string, number>> } {
  const stats = outbox.stats();
  const bySink: Record<string, Record<string, number>> = {};
  for (const s of stats.sinks) {
    const states: Record<string, number> = {
      pending: s.pending - s.inflight,
      inflight: s.inflight,
      delivered: s.delivered,
      dead: s.dead,
    };
    const nonZero = Object.fromEntries(Object.entries(states).filter(([, n]) => n > 0));
    if (Object.keys(nonZero).length > 0) bySink[s.sink] = nonZero;
  }
  return { events: stats.events, bySink };
}

describe('outbox counts (O(1) stats)', () => {
  it('match what each step did to each sink, from the cursor row and the exceptions alone', () => {
    const { dir, cleanup } = tempDir();
    const path = join(dir, 'outbox.sqlite');
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const outbox = new SqliteOutbox({ path, clock, pruneIntervalMs: 0, retentionMs: 1_000, maxRows: 15 });
    try {
      type Counts = Record<string, Record<string, number>>;
      const check = (events: number, bySink: Counts, step: string): void =>
        assert.deepEqual(reported(outbox), { events, bySink }, step);
      outbox.setActiveSinks(['a', 'b']);
      for (let i = 0; i < 12; i++) outbox.appendSync(makeEvent(i, 0, new Date(clock.now()).toISOString()));
      check(12, { a: { pending: 12 }, b: { pending: 12 } }, 'append');
      const claimed = outbox.claim('a', 6).events;
      check(12, { a: { pending: 6, inflight: 6 }, b: { pending: 12 } }, 'claim');
      outbox.settle('a', [
        { seq: claimed[0]!.seq, action: 'ack' },
        { seq: claimed[1]!.seq, action: 'ack' },
        { seq: claimed[2]!.seq, action: 'deadLetter', reason: 'bad' },
        { seq: claimed[3]!.seq, action: 'retry', at: clock.now(), error: 'x' },
        { seq: claimed[4]!.seq, action: 'defer', at: clock.now(), error: 'x' },
      ]);
      outbox.release('a', [claimed[5]!.seq]);
      check(12, { a: { pending: 9, delivered: 2, dead: 1 }, b: { pending: 12 } }, 'settle + release');
      outbox.requeueDead('a', { all: true });
      check(12, { a: { pending: 10, delivered: 2 }, b: { pending: 12 } }, 'requeue');
      const [head] = outbox.claim('a', 1).events;
      assert.ok(head);
      assert.equal(head.seq, claimed[2]!.seq, 'the requeued dead letter is the head again');
      outbox.settle('a', [{ seq: head.seq, action: 'deadLetter', reason: 'bad' }]);
      outbox.purgeDead('a', { all: true });
      check(12, { a: { pending: 9, delivered: 2 }, b: { pending: 12 } }, 'purge');
      assert.equal(outbox.replay('a', { fromSeq: 0 }), 3, 'two delivered events and the purged one');
      check(12, { a: { pending: 12 }, b: { pending: 12 } }, 'replay');
      for (const sink of ['b', 'a']) {
        const all = outbox.claim(sink, 12).events;
        assert.equal(all.length, 12);
        outbox.settle(
          sink,
          all.map((c) => ({ seq: c.seq, action: 'ack' as const })),
        );
      }
      check(12, { a: { delivered: 12 }, b: { delivered: 12 } }, 'all delivered');
      clock.advance(5_000);
      for (let i = 12; i < 20; i++) outbox.appendSync(makeEvent(i, 0, new Date(clock.now()).toISOString()));
      assert.deepEqual(outbox.prune(), { expired: 12, evicted: 0 });
      check(8, { a: { pending: 8 }, b: { pending: 8 } }, 'retention');
      outbox.setActiveSinks(['a']);
      assert.equal(outbox.dropSink('b'), 8);
      check(8, { a: { pending: 8 } }, 'drop sink');
      outbox.claim('a', 3);
      check(8, { a: { pending: 5, inflight: 3 } }, 'claim again');
      outbox.close();
      const reopened = new SqliteOutbox({ path, clock, pruneIntervalMs: 0 });
      assert.deepEqual(reported(reopened), { events: 8, bySink: { a: { pending: 8 } } }, 'inflight recovered');
      reopened.close();
    } finally {
      cleanup();
    }
  });

  it('an outbox written by schema 4 (rows counted by a trigger) keeps its count, then the append counts', () => {
    const { dir, cleanup } = tempDir();
    const path = join(dir, 'outbox.sqlite');
    try {
      const v4 = new Database(path);
      migrate(v4, migrations.slice(0, 4));
      const insert = v4.prepare('INSERT INTO events (key, topic, payload, received_at) VALUES (?, ?, ?, ?)');
      for (let i = 1; i <= 5; i++) insert.run(makeEvent(i).relay.key, 't', JSON.stringify(makeEvent(i)), 0);
      v4.exec(`INSERT INTO sinks (name, active, registered_at) VALUES ('a', 1, 0)`);
      v4.exec(`INSERT INTO sink_cursor (sink, acked_to, claimed_to) VALUES ('a', 2, 2)`);
      v4.close();
      const outbox = new SqliteOutbox({ path, pruneIntervalMs: 0 });
      try {
        assert.equal(reported(outbox).events, 5);
        // A copy of an event already appended adds no row, and is not counted.
        for (const i of [6, 7, 6]) outbox.appendSync(makeEvent(i));
        assert.equal(reported(outbox).events, 7);
        assert.deepEqual(
          outbox.claim('a', 10).events.map((c) => c.seq),
          [3, 4, 5, 6, 7],
          'pending rows still deliver',
        );
      } finally {
        outbox.close();
      }
      const db = new Database(path, { readonly: true });
      const triggers = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'`);
      assert.deepEqual(triggers.pluck().all(), ['events_counted_delete']);
      db.close();
    } finally {
      cleanup();
    }
  });

  it('an outbox written by schema 1 (pending, delivered and dead rows) migrates with its counts seeded', () => {
    const { dir, cleanup } = tempDir();
    const path = join(dir, 'outbox.sqlite');
    try {
      const v1 = new Database(path);
      migrate(v1, migrations.slice(0, 1));
      const insert = v1.prepare('INSERT INTO events (key, topic, payload, received_at) VALUES (?, ?, ?, ?)');
      for (let i = 1; i <= 5; i++) insert.run(`k${i}`, 't', JSON.stringify(makeEvent(i)), 0);
      v1.exec(`INSERT INTO sinks VALUES ('a', 1, 0)`);
      v1.exec(`INSERT INTO deliveries (seq, sink, state, updated_at) SELECT seq, 'a', 'pending', 0 FROM events`);
      v1.exec(`UPDATE deliveries SET state = 'delivered' WHERE seq <= 2`);
      v1.exec(`UPDATE deliveries SET state = 'dead' WHERE seq = 3`);
      v1.close();
      const outbox = new SqliteOutbox({ path, pruneIntervalMs: 0 });
      try {
        assert.equal(outbox.pragma('synchronous'), 2);
        assert.deepEqual(reported(outbox), { events: 5, bySink: { a: { pending: 2, delivered: 2, dead: 1 } } });
        assert.deepEqual(
          outbox.claim('a', 10).events.map((c) => c.seq),
          [4, 5],
          'pending rows still deliver',
        );
      } finally {
        outbox.close();
      }
    } finally {
      cleanup();
    }
  });
});
