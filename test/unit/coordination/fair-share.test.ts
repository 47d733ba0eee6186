import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acquireCandidates, fairShareOf, shardsToShed } from '../../../src/coordination/fair-share.ts';
import type { Lease } from '../../../src/coordination/lease-store.ts';

const SHARDS = ['shard-0', 'shard-1', 'shard-2', 'shard-3', 'shard-4', 'shard-5'];

function lease(shard: string, owner: string | undefined, live: boolean): Lease {
  return { shard, owner, epoch: 1, expiresAt: live ? 1 : undefined, live, connected: live };
}

describe('fairShareOf', () => {
  it('is the ceiling of shards per live worker, capped', () => {
    assert.equal(fairShareOf(6, 3), 2);
    assert.equal(fairShareOf(6, 4), 2);
    assert.equal(fairShareOf(7, 3), 3);
    assert.equal(fairShareOf(6, 1), 6);
    assert.equal(fairShareOf(6, 0), 6, 'no live workers known yet counts as one (ourselves)');
    assert.equal(fairShareOf(6, 1, 4), 4);
    assert.equal(fairShareOf(0, 3), 0);
  });
});

describe('shardsToShed', () => {
  it('gives up the last shards in sorted order, stable across calls', () => {
    assert.deepEqual(shardsToShed(['shard-3', 'shard-0', 'shard-5', 'shard-1'], 2), ['shard-3', 'shard-5']);
    assert.deepEqual(shardsToShed(['shard-3'], 0), []);
  });
});

describe('acquireCandidates', () => {
  it('offers unowned, released, expired and own-stale shards, never live shards of others', () => {
    const got = acquireCandidates({
      shards: SHARDS,
      held: new Set(['shard-0']),
      leases: [
        lease('shard-0', 'me', true),
        lease('shard-1', 'other', true),
        lease('shard-2', 'other', false),
        lease('shard-3', undefined, false),
        lease('shard-4', 'me', true),
      ],
      workerId: 'me',
      liveWorkers: ['me'],
    });
    assert.deepEqual(got, ['shard-2', 'shard-3', 'shard-4', 'shard-5']);
  });

  it('starts each worker at its own offset so simultaneous starters do not all race for shard-0', () => {
    const input = { shards: SHARDS, held: new Set<string>(), leases: [], liveWorkers: ['a', 'b', 'c'] };
    assert.equal(acquireCandidates({ ...input, workerId: 'a' })[0], 'shard-0');
    assert.equal(acquireCandidates({ ...input, workerId: 'b' })[0], 'shard-2');
    assert.equal(acquireCandidates({ ...input, workerId: 'c' })[0], 'shard-4');
    assert.equal(acquireCandidates({ ...input, workerId: 'c' }).length, 6, 'still offers every free shard');
  });
});
