import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from '../../../src/outbox/group-commit.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';

function setup(fail = false): { gc: GroupCommit<number, string>; commits: number[][]; clock: ManualClock } {
  const clock = new ManualClock(0);
  const commits: number[][] = [];
  const gc = new GroupCommit<number, string>({
    clock,
    maxItems: 3,
    intervalMs: 10,
    commit: (items) => {
      if (fail) throw new Error('disk full');
      commits.push([...items]);
      return items.map((i) => `r${i}`);
    },
  });
  return { gc, commits, clock };
}

/** A commit that fails `failures` times (database locked), then records each group it writes. */
function lockedThen(failures: number): { commits: number[][]; commit: (items: readonly number[]) => string[] } {
  let failuresLeft = failures;
  const commits: number[][] = [];
  return {
    commits,
    commit: (items) => {
      if (failuresLeft-- > 0) throw new Error('database is locked');
      commits.push([...items]);
      return items.map((i) => `r${i}`);
    },
  };
}

describe('GroupCommit', () => {
  it('commits at maxItems at once, else intervalMs after the first item', async () => {
    const { gc, commits, clock } = setup();
    const a = gc.push(1);
    clock.advance(6);
    const b = gc.push(2);
    clock.advance(3);
    assert.deepEqual(commits, []);
    clock.advance(1);
    assert.deepEqual(commits, [[1, 2]], 'the timer counts from the first item, not the last');
    assert.deepEqual(await Promise.all([a, b]), ['r1', 'r2']);
    const c = [gc.push(3), gc.push(4), gc.push(5)];
    assert.deepEqual(commits[1], [3, 4, 5]);
    assert.equal(clock.pendingCount, 0, 'a size-triggered commit disarms the timer');
    assert.deepEqual(await Promise.all(c), ['r3', 'r4', 'r5']);
  });

  it('pushSync commits everything buffered with it', async () => {
    const { gc, commits } = setup();
    const early = gc.push(1);
    assert.equal(gc.pushSync(2), 'r2');
    assert.deepEqual(commits, [[1, 2]]);
    assert.equal(await early, 'r1');
    assert.equal(gc.size, 0);
  });

  it('a failed commit keeps its group and retries it with a doubling pause; one blocked/recovered per run', async () => {
    const clock = new ManualClock(0);
    let failuresLeft = 3;
    const commits: number[][] = [];
    const events: string[] = [];
    const gc = new GroupCommit<number, string>({
      clock,
      maxItems: 2,
      intervalMs: 5,
      retryBaseMs: 10,
      retryMaxMs: 25,
      commit: (items) => {
        if (failuresLeft-- > 0) throw new Error('database or disk is full');
        commits.push([...items]);
        return items.map((i) => `r${i}`);
      },
      onBlocked: (err) => events.push(`blocked: ${(err as Error).message}`),
      onRecovered: (failures) => events.push(`recovered after ${failures}`),
      onFailure: () => events.push('failure'),
    });
    let settled = 0;
    const first = [gc.push(1), gc.push(2)].map((p) => p.then((r) => (settled++, r)));
    assert.equal(gc.size, 2, 'the failed group stays buffered');
    assert.match(String(gc.blockedBy), /disk is full/);
    // Blocked: new items join the group; reaching maxItems does not hammer the disk with another commit.
    const later = gc.push(3);
    gc.push(4).catch(() => undefined);
    assert.deepEqual(events, ['blocked: database or disk is full', 'failure']);
    clock.advance(9);
    assert.equal(events.length, 2, 'first retry only after retryBaseMs');
    clock.advance(1); // 10 ms: second failure, next pause 20 ms
    clock.advance(19);
    assert.equal(events.filter((e) => e === 'failure').length, 2);
    clock.advance(1); // 30 ms: third failure, next pause capped at 25 ms
    clock.advance(25); // 55 ms: succeeds
    assert.deepEqual(commits, [[1, 2, 3, 4]], 'one commit of everything held, in order');
    assert.deepEqual(events, [
      'blocked: database or disk is full',
      'failure',
      'failure',
      'failure',
      'recovered after 3',
    ]);
    assert.deepEqual(await Promise.all(first), ['r1', 'r2']);
    assert.equal(await later, 'r3');
    assert.equal(settled, 2);
    assert.equal(gc.blockedBy, undefined);
  });

  it("a commit refused for another connection's lock is retried after a random 1-10 ms, not the doubling pause", () => {
    const clock = new ManualClock(0);
    const { commits, commit } = lockedThen(3);
    const draws = [0, 0.95, 0.5];
    const pauses: number[] = [];
    let lastFailureAt = 0;
    const gc = new GroupCommit<number, string>({
      clock,
      maxItems: 1,
      intervalMs: 5,
      retryBaseMs: 100,
      retryMaxMs: 1_000,
      commit,
      isContention: (err) => (err as Error).message === 'database is locked',
      random: () => draws.shift() ?? 0,
      onFailure: () => {
        pauses.push(clock.now() - lastFailureAt);
        lastFailureAt = clock.now();
      },
    });
    void gc.push(1);
    for (let ms = 0; ms < 30 && commits.length === 0; ms++) clock.advance(1);
    // Failures at 0, then 1 ms (draw 0), 10 ms (draw 0.95) later; the commit 6 ms (draw 0.5) after the last.
    assert.deepEqual(pauses, [0, 1, 10]);
    assert.equal(clock.now(), 17);
    assert.deepEqual(commits, [[1]]);
  });

  it('pushSync throws on a failed commit and drops only its own item; abandon rejects the rest', async () => {
    const { gc, clock } = setup(true);
    const a = gc.push(1);
    assert.throws(() => gc.pushSync(2), /disk full/);
    assert.equal(gc.size, 1, 'the earlier item is kept for the retry');
    assert.equal(gc.abandon(new Error('closed')), 1);
    await assert.rejects(a, /closed/);
    assert.equal(clock.pendingCount, 0, 'abandon clears the retry timer');
  });

  it('with maxIntervalMs the wait follows the rate: steady stream up to the bound, sparse or after a pause intervalMs', () => {
    const clock = new ManualClock(0);
    const commitTimes: number[] = [];
    const gc = new GroupCommit<number, number>({
      clock,
      maxItems: 1_000,
      intervalMs: 5,
      maxIntervalMs: 12,
      commit: (items) => (commitTimes.push(clock.now()), [...items]),
    });
    void gc.push(0);
    assert.equal(gc.currentWaitMs, 5, 'no rate known yet');
    clock.advance(5);
    assert.deepEqual(commitTimes, [5]);
    // 333 items/s: one every 3 ms. Once the running gap is known, each group waits the bound (5 x 3 ms > 12 ms).
    for (let i = 1; i <= 60; i++) {
      clock.advance(3);
      void gc.push(i);
    }
    assert.equal(gc.currentWaitMs, 12);
    const before = commitTimes.length;
    clock.advance(1);
    gc.flush(); // start the next group on a clean boundary
    void gc.push(61);
    const groupStart = clock.now();
    clock.advance(11);
    assert.equal(commitTimes.length, before + 1, 'only the explicit flush so far');
    clock.advance(1);
    assert.deepEqual(commitTimes.slice(-1), [groupStart + 12], 'a steady 333/s group waits 12 ms, not 5');
    // 500 items/s: 5 items' worth of the gap (10 ms) already fills a group; it need not wait the whole bound.
    for (let i = 0; i < 60; i++) {
      clock.advance(2);
      void gc.push(i);
    }
    assert.equal(Math.round(gc.currentWaitMs), 10);
    // 1,000 items/s: 5 items' worth is 5 ms, the unstretched interval.
    for (let i = 0; i < 60; i++) {
      clock.advance(1);
      void gc.push(i);
    }
    assert.equal(Math.round(gc.currentWaitMs), 5);
    gc.flush();
    // After a pause of a second the next lone item is not held back.
    clock.advance(1_000);
    void gc.push(62);
    assert.equal(gc.currentWaitMs, 5);
    clock.advance(5);
    assert.deepEqual(commitTimes.slice(-1), [clock.now()]);
    // Sparse: one item every 10 ms gains nothing from waiting 12 instead of 5, so it does not wait.
    for (let i = 0; i < 60; i++) {
      clock.advance(10);
      void gc.push(100 + i);
    }
    assert.equal(gc.currentWaitMs, 5);
  });

  it('without maxIntervalMs the wait stays intervalMs whatever the rate', () => {
    const { gc, clock } = setup();
    for (let i = 0; i < 50; i++) {
      void gc.push(i);
      clock.advance(1);
    }
    assert.equal(gc.currentWaitMs, 10);
  });

  it('pushToGroup: one promise per commit for all its items, resolved only after that commit, with items and results', async () => {
    const clock = new ManualClock(0);
    const { commits, commit } = lockedThen(1);
    const gc = new GroupCommit<number, string>({ clock, maxItems: 3, intervalMs: 5, retryBaseMs: 10, commit });
    const a = gc.pushToGroup(1);
    const b = gc.pushToGroup(2);
    assert.equal(a, b, 'the same promise for items of one group');
    const single = gc.push(3); // maxItems: commit now, and it fails (locked)
    let settled = false;
    void a.then(() => (settled = true));
    await Promise.resolve();
    assert.equal(settled, false, 'a failed commit resolves nothing');
    const late = gc.pushToGroup(4); // joins the group being retried
    assert.equal(late, a);
    clock.advance(10);
    assert.deepEqual(commits, [[1, 2, 3, 4]]);
    assert.deepEqual(await a, { items: [1, 2, 3, 4], results: ['r1', 'r2', 'r3', 'r4'] });
    assert.equal(await single, 'r3');
    const next = gc.pushToGroup(5);
    assert.notEqual(next, a, 'a new group, a new promise');
    assert.equal(gc.abandon(new Error('closed')), 1);
    await assert.rejects(next, /closed/);
  });

  it('a throwing hook neither fails a written group nor leaves its promises unresolved; it becomes a process warning', async () => {
    const clock = new ManualClock(0);
    const { commits, commit } = lockedThen(1);
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const gc = new GroupCommit<number, string>({
        clock,
        maxItems: 2,
        intervalMs: 5,
        retryBaseMs: 10,
        commit,
        onBlocked: () => {
          throw new Error('onBlocked hook bug');
        },
        onRecovered: () => {
          throw new Error('onRecovered hook bug');
        },
        onCommitted: () => {
          throw new Error('onCommitted hook bug');
        },
      });
      const first = [gc.push(1), gc.push(2)]; // fails once (locked), then is retried
      clock.advance(10);
      assert.deepEqual(await Promise.all(first), ['r1', 'r2'], 'resolved despite onRecovered/onCommitted throwing');
      assert.deepEqual(commits, [[1, 2]], 'written once: a hook error after the commit is not a failed commit');
      assert.equal(gc.blockedBy, undefined);
      assert.equal(gc.pushSync(3), 'r3', 'the synchronous path too');
      assert.deepEqual(commits, [[1, 2], [3]]);
      await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on the next tick
      assert.deepEqual(
        warnings.map((w) => w.message),
        ['onBlocked hook bug', 'onRecovered hook bug', 'onCommitted hook bug', 'onCommitted hook bug'],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });
});
