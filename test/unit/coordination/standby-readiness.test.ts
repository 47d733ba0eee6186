import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateReadiness, type ReadinessInput } from '../../../src/metrics/readiness.ts';

const WINDOW = 3_000;
const NOW = 100_000;
const openShard = { shardId: 'shard-0', state: 'open' as const, lastFrameAt: NOW - 500 };

function readiness(input: ReadinessInput) {
  return evaluateReadiness(input, NOW, WINDOW);
}

describe('readiness of a distributed worker', () => {
  it('a standby is ready only while a fresh lease read shows every shard held by a live worker', () => {
    const covered = readiness({ shards: [], standby: true, coordination: { degraded: false, unheldShards: [] } });
    assert.deepEqual(covered, { ready: true, reason: 'ok', lastActivityAgeMs: 0, coordination: 'ok' });

    const orphaned = readiness({
      shards: [],
      standby: true,
      coordination: { degraded: false, unheldShards: ['shard-2', 'shard-5'] },
    });
    assert.equal(orphaned.ready, false);
    assert.match(orphaned.reason, /2 shard\(s\) held by no live worker: shard-2, shard-5/);
  });

  it('a standby that cannot read the lease table is not ready: nobody is known to read the topics', () => {
    for (const coordination of [
      { degraded: true, unheldShards: undefined },
      { degraded: false, unheldShards: undefined },
      { degraded: true, unheldShards: [] },
    ]) {
      const r = readiness({ shards: [], standby: true, coordination });
      assert.equal(r.ready, false, JSON.stringify(coordination));
      assert.match(r.reason, /lease store is unreachable/);
    }
  });

  it('a worker reading its shards stays ready through a coordination outage, and says it is degraded', () => {
    const r = readiness({ shards: [openShard], coordination: { degraded: true, unheldShards: undefined } });
    assert.deepEqual(r, { ready: true, reason: 'ok', lastActivityAgeMs: 500, coordination: 'degraded' });
  });

  it('without coordination (single process) nothing changes', () => {
    assert.deepEqual(readiness({ shards: [openShard] }), { ready: true, reason: 'ok', lastActivityAgeMs: 500 });
    assert.equal(readiness({ shards: [] }).ready, false);
  });
});
