import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { migrate, migrations } from '../../../src/outbox/migrations.ts';
import type { Outbox } from '../../../src/outbox/outbox.ts';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { makeEvent, tempDir } from './helpers.ts';

const T0 = Date.UTC(2026, 0, 1);

type Row = [seq: number, state: string, attempts?: number, nextAttemptAt?: number, lastError?: string];

/**
 * An outbox file as schema 2 wrote it: events 1-10; sink "a" active, sink "b" inactive since event 3 (no rows for
 * 3-5 or 9-10). Each sink has delivered, pending, retrying, inflight (a process died mid-delivery) and dead rows.
 */
function writeSchema2(path: string): void {
  const db = new Database(path);
  try {
    migrate(db, migrations.slice(0, 2));
    const insert = db.prepare('INSERT INTO events (key, topic, payload, received_at) VALUES (?, ?, ?, ?)');
    for (let i = 1; i <= 10; i++) {
      const event = makeEvent(i, 0, new Date(T0 + i).toISOString());
      insert.run(event.relay.key, event.topicName, JSON.stringify(event), T0 + i);
    }
    db.exec(`INSERT INTO sinks VALUES ('a', 1, 0), ('b', 0, 0)`);
    const row = db.prepare(
      `INSERT INTO deliveries (seq, sink, state, attempts, next_attempt_at, last_error, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const rows: Record<string, Row[]> = {
      a: [
        [1, 'delivered', 1],
        [2, 'dead', 3, 0, '503'],
        [3, 'pending', 2, T0 - 1, 'timeout'], // retrying, due
        [4, 'delivered', 1],
        [5, 'inflight', 1],
        [6, 'pending'],
        [7, 'delivered', 1],
        [8, 'pending'],
        [9, 'dead', 1, 0, 'permanent: 400'],
        [10, 'pending'],
      ],
      b: [
        [1, 'pending'],
        [2, 'delivered', 1],
        [6, 'pending', 1, T0 + 60_000, 'Retry-After'], // retrying, not due for a minute
        [7, 'dead', 10, 0, 'gave up'],
        [8, 'pending'],
      ],
    };
    for (const [sink, list] of Object.entries(rows)) {
      for (const [seq, state, attempts = 0, at = 0, error = null] of list) {
        row.run(seq, sink, state, attempts, at, error, T0);
      }
    }
  } finally {
    db.close();
  }
}

/** Claims and acks everything due for `sink`, batch by batch; returns [seq, attempts] in the order handed out. */
function drain(outbox: Outbox, sink: string, batch = 2): [number, number][] {
  const out: [number, number][] = [];
  for (let claimed = outbox.claim(sink, batch).events; claimed.length > 0; claimed = outbox.claim(sink, batch).events) {
    out.push(...claimed.map((c): [number, number] => [c.seq, c.attempts]));
    outbox.settle(
      sink,
      claimed.map((c) => ({ seq: c.seq, action: 'ack' as const })),
    );
  }
  return out;
}

describe('an outbox written by schema 2 with undelivered rows', () => {
  it('migrates to the cursor and delivers every pending row once, in order; dead letters stay listable', () => {
    const { dir, cleanup } = tempDir();
    const path = join(dir, 'outbox.sqlite');
    const clock = new ManualClock(T0);
    try {
      writeSchema2(path);
      let outbox = new SqliteOutbox({ path, clock, pruneIntervalMs: 0 });
      const stats = outbox.stats();
      assert.deepEqual(
        stats.sinks.map((s) => [s.sink, s.active, s.pending, s.inflight, s.delivered, s.dead, s.oldestPendingAt]),
        [
          ['a', true, 5, 0, 3, 2, T0 + 3],
          ['b', false, 3, 0, 1, 1, T0 + 1],
        ],
      );
      assert.deepEqual(
        outbox.listDead('a', 10).map((d) => [d.seq, d.attempts, d.lastError]),
        [
          [2, 3, '503'],
          [9, 1, 'permanent: 400'],
        ],
      );
      // Attempts carry over: 3 was retried twice, 5 was in flight when its process died (counted, as schema 2 did).
      assert.deepEqual(drain(outbox, 'a'), [
        [3, 3],
        [5, 2],
        [6, 1],
        [8, 1],
        [10, 1],
      ]);
      // b's head is not due for a minute: strict order holds its later rows back until then.
      assert.deepEqual(drain(outbox, 'b'), [[1, 1]]);
      assert.equal(outbox.claim('b', 10).nextDueAt, T0 + 60_000);
      clock.advance(60_000);
      assert.deepEqual(drain(outbox, 'b'), [
        [6, 2],
        [8, 1],
      ]);
      // b is inactive: an event appended now is a's only.
      outbox.appendSync(makeEvent(11));
      assert.deepEqual(drain(outbox, 'b'), []);
      assert.deepEqual(drain(outbox, 'a'), [[11, 1]]);
      assert.equal(outbox.requeueDead('a', { keys: [makeEvent(2).relay.key] }), 1);
      assert.deepEqual(drain(outbox, 'a'), [[2, 1]]);
      outbox.close();

      outbox = new SqliteOutbox({ path, clock, pruneIntervalMs: 0 });
      assert.deepEqual([drain(outbox, 'a'), drain(outbox, 'b')], [[], []], 'nothing twice after a reopen');
      assert.deepEqual(
        outbox.stats().sinks.map((s) => [s.sink, s.pending, s.delivered, s.dead]),
        [
          ['a', 0, 10, 1],
          ['b', 0, 4, 1],
        ],
      );
      assert.deepEqual(
        outbox.listDead('b', 10).map((d) => [d.seq, d.attempts, d.lastError]),
        [[7, 10, 'gave up']],
      );
      assert.equal(outbox.purgeDead('b', { all: true }), 1);
      outbox.close();
    } finally {
      cleanup();
    }
  });
});
