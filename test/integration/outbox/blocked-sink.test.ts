import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Dispatcher } from '../../../src/outbox/dispatcher.ts';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { keys, makeEvent, RecordingSink, tempDir, waitFor } from './helpers.ts';

const BLOCKED_RETRY_MS = 60_000;
const REASON = 'POST /x: HTTP 401 (authentication failed: check sinks.x.auth)';

describe('Dispatcher with a blocked sink (wrong credentials)', () => {
  let dir: string;
  let cleanup: () => void;
  let clock: ManualClock;
  let outbox: SqliteOutbox;
  let dispatcher: Dispatcher | undefined;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    clock = new ManualClock();
    outbox = new SqliteOutbox({ path: join(dir, 'outbox.sqlite'), pruneIntervalMs: 0, clock });
  });
  afterEach(async () => {
    await dispatcher?.close({ drainTimeoutMs: 1_000 });
    dispatcher = undefined;
    outbox.close();
    cleanup();
  });

  /**
   * Attempts recorded per deferred row (an exception row of the outbox's sink cursor), read through a second
   * connection (the outbox does not expose them).
   */
  const attempts = (): number[] => {
    const db = new Database(join(dir, 'outbox.sqlite'), { readonly: true });
    try {
      return db
        .prepare(`SELECT attempts FROM sink_exception WHERE state = 'pending' ORDER BY seq`)
        .pluck()
        .all() as number[];
    } finally {
      db.close();
    }
  };

  it('keeps everything queued without counting attempts, retries only every blockedRetryMs, then delivers in order', async () => {
    let fixed = false;
    let failedCall = -1;
    const sink = new RecordingSink('sn', 100, () => clock.now());
    sink.respond = (_event, call) => {
      if (!fixed) return { kind: 'blocked', error: REASON };
      // One ordinary failure of a whole batch after the fix: it must find the full attempt budget (maxAttempts 2).
      return call === failedCall ? { kind: 'retryable', error: '503' } : { kind: 'delivered' };
    };
    const changes: string[] = [];
    let retries = 0;
    dispatcher = new Dispatcher({
      outbox,
      sinks: [sink],
      clock,
      pollIntervalMs: 1_000,
      policy: {
        maxAttempts: 2,
        blockedRetryMs: BLOCKED_RETRY_MS,
        backoff: { baseMs: 10, maxMs: 10, firstImmediate: true },
      },
      hooks: {
        onBlocked: (name, error) => changes.push(`blocked ${name}: ${error}`),
        onUnblocked: (name) => changes.push(`unblocked ${name}`),
        onRetry: () => retries++,
      },
    });
    dispatcher.start();

    for (let i = 0; i < 3; i++) outbox.appendSync(makeEvent(i));
    await waitFor(() => sink.calls.length === 1, 'the first (blocked) batch');
    assert.deepEqual(changes, [`blocked sn: ${REASON}`]);
    assert.equal(dispatcher.blocked()['sn']?.reason, REASON);

    // Five blocked rounds while new events keep arriving (each commit wakes the worker, polls run every second).
    for (let round = 1; round <= 5; round++) {
      outbox.appendSync(makeEvent(2 + round));
      await clock.advanceAsync(BLOCKED_RETRY_MS - 1);
      assert.equal(sink.calls.length, round, `round ${round}: no delivery before the blocked retry is due`);
      await clock.advanceAsync(1);
      await waitFor(() => sink.calls.length === round + 1, `round ${round}: the retry once due`);
      assert.deepEqual(sink.calls[round]?.keys, keys(0, 3 + round), 'the whole backlog, in order');
    }
    await waitFor(() => attempts().length === 8 && attempts().every((a) => a === 0), 'no attempt counted');
    assert.deepEqual(outbox.listDead('sn', 100), []);
    assert.equal(retries, 0, 'a blocked batch is not a failed attempt');
    assert.equal(changes.length, 1, 'onBlocked once, not per batch');

    fixed = true;
    failedCall = sink.calls.length;
    await clock.advanceAsync(BLOCKED_RETRY_MS);
    await waitFor(() => sink.calls.length >= 7, 'the first try after the fix (503)');
    await clock.advanceAsync(10);
    await waitFor(() => sink.delivered.length === 8, 'the backlog delivered');
    assert.deepEqual(sink.delivered, keys(0, 8));
    assert.deepEqual(outbox.listDead('sn', 100), []);
    assert.equal(outbox.stats().sinks[0]?.delivered, 8);
    assert.deepEqual(changes, [`blocked sn: ${REASON}`, 'unblocked sn']);
    assert.deepEqual(dispatcher.blocked(), {});
  });
});
