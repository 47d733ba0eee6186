import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ClosedError } from '../../../src/core/errors.ts';
import type { AppendResult } from '../../../src/outbox/outbox.ts';
import { OutboxError } from '../../../src/outbox/outbox-error.ts';
import { makeEvent } from './helpers.ts';
import { useOutboxFixture } from './outbox-fixture.ts';

describe('SqliteOutbox', () => {
  const fx = useOutboxFixture();
  const { open, committed } = fx;

  it('sets WAL, synchronous=FULL and the schema version', () => {
    open().close();
    const db = new Database(fx.path);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('user_version', { simple: true }), 5);
    db.pragma('user_version = 99');
    db.close();
    assert.throws(() => open(), OutboxError);
  });

  it('makes a new file with 8 KiB pages; a file made with 4 KiB pages keeps them and works', () => {
    open().close();
    const made = new Database(fx.path);
    assert.equal(made.pragma('page_size', { simple: true }), 8192);
    made.close();

    // An outbox of an earlier relay (SQLite's default 4096), holding an undelivered event.
    const oldPath = join(fx.dir, 'old.sqlite');
    const old = new Database(oldPath);
    old.pragma('page_size = 4096');
    old.pragma('journal_mode = WAL');
    old.close();
    const before = open({ path: oldPath });
    before.setActiveSinks(['a']);
    before.appendSync(makeEvent(1));
    before.close();
    const after = open({ path: oldPath });
    after.appendSync(makeEvent(2));
    assert.deepEqual(
      after.claim('a', 10).events.map((e) => e.event.relay.key),
      [makeEvent(1).relay.key, makeEvent(2).relay.key],
    );
    after.close();
    const reopened = new Database(oldPath);
    assert.equal(reopened.pragma('page_size', { simple: true }), 4096);
    reopened.close();
  });

  it("its own connection commits with synchronous=FULL in WAL; the relay's writer has busy_timeout 0", () => {
    const outbox = open({ writeBusyTimeoutMs: 0 });
    outbox.setActiveSinks(['a']);
    let syncAtCommit: unknown;
    outbox.onCommit(() => (syncAtCommit = outbox.pragma('synchronous')));
    outbox.appendSync(makeEvent(1));
    assert.equal(syncAtCommit, 2, 'FULL (2) right after an append commit');
    // Delivery bookkeeping runs relaxed (NORMAL) and must hand the connection back at FULL.
    const [claimed] = outbox.claim('a', 10).events;
    assert.ok(claimed);
    outbox.settle('a', [{ seq: claimed.seq, action: 'ack' }]);
    assert.equal(outbox.pragma('synchronous'), 2);
    assert.equal(outbox.pragma('journal_mode'), 'wal');
    assert.equal(outbox.pragma('busy_timeout'), 0);
    assert.equal(open({ path: join(fx.dir, 'other.sqlite') }).pragma('busy_timeout'), 5_000, 'the default waits');
  });

  it('a group of N appends writes N rows, and every active sink is owed all of them, in order', async () => {
    const outbox = open({ groupCommitMaxEvents: 100, flushIntervalMs: 1_000 });
    outbox.setActiveSinks(['a', 'b', 'c']);
    outbox.appendSync(makeEvent(0)); // a group of one first, so the group below does not start at seq 1
    const group = [1, 2, 3, 4, 5, 6, 7].map((i) => outbox.append(makeEvent(i)));
    outbox.append(makeEvent(3)).catch(() => undefined); // a duplicate inside the group fans out nothing
    outbox.flush();
    const seqs = (await Promise.all(group)).map((r) => r.seq);
    assert.deepEqual(seqs, [2, 3, 4, 5, 6, 7, 8]);
    assert.equal(committed('events'), 8, 'one row per event, whatever the number of sinks');
    for (const sink of ['a', 'b', 'c']) {
      const claimed = outbox.claim(sink, 100).events;
      assert.deepEqual(
        claimed.map((c) => c.event.relay.key),
        [0, 1, 2, 3, 4, 5, 6, 7].map((i) => makeEvent(i).relay.key),
        `sink ${sink} gets every event of the group`,
      );
    }
  });

  it("a group of 100 (32 rows a statement) gets each row's seq, after the newest rows were deleted", async () => {
    const outbox = open({ groupCommitMaxEvents: 200, flushIntervalMs: 1_000 });
    outbox.setActiveSinks(['a']);
    for (let i = 0; i < 5; i++) outbox.appendSync(makeEvent(i));
    // Seqs are never reused: the next ones follow 5 even with the table empty.
    const other = new Database(fx.path);
    other.exec('DELETE FROM events');
    // Copies (of an earlier group's event, and of events just before them) sit between the rows, so the rows a
    // statement writes are not the group's events at the same places.
    const copies = [outbox.append(makeEvent(2))];
    const appends: Promise<AppendResult>[] = [];
    for (let i = 100; i < 200; i++) {
      appends.push(outbox.append(makeEvent(i)));
      if (i === 131 || i === 132 || i === 163) copies.push(outbox.append(makeEvent(i)));
    }
    outbox.flush();
    const results = await Promise.all(appends);
    const stored = other.prepare('SELECT seq FROM events WHERE key = ?').pluck();
    assert.deepEqual(
      results.map((r) => r.seq),
      results.map((r) => stored.get(r.key)),
    );
    assert.deepEqual(
      results.map((r) => r.seq),
      Array.from({ length: 100 }, (_, i) => 6 + i),
    );
    assert.equal(committed('events'), 100);
    assert.deepEqual(
      (await Promise.all(copies)).map((r) => r.duplicate),
      [true, true, true, true],
    );
    other.close();
  });

  it('group commit: appends resolve only once committed, by size or by interval', async () => {
    const outbox = open({ groupCommitMaxEvents: 3, flushIntervalMs: 5 });
    let resolved = 0;
    const first = [0, 1].map((i) => outbox.append(makeEvent(i)).then(() => resolved++));
    await Promise.resolve();
    assert.equal(resolved, 0);
    assert.equal(committed(), 0, 'nothing written before the group closes');
    fx.clock.advance(5);
    await Promise.all(first);
    assert.equal(committed(), 2);
    const byCount = [2, 3, 4].map((i) => outbox.append(makeEvent(i)));
    assert.equal(committed(), 5, 'the third append of a group commits at once');
    const results = await Promise.all(byCount);
    assert.deepEqual(
      results.map((r) => r.seq),
      [3, 4, 5],
    );
  });

  it('appendSync and flush commit what is buffered, in order', () => {
    const outbox = open({ flushIntervalMs: 1_000 });
    const pending = outbox.append(makeEvent(0));
    assert.equal(outbox.appendSync(makeEvent(1)).seq, 2);
    assert.equal(committed(), 2);
    void outbox.append(makeEvent(2));
    outbox.flush();
    assert.equal(committed(), 3);
    return pending.then((r) => assert.equal(r.seq, 1));
  });

  it('ignores a duplicate key, within a group and across reopen', async () => {
    let outbox = open();
    outbox.setActiveSinks(['a']);
    const both = [outbox.append(makeEvent(1)), outbox.append(makeEvent(1))];
    fx.clock.advance(5);
    const [x, y] = await Promise.all(both);
    assert.deepEqual([x?.duplicate, y?.duplicate], [false, true]);
    outbox.close();
    outbox = open();
    assert.deepEqual(outbox.appendSync(makeEvent(1)), { key: makeEvent(1).relay.key, seq: undefined, duplicate: true });
    assert.equal(committed(), 1);
    assert.deepEqual(
      outbox.claim('a', 10).events.map((c) => c.seq),
      [1],
      'a duplicate is owed to no sink',
    );
  });

  it('fans out to active sinks only; claims in order and settles', () => {
    const outbox = open();
    outbox.setActiveSinks(['a', 'b']);
    outbox.appendSync(makeEvent(1));
    outbox.setActiveSinks(['a']);
    outbox.appendSync(makeEvent(2));
    assert.deepEqual(outbox.sinkNames(), ['a', 'b']);
    assert.deepEqual(
      outbox.claim('a', 10).events.map((c) => [c.seq, c.attempts]),
      [
        [1, 1],
        [2, 1],
      ],
    );
    assert.equal(outbox.claim('b', 10).events.length, 1);
    outbox.settle('a', [
      { seq: 1, action: 'ack' },
      { seq: 2, action: 'retry', at: fx.clock.now() + 1_000, error: 'busy' },
    ]);
    const head = outbox.claim('a', 10);
    assert.deepEqual(head, { events: [], nextDueAt: fx.clock.now() + 1_000 });
    fx.clock.advance(1_000);
    assert.deepEqual(
      outbox.claim('a', 10).events.map((c) => [c.seq, c.attempts]),
      [[2, 2]],
    );
  });

  it('keeps strict order: a retry at the head holds back later due rows', () => {
    const outbox = open();
    outbox.setActiveSinks(['a']);
    for (let i = 0; i < 3; i++) outbox.appendSync(makeEvent(i));
    outbox.claim('a', 1);
    outbox.settle('a', [{ seq: 1, action: 'retry', at: fx.clock.now() + 50, error: 'x' }]);
    assert.equal(outbox.claim('a', 10).events.length, 0);
    fx.clock.advance(50);
    assert.deepEqual(
      outbox.claim('a', 10).events.map((c) => c.seq),
      [1, 2, 3],
    );
  });

  it('puts inflight rows back to pending on reopen, and release does not count the attempt', () => {
    let outbox = open();
    outbox.setActiveSinks(['a']);
    outbox.appendSync(makeEvent(1));
    outbox.appendSync(makeEvent(2));
    outbox.claim('a', 10);
    outbox.release('a', [2]);
    outbox.close();
    outbox = open();
    assert.deepEqual(
      outbox.claim('a', 10).events.map((c) => [c.seq, c.attempts]),
      [
        [1, 2],
        [2, 1],
      ],
    );
    const cli = open({ recoverInflight: false });
    assert.equal(cli.stats().sinks[0]?.inflight, 2, 'a second opener leaves a running relay’s rows alone');
  });

  it('dead letters: list, requeue by key or all, purge; unknown sink is an error', () => {
    const outbox = open();
    outbox.setActiveSinks(['a']);
    for (let i = 0; i < 3; i++) outbox.appendSync(makeEvent(i));
    outbox.claim('a', 10);
    outbox.settle('a', [
      { seq: 1, action: 'deadLetter', reason: 'r1' },
      { seq: 2, action: 'deadLetter', reason: 'r2' },
      { seq: 3, action: 'deadLetter', reason: 'r3' },
    ]);
    const dead = outbox.listDead('a', 2);
    assert.deepEqual(
      dead.map((d) => [d.key, d.attempts, d.lastError]),
      [
        [makeEvent(0).relay.key, 1, 'r1'],
        [makeEvent(1).relay.key, 1, 'r2'],
      ],
    );
    assert.equal(outbox.requeueDead('a', { keys: [makeEvent(1).relay.key] }), 1);
    assert.deepEqual(
      outbox.claim('a', 10).events.map((c) => [c.seq, c.attempts]),
      [[2, 1]],
    );
    assert.equal(outbox.purgeDead('a', { keys: [makeEvent(2).relay.key] }), 1);
    assert.equal(outbox.requeueDead('a', { all: true }), 1);
    assert.equal(outbox.stats().sinks[0]?.dead, 0);
    assert.throws(() => outbox.listDead('nope', 1), /unknown sink "nope" \(known: a\)/);
  });

  it('replay marks delivered events pending again, from a seq or an instant, and backfills a new sink', () => {
    const outbox = open();
    outbox.setActiveSinks(['a']);
    const t0 = fx.clock.now();
    for (let i = 0; i < 4; i++) outbox.appendSync(makeEvent(i, 0, new Date(t0 + i * 1_000).toISOString()));
    outbox.claim('a', 10);
    outbox.settle(
      'a',
      [1, 2, 3, 4].map((seq) => ({ seq, action: 'ack' as const })),
    );
    assert.equal(outbox.replay('a', { fromSeq: 3 }), 2);
    assert.deepEqual(
      outbox.claim('a', 10).events.map((c) => c.seq),
      [3, 4],
    );
    outbox.setActiveSinks(['a', 'late']);
    assert.equal(outbox.replay('late', { sinceAt: t0 + 1_000 }), 3);
    assert.equal(outbox.stats().sinks.find((s) => s.sink === 'late')?.pending, 3);
  });

  it('retention drops finished old events, keeps pending ones, keeps dead ones unless over maxRows', () => {
    const outbox = open({ retentionMs: 10_000, maxRows: 3 });
    outbox.setActiveSinks(['a']);
    const old = new Date(fx.clock.now() - 20_000).toISOString();
    for (let i = 0; i < 5; i++) outbox.appendSync(makeEvent(i, 0, old));
    outbox.claim('a', 10);
    outbox.settle('a', [
      { seq: 1, action: 'ack' },
      { seq: 2, action: 'deadLetter', reason: 'x' },
      { seq: 3, action: 'ack' },
    ]);
    outbox.release('a', [4, 5]);
    assert.deepEqual(outbox.prune(), { expired: 2, evicted: 0 }, 'dead letter 2 and pending 4, 5 stay');
    const fresh = new Date(fx.clock.now()).toISOString();
    for (let i = 10; i < 12; i++) outbox.appendSync(makeEvent(i, 0, fresh));
    outbox.claim('a', 10);
    outbox.settle(
      'a',
      [4, 5, 6, 7].map((seq) => ({ seq, action: 'ack' as const })),
    );
    // 2 (dead), 4, 5 (old, done) and 6, 7 (young, done): 4 and 5 expire; 3 rows left = maxRows, nothing evicted.
    assert.deepEqual(outbox.prune(), { expired: 2, evicted: 0 });
    outbox.appendSync(makeEvent(20));
    // Now 4 rows > 3: the oldest finished one goes first, even though it is a dead letter.
    assert.deepEqual(outbox.prune(), { expired: 0, evicted: 1 });
    assert.deepEqual(outbox.listDead('a', 10), []);
    const stats = outbox.stats();
    assert.equal(stats.events, 3);
    assert.equal(stats.lastSeq, 8);
  });

  it('maxRows never evicts undelivered events', () => {
    const outbox = open({ maxRows: 1 });
    outbox.setActiveSinks(['a']);
    const at = fx.clock.now() - 5_000;
    for (let i = 0; i < 3; i++) outbox.appendSync(makeEvent(i, 0, new Date(at + i).toISOString()));
    assert.deepEqual(outbox.prune(), { expired: 0, evicted: 0 });
    const s = outbox.stats().sinks[0];
    assert.equal(s?.pending, 3);
    assert.equal(s?.oldestPendingAt, at);
  });

  it('an unserialisable event fails alone, not its group', async () => {
    const outbox = open();
    const bad = { ...makeEvent(1), eventBody: { n: 1n } };
    const settled = Promise.allSettled([outbox.append(makeEvent(0)), outbox.append(bad), outbox.append(makeEvent(2))]);
    fx.clock.advance(5);
    const results = await settled;
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.ok(results[1]?.status === 'rejected' && results[1].reason instanceof OutboxError);
    assert.equal(committed(), 2);
  });

  it('rejects use after close, and close commits the buffer', async () => {
    const outbox = open({ flushIntervalMs: 60_000 });
    const pending = outbox.append(makeEvent(1));
    outbox.close();
    assert.equal((await pending).seq, 1);
    assert.equal(committed(), 1);
    await assert.rejects(outbox.append(makeEvent(2)), ClosedError);
    assert.throws(() => outbox.stats(), ClosedError);
    outbox.close();
  });
});
