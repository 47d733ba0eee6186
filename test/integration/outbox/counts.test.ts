import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { migrate, migrations } from '../../../src/outbox/migrations.ts';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { makeEvent, tempDir } from './helpers.ts';

/** Per-sink counts by state, and the event count, counted the slow way through a second connection. */
function counted(path: string): { events: number; bySink: Record<string, Record<string, number>> } {
  const db = new Database(path, { readonly: true });
  try {
    const events = db.prepare('SELECT count(*) FROM events').pluck().get() as number;
    const rows = db.prepare('SELECT sink, state, count(*) AS n FROM deliveries GROUP BY sink, state').all() as {
      sink: string;
      state: string;
      n: number;
    }[];
    const bySink: Record<string, Record<string, number>> = {};
    for (const r of rows) (bySink[r.sink] ??= {})[r.state] = r.n;
    return { events, bySink };
  } finally {
    db.close();
  }
}

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

describe('incremental outbox counts (O(1) stats)', () => {
  it('match a full count after every kind of row change', () => {
    const { dir, cleanup } = tempDir();
    const path = join(dir, 'outbox.sqlite');
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const outbox = new SqliteOutbox({ path, clock, pruneIntervalMs: 0, retentionMs: 1_000, maxRows: 15 });
    try {
      const check = (step: string): void => assert.deepEqual(reported(outbox), counted(path), step);
      outbox.setActiveSinks(['a', 'b']);
      for (let i = 0; i < 12; i++) outbox.appendSync(makeEvent(i, 0, new Date(clock.now()).toISOString()));
      check('append + fan-out');
      const claimed = outbox.claim('a', 6).events;
      check('claim');
      outbox.settle('a', [
        { seq: claimed[0]!.seq, action: 'ack' },
        { seq: claimed[1]!.seq, action: 'ack' },
        { seq: claimed[2]!.seq, action: 'deadLetter', reason: 'bad' },
        { seq: claimed[3]!.seq, action: 'retry', at: clock.now(), error: 'x' },
        { seq: claimed[4]!.seq, action: 'defer', at: clock.now(), error: 'x' },
      ]);
      outbox.release('a', [claimed[5]!.seq]);
      check('settle + release');
      outbox.requeueDead('a', { all: true });
      check('requeue');
      const again = outbox.claim('a', 1).events;
      outbox.settle('a', [{ seq: again[0]!.seq, action: 'deadLetter', reason: 'bad' }]);
      outbox.purgeDead('a', { all: true });
      check('purge');
      outbox.replay('a', { fromSeq: 0 });
      check('replay');
      const b = outbox.claim('b', 12).events;
      outbox.settle(
        'b',
        b.map((c) => ({ seq: c.seq, action: 'ack' as const })),
      );
      const a = outbox.claim('a', 12).events;
      outbox.settle(
        'a',
        a.map((c) => ({ seq: c.seq, action: 'ack' as const })),
      );
      clock.advance(5_000);
      for (let i = 12; i < 20; i++) outbox.appendSync(makeEvent(i, 0, new Date(clock.now()).toISOString()));
      const pruned = outbox.prune();
      assert.ok(pruned.expired > 0);
      check('retention');
      outbox.setActiveSinks(['a']);
      outbox.dropSink('b');
      check('drop sink');
      outbox.claim('a', 3);
      outbox.close();
      const reopened = new SqliteOutbox({ path, clock, pruneIntervalMs: 0 });
      assert.deepEqual(reported(reopened), counted(path), 'inflight recovered at open');
      reopened.close();
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
