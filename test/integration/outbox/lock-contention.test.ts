import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Dispatcher } from '../../../src/outbox/dispatcher.ts';
import { SqliteOutbox, type SqliteOutboxOptions } from '../../../src/outbox/sqlite-outbox.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { keys, makeEvent, RecordingSink, tempDir, waitFor } from './helpers.ts';

/**
 * A write refused because another connection holds the write lock (SQLITE_BUSY, as beside `dlq retry --all`) is
 * tried again after a random 1-10 ms, not after the pause of other failures, so it gets into the short gaps a bulk
 * operation leaves between its chunks: the outbox's commits and a sink's claims alike. Real SQLite, a second real
 * connection (`other`) holding BEGIN IMMEDIATE; time is a ManualClock.
 */
describe("outbox writes refused for another connection's write lock", () => {
  let cleanup: () => void;
  let path: string;
  let clock: ManualClock;
  /** Opened by `open`, once the outbox has created the file. */
  let other: Database.Database | undefined;
  let outbox: SqliteOutbox | undefined;
  let dispatcher: Dispatcher | undefined;
  /** What the outbox's write hooks heard of failed commits. */
  let failures: string[];

  const open = (options: Partial<SqliteOutboxOptions> = {}): SqliteOutbox => {
    outbox = new SqliteOutbox({
      path,
      clock,
      pruneIntervalMs: 0,
      writeBusyTimeoutMs: 0,
      commitRetryBaseMs: 10,
      commitRetryMaxMs: 500,
      writeHooks: { onFailure: (reason) => failures.push(reason) },
      ...options,
    });
    other = new Database(path, { timeout: 0 });
    return outbox;
  };
  const holder = (): Database.Database => {
    assert.ok(other, 'open() first');
    return other;
  };

  beforeEach(() => {
    let dir: string;
    ({ dir, cleanup } = tempDir());
    path = join(dir, 'outbox.sqlite');
    clock = new ManualClock();
    failures = [];
  });
  afterEach(async () => {
    if (other?.inTransaction) other.prepare('ROLLBACK').run();
    other?.close();
    other = undefined;
    await dispatcher?.close({ drainTimeoutMs: 1_000 });
    dispatcher = undefined;
    outbox?.close();
    outbox = undefined;
    cleanup();
  });

  it('a commit is retried every 1-10 ms while refused, and lands within 10 ms of the lock coming free', async () => {
    const writer = open();
    holder().prepare('BEGIN IMMEDIATE').run();
    let durable = false;
    const append = writer.append(makeEvent(1)).then(() => (durable = true));
    await clock.advanceAsync(5); // the group's commit interval: the first refusal
    await clock.advanceAsync(200);
    assert.ok(failures.length >= 20, `${failures.length} refusals in 200 ms: a doubling pause would have made 5`);
    assert.ok(
      failures.every((f) => f === 'database is locked'),
      failures[0],
    );
    holder().prepare('COMMIT').run();
    await clock.advanceAsync(10);
    assert.equal(durable, true, 'committed within 10 ms of the lock coming free');
    await append;
    assert.equal(writer.stats().events, 1);
  });

  it('other failures keep the doubling pause', async () => {
    const writer = open();
    // Not a lock: a trigger makes every insert into events abort.
    holder().exec(`CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'refused by test'); END`);
    void writer.append(makeEvent(1)).catch(() => undefined);
    await clock.advanceAsync(5);
    await clock.advanceAsync(200);
    // Refusals at 5, 15, 35, 75, 155 ms.
    assert.equal(failures.length, 5, failures.join(', '));
    holder().exec('DROP TRIGGER refuse');
  });

  it('a sink claim refused for the lock is tried again within 10 ms, and reported only once it lasts', async () => {
    const writer = open();
    const sink = new RecordingSink('rec', 10, () => clock.now());
    const reported: string[] = [];
    dispatcher = new Dispatcher({
      outbox: writer,
      sinks: [sink],
      clock,
      pollIntervalMs: 60_000,
      errorPauseMs: 1_000,
      hooks: { onError: (_sink, err) => reported.push((err as Error).message) },
    });
    writer.appendSync(makeEvent(1));
    holder().prepare('BEGIN IMMEDIATE').run();
    dispatcher.start();
    await clock.advanceAsync(200);
    assert.equal(sink.calls.length, 0, 'nothing claimed while the lock is held');
    assert.deepEqual(reported, [], 'a short contention is not reported');
    holder().prepare('COMMIT').run();
    await clock.advanceAsync(10);
    await waitFor(() => sink.delivered.length === 1, 'claimed within 10 ms of the lock coming free');
    // A lock held for 2.5 s: reported once it has lasted errorPauseMs, then at most once per errorPauseMs.
    writer.appendSync(makeEvent(2));
    holder().prepare('BEGIN IMMEDIATE').run();
    for (let ms = 0; ms < 2_500; ms += 50) await clock.advanceAsync(50);
    assert.equal(reported.length, 2, reported.join(' | '));
    assert.match(reported[0] ?? '', /locked/);
    holder().prepare('COMMIT').run();
    await clock.advanceAsync(10);
    await waitFor(() => sink.delivered.length === 2, 'the second event once the lock is free');
    assert.deepEqual(sink.delivered, keys(1, 2));
  });
});
