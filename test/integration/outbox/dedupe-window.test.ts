import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { migrate, migrations } from '../../../src/outbox/migrations.ts';
import { makeEvent } from './helpers.ts';
import { useOutboxFixture } from './outbox-fixture.ts';

/**
 * Issue 10: de-duplication by `relay.key` is done in memory over the newest `dedupeWindowEvents` events (no UNIQUE
 * index on a random key for every append to update), and schema 4 drops that index from existing files.
 */
describe('SqliteOutbox de-duplication window and schema 4', () => {
  const fx = useOutboxFixture();

  it('drops a copy of any of the newest N events, also after reopen; an older copy is stored again', () => {
    let outbox = fx.open({ dedupeWindowEvents: 3 });
    for (let i = 1; i <= 5; i++) assert.equal(outbox.appendSync(makeEvent(i)).seq, i);
    assert.equal(outbox.appendSync(makeEvent(3)).duplicate, true, 'event 3 is among the newest 3');
    assert.deepEqual(outbox.appendSync(makeEvent(1)), { key: makeEvent(1).relay.key, seq: 6, duplicate: false });
    outbox.close();

    outbox = fx.open({ dedupeWindowEvents: 3 });
    assert.equal(outbox.appendSync(makeEvent(5)).duplicate, true, 'the newest keys are read back at open');
    assert.equal(outbox.appendSync(makeEvent(1)).duplicate, true, 'and the copy stored last counts as newest');
    assert.equal(outbox.appendSync(makeEvent(2)).seq, 7, 'event 2 fell out of the window');
    assert.equal(fx.committed(), 7);
  });

  it('a group whose commit fails is retried whole: none of its keys is taken as seen meanwhile', async () => {
    const outbox = fx.open({ flushIntervalMs: 5, commitRetryBaseMs: 10, commitRetryMaxMs: 10 });
    outbox.appendSync(makeEvent(0)); // the schema exists before the trigger is added
    // The third insert of the group fails after two succeeded, so the whole transaction rolls back.
    const poison = makeEvent(3).relay.key;
    const other = new Database(fx.path);
    other.exec(
      `CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.key = '${poison}' BEGIN SELECT RAISE(ABORT, 'poisoned'); END`,
    );
    const appends = [1, 2, 3].map((i) => outbox.append(makeEvent(i)));
    fx.clock.advance(5);
    assert.match(outbox.writeBlockedReason ?? '', /poisoned/);
    assert.equal(fx.committed(), 1, 'nothing of the group was committed');
    other.exec('DROP TRIGGER poison');
    other.close();
    fx.clock.advance(10);
    assert.equal(outbox.writeBlockedReason, undefined);
    assert.deepEqual(
      (await Promise.all(appends)).map((r) => [r.seq, r.duplicate]),
      [
        [2, false],
        [3, false],
        [4, false],
      ],
    );
    assert.equal(outbox.appendSync(makeEvent(2)).duplicate, true, 'once committed, the keys are seen');
  });

  it('schema 3 -> 4 and on: same seqs, keys and owed rows; no key index; a seq is never reused; counts kept', () => {
    writeSchema3(fx.path);
    const outbox = fx.open();
    const db = new Database(fx.path, { readonly: true });
    try {
      assert.equal(db.pragma('user_version', { simple: true }), 5);
      const indexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'`);
      assert.deepEqual(indexes.pluck().all(), []);
      const rows = db.prepare('SELECT seq, key FROM events ORDER BY seq').all() as { seq: number; key: string }[];
      assert.deepEqual(
        rows.map((r) => [r.seq, r.key]),
        [1, 2, 3, 4, 5, 6, 7, 8].map((i) => [i, makeEvent(i).relay.key]),
      );
    } finally {
      db.close();
    }
    assert.equal(outbox.appendSync(makeEvent(8)).duplicate, true, 'keys of the old file are de-duplicated');
    assert.equal(outbox.appendSync(makeEvent(11)).seq, 11, 'seqs 9 and 10 were used before retention removed them');
    assert.equal(outbox.stats().events, 9);
    const claimed = outbox.claim('a', 100).events;
    assert.deepEqual(
      claimed.map((c) => c.seq),
      [5, 7, 8, 11],
      'owed: above the cursor, without the dead letter',
    );
    assert.equal(claimed[0]?.event.relay.key, makeEvent(5).relay.key);
    assert.equal(outbox.listDead('a', 10)[0]?.key, makeEvent(6).relay.key);
    assert.equal(outbox.requeueDead('a', { keys: [makeEvent(6).relay.key] }), 1, 'dead letters found by key');
  });
});

/**
 * An outbox file as schema 3 wrote it: events 1-10 of which retention removed 9 and 10 (the AUTOINCREMENT mark stays
 * at 10); sink "a" delivered up to 4, event 6 is a dead letter.
 */
function writeSchema3(path: string): void {
  const db = new Database(path);
  try {
    migrate(db, migrations.slice(0, 3));
    const insert = db.prepare('INSERT INTO events (key, topic, payload, received_at) VALUES (?, ?, ?, ?)');
    for (let i = 1; i <= 10; i++) {
      const event = makeEvent(i);
      insert.run(event.relay.key, event.topicName, JSON.stringify(event), i);
    }
    db.exec(`
      DELETE FROM events WHERE seq > 8;
      INSERT INTO sinks (name, active, registered_at) VALUES ('a', 1, 0);
      INSERT INTO sink_cursor (sink, acked_to, claimed_to, horizon, since, delivered, dead) VALUES ('a', 4, 4, NULL, 0, 4, 1);
      INSERT INTO sink_exception (sink, seq, state, attempts, next_attempt_at, last_error, updated_at)
        VALUES ('a', 6, 'dead', 3, 0, '503', 0);
    `);
  } finally {
    db.close();
  }
}
