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

  it('a failed commit rejects every item of its group; pushSync throws', async () => {
    const { gc } = setup(true);
    const a = gc.push(1);
    assert.throws(() => gc.pushSync(2), /disk full/);
    await assert.rejects(a, /disk full/);
    gc.flush();
  });
});
