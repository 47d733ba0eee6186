import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LeaseTakeover } from '../../../src/coordination/lease-store.ts';
import { ShardCoordinator, type LossReason } from '../../../src/coordination/shard-coordinator.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { InMemoryLeaseStore } from './in-memory-lease-store.ts';

const SHARDS = ['shard-0', 'shard-1', 'shard-2', 'shard-3', 'shard-4', 'shard-5'];
const TTL = 15_000;
const RENEW = 5_000;

interface Recorded {
  acquired: [string, number][];
  lost: [string, LossReason][];
  released: string[];
  /** Acquisitions that came with a takeover (the previous holder's lease expired). */
  takeovers: [string, LeaseTakeover][];
}

function setup() {
  const clock = new ManualClock();
  const store = new InMemoryLeaseStore(clock);
  const make = (workerId: string, extra: { maxShardsPerWorker?: number } = {}) => {
    const coordinator = new ShardCoordinator({ store, workerId, shards: SHARDS, leaseTtlMs: TTL, clock, ...extra });
    const events: Recorded = { acquired: [], lost: [], released: [], takeovers: [] };
    coordinator.on('acquired', (shard, epoch) => events.acquired.push([shard, epoch]));
    coordinator.on('acquired', (shard, _epoch, takeover) => takeover && events.takeovers.push([shard, takeover]));
    coordinator.on('lost', (shard, reason) => events.lost.push([shard, reason]));
    coordinator.on('released', (shard) => events.released.push(shard));
    return { coordinator, events };
  };
  return { clock, store, make };
}

function heldCounts(...coordinators: ShardCoordinator[]): number[] {
  return coordinators.map((c) => c.heldShards().size);
}

/** No shard may be held by two coordinators at once, per their own view. */
function assertDisjoint(...coordinators: ShardCoordinator[]): void {
  const all = coordinators.flatMap((c) => [...c.heldShards().keys()]);
  assert.equal(new Set(all).size, all.length, `a shard is held twice: ${all.join(',')}`);
}

describe('ShardCoordinator', () => {
  it('rejects a renew interval that is not below the TTL', () => {
    const { store } = setup();
    assert.throws(
      () => new ShardCoordinator({ store, workerId: 'w', shards: SHARDS, leaseTtlMs: 1000, renewEveryMs: 1000 }),
      ConfigError,
    );
  });

  it('a lone worker takes every shard on start, with epoch 1', async () => {
    const { make, store } = setup();
    const { coordinator, events } = make('a');
    await coordinator.start();
    assert.equal(coordinator.heldShards().size, 6);
    assert.deepEqual(
      events.acquired.map(([, epoch]) => epoch),
      [1, 1, 1, 1, 1, 1],
    );
    assert.equal(store.owners().size, 6);
    assert.deepEqual(events.takeovers, [], 'a first-ever acquisition is no takeover');
    coordinator.destroy();
  });

  it('three workers starting one after another converge to two shards each', async () => {
    const { make, clock } = setup();
    const a = make('a').coordinator;
    const b = make('b').coordinator;
    const c = make('c').coordinator;
    await a.start();
    await b.start();
    await c.start();
    // Each round every worker sheds to or grows towards its share; two rounds settle it.
    await clock.advanceAsync(RENEW * 2);
    assert.deepEqual(heldCounts(a, b, c), [2, 2, 2]);
    assertDisjoint(a, b, c);
    for (const x of [a, b, c]) x.destroy();
  });

  it('a crashed worker’s shards move to the others within ttl + renew, with higher epochs', async () => {
    const { make, clock, store } = setup();
    const workers = ['a', 'b', 'c'].map((id) => make(id));
    const [a, b, c] = workers.map((w) => w.coordinator) as [ShardCoordinator, ShardCoordinator, ShardCoordinator];
    for (const x of [a, b, c]) await x.start();
    await clock.advanceAsync(RENEW * 2);
    const orphaned = new Map(c.heldShards());
    const lastRenewedAt = clock.now(); // c's last round renewed just now
    c.destroy(); // stops renewing without releasing, like a killed process
    await clock.advanceAsync(TTL - RENEW);
    assert.equal(
      heldCounts(a, b).reduce((x, y) => x + y),
      4,
      'nothing moves before the lease expires',
    );
    await clock.advanceAsync(RENEW * 2);
    assert.deepEqual(heldCounts(a, b), [3, 3]);
    assertDisjoint(a, b);
    for (const [shard, oldEpoch] of orphaned) {
      const newEpoch = a.heldShards().get(shard) ?? b.heldShards().get(shard);
      assert.ok(newEpoch !== undefined && newEpoch > oldEpoch, `${shard} epoch ${oldEpoch} → ${newEpoch}`);
      assert.equal(await store.checkFence(shard, oldEpoch), false, 'the stale holder is fenced');
      assert.equal(await store.checkFence(shard, newEpoch), true);
    }
    // Exactly one takeover per orphaned shard, naming c and its last renewal (where the unread interval begins).
    const takeovers = workers.flatMap((w) => w.events.takeovers).sort(([x], [y]) => x.localeCompare(y));
    assert.deepEqual(
      takeovers,
      [...orphaned.keys()].sort().map((shard) => [shard, { previousOwner: 'c', lastRenewedAt }]),
    );
    a.destroy();
    b.destroy();
  });

  it('close() releases at once, so the survivors take over on their next round', async () => {
    const { make, clock } = setup();
    const survivor = make('a');
    const a = survivor.coordinator;
    const closing = make('b');
    await a.start();
    await closing.coordinator.start();
    await clock.advanceAsync(RENEW);
    assert.deepEqual(heldCounts(a, closing.coordinator), [3, 3]);
    await closing.coordinator.close();
    assert.equal(closing.events.released.length, 3);
    assert.equal(closing.coordinator.status, 'closed');
    await clock.advanceAsync(RENEW);
    assert.equal(a.heldShards().size, 6, 'taken over after one renew interval, not a TTL');
    assert.deepEqual(survivor.events.takeovers, [], 'a released lease is no takeover: no gap');
    a.destroy();
  });

  it('declares a shard lost at sentAt + ttl when the store is unreachable, not before', async () => {
    const { make, clock, store } = setup();
    const { coordinator, events } = make('a');
    await coordinator.start(); // renewed at t=0
    store.unreachable = true;
    const warnings: unknown[] = [];
    coordinator.on('warning', (err) => warnings.push(err));
    await clock.advanceAsync(TTL - 1);
    assert.equal(events.lost.length, 0);
    assert.ok(warnings.length > 0, 'store failures are reported');
    await clock.advanceAsync(1);
    assert.equal(events.lost.length, 6);
    assert.ok(events.lost.every(([, reason]) => reason === 'expired'));
    coordinator.destroy();
  });

  it('reports fenced when the store no longer knows its epoch', async () => {
    const { make, clock, store } = setup();
    const { coordinator, events } = make('a', { maxShardsPerWorker: 1 });
    await coordinator.start();
    const [shard] = [...coordinator.heldShards().keys()];
    assert.ok(shard);
    // Another worker took it over (e.g. after a long GC pause of ours): same row, next epoch.
    const row = store.rows.get(shard);
    assert.ok(row);
    row.owner = 'intruder';
    row.epoch += 1;
    await clock.advanceAsync(RENEW);
    assert.deepEqual(events.lost[0], [shard, 'fenced']);
    coordinator.destroy();
  });

  it('respects maxShardsPerWorker', async () => {
    const { make } = setup();
    const { coordinator } = make('a', { maxShardsPerWorker: 4 });
    await coordinator.start();
    assert.equal(coordinator.heldShards().size, 4);
    coordinator.destroy();
  });

  it('keeps renewing other shards when a listener throws', async () => {
    const { make, clock, store } = setup();
    const { coordinator } = make('a');
    const warnings: unknown[] = [];
    coordinator.on('warning', (err) => warnings.push(err));
    coordinator.on('acquired', () => {
      throw new Error('listener bug');
    });
    await coordinator.start();
    assert.equal(coordinator.heldShards().size, 6);
    assert.equal(warnings.length, 6);
    await clock.advanceAsync(TTL * 2);
    assert.equal(coordinator.heldShards().size, 6, 'still renewing');
    assert.equal(store.owners().size, 6);
    coordinator.destroy();
  });

  it('the lease store reports a takeover only for an expired tenure, with its last renewal', async () => {
    const { clock, store } = setup();
    const first = await store.acquire('s', 'old', TTL);
    assert.equal(first?.takeover, undefined, 'first-ever acquisition');
    await clock.advanceAsync(1_000);
    assert.ok(first && (await store.renew('s', 'old', first.epoch, TTL)));
    const renewedAt = clock.now();
    assert.equal(await store.acquire('s', 'new', TTL), undefined, 'live lease refused');
    await clock.advanceAsync(TTL + 1);
    const taken = await store.acquire('s', 'new', TTL);
    assert.deepEqual(taken?.takeover, { previousOwner: 'old', lastRenewedAt: renewedAt });
    assert.equal((await store.acquire('s', 'new', TTL))?.takeover, undefined, 'own live lease re-acquired');
    const own = await store.acquire('s', 'new', TTL);
    assert.ok(own && (await store.release('s', 'new', own.epoch)));
    await clock.advanceAsync(TTL * 2);
    assert.equal((await store.acquire('s', 'next', TTL))?.takeover, undefined, 'released, however long ago');
  });

  it('rejects start() after close()', async () => {
    const { make } = setup();
    const { coordinator } = make('a');
    await coordinator.close();
    await assert.rejects(coordinator.start(), /cannot start/);
  });
});
