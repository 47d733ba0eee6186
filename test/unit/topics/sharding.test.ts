import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TopicError } from '../../../src/core/errors.ts';
import { diffShards, planShards } from '../../../src/topics/sharding.ts';

const topic = (i: number): string => `v2.users.u${String(i).padStart(5, '0')}.presence`;
const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => topic(from + i));

describe('planShards', () => {
  it('puts 2,500 topics on 3 channels of at most 1,000', () => {
    const plan = planShards(range(0, 2500));
    assert.deepEqual(
      plan.map((s) => s.length),
      [1000, 1000, 500],
    );
    assert.equal(new Set(plan.flat()).size, 2500);
  });

  it('refuses 20,001 topics, naming the count and the ceiling', () => {
    assert.throws(
      () => planShards(range(0, 20_001)),
      (err: unknown) =>
        err instanceof TopicError &&
        /20001 topics/.test(err.message) &&
        /20 channels × 1000 topics = 20000/.test(err.message),
    );
    assert.equal(planShards(range(0, 20_000)).length, 20);
  });

  it('is deterministic whatever the input order, and dedupes case-insensitively', () => {
    const names = range(0, 30);
    const a = planShards(names, { maxTopicsPerChannel: 10 });
    const b = planShards([...names].reverse().concat(names[0]!.toUpperCase().replace('V2', 'v2')), {
      maxTopicsPerChannel: 10,
    });
    assert.deepEqual(a, b);
  });

  it('counts a combined topic as one entry', () => {
    const combined = 'v2.users.u1?presence&routingStatus&conversations';
    const plan = planShards([combined, ...range(10, 19)], { maxTopicsPerChannel: 10 });
    assert.equal(plan.length, 1);
    assert.equal(plan[0]!.length, 10);
  });

  it('keeps existing assignments when topics are added or removed', () => {
    const current = planShards(range(0, 25), { maxTopicsPerChannel: 10 });
    // Remove 3 topics from shard 0 and add 5 new ones.
    const desired = range(0, 25)
      .filter((t) => ![topic(1), topic(2), topic(3)].includes(t))
      .concat(range(100, 105));
    const next = planShards(desired, { maxTopicsPerChannel: 10, current });
    for (const [i, shard] of current.entries()) {
      for (const name of shard) if (desired.includes(name)) assert.ok(next[i]!.includes(name), `${name} moved`);
    }
    // Free capacity is filled lowest shard first: 3 holes in shard 0, the rest into shard 2.
    assert.deepEqual(
      next.map((s) => s.length),
      [10, 10, 7],
    );
    const changes = diffShards(current, next);
    const moved = changes.reduce((n, c) => n + c.add.length + c.remove.length, 0);
    assert.equal(moved, 3 + 5);
  });

  it('drops trailing empty shards but keeps emptied middle shards in place', () => {
    const current = planShards(range(0, 30), { maxTopicsPerChannel: 10 });
    const withoutMiddle = planShards([...range(0, 10), ...range(20, 30)], { maxTopicsPerChannel: 10, current });
    assert.deepEqual(
      withoutMiddle.map((s) => s.length),
      [10, 0, 10],
    );
    const withoutLast = planShards(range(0, 20), { maxTopicsPerChannel: 10, current });
    assert.equal(withoutLast.length, 2);
  });
});

describe('diffShards', () => {
  it('reports create, update, delete and keep per shard, ignoring case', () => {
    const current = [[topic(1), topic(2)], [topic(3)], [topic(4)]];
    const desired = [[topic(1), topic(2).toUpperCase().replace('V2', 'v2')], [topic(3), topic(5)], [], [topic(6)]];
    const changes = diffShards(current, desired);
    assert.deepEqual(
      changes.map((c) => c.action),
      ['keep', 'update', 'update', 'create'],
    );
    assert.deepEqual(changes[1]!.add, [topic(5)]);
    assert.deepEqual(changes[2]!.remove, [topic(4)]);
    const shrink = diffShards(current, [current[0]!]);
    assert.deepEqual(
      shrink.map((c) => c.action),
      ['keep', 'delete', 'delete'],
    );
    assert.deepEqual(shrink[1]!.topics, []);
  });
});
