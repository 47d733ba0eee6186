import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, TopicError } from '../../../../src/core/errors.ts';
import { planDistributedShards, shardsPerClient } from '../../../../src/service/distributed/shard-plan.ts';

const topic = (i: number): string => `v2.users.00000000-0000-0000-0000-${String(i).padStart(12, '0')}.presence`;
const topics = (n: number): string[] => Array.from({ length: n }, (_, i) => topic(i));

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.field;
  }
  assert.fail('expected a ConfigError');
}

describe('planDistributedShards', () => {
  it('is deterministic whatever the input order, and names shards shard-<index>', () => {
    const options = { maxTopicsPerChannel: 2, maxChannels: 20, clients: 1 };
    const a = planDistributedShards(topics(12), options);
    const b = planDistributedShards(topics(12).reverse(), options);
    assert.deepEqual(a, b);
    assert.deepEqual(
      a.map((s) => s.name),
      ['shard-0', 'shard-1', 'shard-2', 'shard-3', 'shard-4', 'shard-5'],
    );
    assert.deepEqual(a[0]?.topics, [topic(0), topic(1)]);
    assert.equal(new Set(a.flatMap((s) => s.topics)).size, 12);
  });

  it('assigns shard i to OAuth client i mod clients, so no client exceeds its share', () => {
    const plan = planDistributedShards(topics(7), { maxTopicsPerChannel: 1, maxChannels: 4, clients: 4 });
    assert.deepEqual(
      plan.map((s) => s.clientIndex),
      [0, 1, 2, 3, 0, 1, 2],
    );
    const perClient = new Map<number, number>();
    for (const s of plan) perClient.set(s.clientIndex, (perClient.get(s.clientIndex) ?? 0) + 1);
    for (const count of perClient.values()) assert.ok(count <= shardsPerClient(4));
  });

  it("keeps half of each client's channels free for make-before-break rollovers", () => {
    assert.equal(shardsPerClient(20), 10);
    assert.equal(planDistributedShards(topics(10), { maxTopicsPerChannel: 1, maxChannels: 20, clients: 1 }).length, 10);
    assert.equal(
      fieldOf(() => planDistributedShards(topics(11), { maxTopicsPerChannel: 1, maxChannels: 20, clients: 1 })),
      'topics',
    );
    assert.equal(planDistributedShards(topics(11), { maxTopicsPerChannel: 1, maxChannels: 20, clients: 2 }).length, 11);
    assert.equal(
      fieldOf(() => planDistributedShards(topics(1), { maxTopicsPerChannel: 1, maxChannels: 1, clients: 1 })),
      'session.maxChannels',
    );
  });

  it('with coordination.shards, deals topics round-robin over exactly that many', () => {
    const plan = planDistributedShards(topics(10), {
      maxTopicsPerChannel: 1000,
      maxChannels: 20,
      clients: 1,
      shards: 4,
    });
    assert.deepEqual(
      plan.map((s) => s.topics.length),
      [3, 3, 2, 2],
    );
    assert.deepEqual(plan[1]?.topics, [topic(1), topic(5), topic(9)]);
    assert.equal(
      fieldOf(() =>
        planDistributedShards(topics(3), { maxTopicsPerChannel: 5, maxChannels: 20, clients: 1, shards: 4 }),
      ),
      'coordination.shards',
    );
    assert.equal(
      fieldOf(() =>
        planDistributedShards(topics(10), { maxTopicsPerChannel: 2, maxChannels: 20, clients: 1, shards: 4 }),
      ),
      'coordination.shards',
    );
    assert.equal(
      fieldOf(() =>
        planDistributedShards(topics(30), { maxTopicsPerChannel: 5, maxChannels: 20, clients: 2, shards: 21 }),
      ),
      'coordination.shards',
    );
  });

  it('de-duplicates topics case-insensitively and rejects invalid ones', () => {
    const plan = planDistributedShards([topic(1), topic(1).toUpperCase().replace('V2', 'v2')], {
      maxTopicsPerChannel: 5,
      maxChannels: 20,
      clients: 1,
    });
    assert.equal(plan.length, 1);
    assert.equal(plan[0]?.topics.length, 1);
    assert.throws(
      () => planDistributedShards(['not a topic'], { maxTopicsPerChannel: 5, maxChannels: 20, clients: 1 }),
      TopicError,
    );
  });
});
