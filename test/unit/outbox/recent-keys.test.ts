import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentKeys } from '../../../src/outbox/recent-keys.ts';

describe('RecentKeys', () => {
  it('holds the newest `capacity` keys and forgets the oldest first', () => {
    const keys = new RecentKeys(3);
    for (const k of ['a', 'b', 'c', 'd']) keys.add(k);
    assert.deepEqual(
      ['a', 'b', 'c', 'd'].map((k) => keys.has(k)),
      [false, true, true, true],
    );
    assert.equal(keys.size, 3);
  });

  it('adding a key it holds changes nothing (its place in the order stays)', () => {
    const keys = new RecentKeys(2);
    keys.add('a');
    keys.add('b');
    keys.add('a');
    keys.add('c');
    assert.deepEqual([keys.has('a'), keys.has('b'), keys.has('c')], [false, true, true]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new RecentKeys(bad), RangeError);
  });
});
