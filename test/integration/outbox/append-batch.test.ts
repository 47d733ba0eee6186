import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteOutbox, type SqliteOutboxOptions } from '../../../src/outbox/sqlite-outbox.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { makeEvent, tempDir, waitFor } from './helpers.ts';
import { holdWriteLock } from './write-lock-holder.ts';

/** Issue 10: per-commit acknowledgement (appendToBatch) and the rate-following commit interval, on a real file. */
describe('SqliteOutbox.appendToBatch and flushIntervalMaxMs', () => {
  let dir: string;
  let cleanup: () => void;
  const opened: SqliteOutbox[] = [];
  const open = (options: Partial<SqliteOutboxOptions> = {}): SqliteOutbox => {
    const outbox = new SqliteOutbox({ path: join(dir, 'outbox.sqlite'), pruneIntervalMs: 0, ...options });
    opened.push(outbox);
    return outbox;
  };
  /** Events committed, as another process sees them. */
  const committed = (): number => {
    const db = new Database(join(dir, 'outbox.sqlite'), { readonly: true });
    try {
      return db.prepare('SELECT count(*) FROM events').pluck().get() as number;
    } finally {
      db.close();
    }
  };

  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => {
    for (const o of opened.splice(0)) o.close();
    cleanup();
  });

  it('one promise per commit, resolved only once another process sees every event of it, with each result', async () => {
    const clock = new ManualClock();
    const outbox = open({ clock, flushIntervalMs: 5, groupCommitMaxEvents: 100 });
    const first = outbox.appendToBatch(makeEvent(1));
    const batch = [2, 3, 1].map((i) => outbox.appendToBatch(makeEvent(i))); // 1 again: a duplicate in the group
    assert.ok(
      batch.every((p) => p === first),
      'the same promise for every event of the group',
    );
    let resolved = false;
    void first.then(() => (resolved = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(resolved, false);
    assert.equal(committed(), 0);
    clock.advance(5);
    const done = await first;
    assert.equal(committed(), 3);
    assert.deepEqual(
      done.items.map((i) => i.event.relay.key),
      [1, 2, 3, 1].map((i) => makeEvent(i).relay.key),
    );
    assert.deepEqual(
      done.results.map((r) => [r.seq, r.duplicate]),
      [
        [1, false],
        [2, false],
        [3, false],
        [undefined, true],
      ],
    );
    assert.notEqual(outbox.appendToBatch(makeEvent(4)), first, 'the next commit has its own promise');
  });

  it('a steady stream commits once per flushIntervalMaxMs, a lone event after a pause after flushIntervalMs', async () => {
    const clock = new ManualClock();
    const outbox = open({ clock, flushIntervalMs: 5, flushIntervalMaxMs: 15, groupCommitMaxEvents: 1_000 });
    let commits = 0;
    outbox.onCommit(() => commits++);
    // 250 events/s for 2 s (5 events' worth of the gap is 20 ms, above the bound): a commit every 5 ms would be 400.
    for (let i = 0; i < 500; i++) {
      void outbox.append(makeEvent(i));
      clock.advance(4);
    }
    clock.advance(20);
    assert.equal(committed(), 500);
    assert.ok(commits <= 2_000 / 15 + 10, `${commits} commits for 500 events at 250/s`);
    clock.advance(5_000);
    const lone = outbox.append(makeEvent(10_000));
    clock.advance(5);
    assert.equal((await lone).seq, 501, 'a lone event after a pause waits flushIntervalMs');
  });

  it('while another process holds the write lock the batch stays pending, then resolves once committed', async () => {
    const outbox = open({ flushIntervalMs: 2, flushIntervalMaxMs: 10, writeBusyTimeoutMs: 0, commitRetryMaxMs: 50 });
    outbox.appendSync(makeEvent(0)); // the file and schema exist before the other process opens it
    const holder = await holdWriteLock(join(dir, 'outbox.sqlite'), 1_000);
    const batch = [1, 2, 3].map((i) => outbox.appendToBatch(makeEvent(i)));
    let resolved = false;
    void batch[0]!.then(() => (resolved = true));
    await waitFor(() => outbox.writeBlockedReason !== undefined, 'a failed commit while the lock is held');
    assert.match(outbox.writeBlockedReason ?? '', /locked|busy/);
    assert.equal(resolved, false, 'nothing acknowledged while it cannot be committed');
    await holder.released;
    const done = await batch[0]!;
    assert.deepEqual(
      done.results.map((r) => r.seq),
      [2, 3, 4],
    );
    assert.equal(committed(), 4);
    assert.equal(outbox.writeBlockedReason, undefined);
  });
});
