import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LeaseTakeover } from '../../../src/coordination/lease-store.ts';
import { ShardCoordinator, type LossReason } from '../../../src/coordination/shard-coordinator.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { InMemoryLeaseStore, WorkerLink } from './in-memory-lease-store.ts';

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
      assert.equal(await store.isCurrentTenure(shard, oldEpoch), false, 'the stale holder is fenced');
      assert.equal(await store.isCurrentTenure(shard, newEpoch), true);
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

  it('keeps every shard through a store outage longer than the TTL, reports it once, and renews the same epochs', async () => {
    const { make, clock, store } = setup();
    const { coordinator, events } = make('a');
    const transitions: string[] = [];
    coordinator.on('degraded', () => transitions.push('degraded'));
    coordinator.on('recovered', (outageMs) => transitions.push(`recovered after ${outageMs}`));
    coordinator.on('warning', () => undefined);
    await coordinator.start(); // renewed at t=0
    const epochs = [...coordinator.heldShards()];
    store.unreachable = true;
    await clock.advanceAsync(RENEW);
    assert.deepEqual(transitions, ['degraded']);
    assert.equal(coordinator.coordinationHealth().degraded, true);
    assert.deepEqual(coordinator.coordinationHealth().unconfirmedShards, [], 'within the TTL the leases are ours');
    await clock.advanceAsync(TTL * 3);
    assert.deepEqual(events.lost, [], 'nothing is dropped while nobody can take it over');
    assert.deepEqual([...coordinator.heldShards()], epochs);
    assert.deepEqual(coordinator.coordinationHealth().unconfirmedShards, SHARDS, 'past the TTL: kept, unconfirmed');
    assert.deepEqual(transitions, ['degraded'], 'one line per transition, not per failed call');

    store.unreachable = false;
    await clock.advanceAsync(RENEW);
    assert.deepEqual(transitions, ['degraded', `recovered after ${TTL * 3 + RENEW}`]);
    assert.deepEqual([...coordinator.heldShards()], epochs, 'the expired, untaken leases renewed with the same epoch');
    assert.equal(store.owners().size, 6);
    assert.deepEqual(coordinator.coordinationHealth(), {
      degraded: false,
      degradedSince: undefined,
      lastError: 'store unreachable',
      unconfirmedShards: [],
      unheldShards: [],
    });
    coordinator.destroy();
  });

  it('after an outage every worker shared, the holders renew first: a peer leaves their expired leases alone', async () => {
    const { make, clock, store } = setup();
    const a = make('a');
    const b = make('b');
    for (const w of [a, b]) w.coordinator.on('warning', () => undefined);
    await a.coordinator.start();
    await b.coordinator.start();
    await clock.advanceAsync(RENEW);
    assert.deepEqual(heldCounts(a.coordinator, b.coordinator), [3, 3]);
    const epochs = JSON.stringify([...a.coordinator.heldShards(), ...b.coordinator.heldShards()].sort());
    store.unreachable = true;
    await clock.advanceAsync(TTL * 2);
    store.unreachable = false;
    // b's round comes first: a's heartbeat and leases have expired in the store, and b's fair share is all six.
    await b.coordinator.tickNow();
    assert.equal(b.coordinator.heldShards().size, 3, "b took a's expired leases before a could renew them");
    await clock.advanceAsync(RENEW * 4);
    assert.deepEqual(heldCounts(a.coordinator, b.coordinator), [3, 3]);
    assert.equal(JSON.stringify([...a.coordinator.heldShards(), ...b.coordinator.heldShards()].sort()), epochs);
    assert.deepEqual([...a.events.lost, ...b.events.lost], []);
    assert.deepEqual([...a.events.takeovers, ...b.events.takeovers], [], 'no takeover, so no false gap');
    a.coordinator.destroy();
    b.coordinator.destroy();
  });

  it('a worker cut off alone keeps reading; a lease the others took meanwhile is reported fenced when it is back', async () => {
    const { clock, store } = setup();
    const links = { a: new WorkerLink(store), b: new WorkerLink(store) };
    const lost: string[] = [];
    const [a, b] = (['a', 'b'] as const).map((id) => {
      const c = new ShardCoordinator({ store: links[id], workerId: id, shards: SHARDS, leaseTtlMs: TTL, clock });
      c.on('warning', () => undefined);
      c.on('lost', (shard, reason) => lost.push(`${id}:${shard}:${reason}`));
      return c;
    }) as [ShardCoordinator, ShardCoordinator];
    await a.start();
    await b.start();
    await clock.advanceAsync(RENEW);
    const aShards = [...a.heldShards().keys()];
    assert.equal(aShards.length, 3);
    links.a.cutOff = true;
    await clock.advanceAsync(TTL + RENEW * 2);
    assert.equal(b.heldShards().size, 6, "b, which still reaches the store, took a's expired leases");
    assert.deepEqual([...a.heldShards().keys()], aShards, 'a still reads them: overlap, never a gap');
    assert.deepEqual(a.coordinationHealth().unconfirmedShards, aShards);
    assert.deepEqual(lost, []);
    links.a.cutOff = false;
    await clock.advanceAsync(RENEW);
    assert.deepEqual(lost.sort(), aShards.map((shard) => `a:${shard}:fenced`).sort(), 'whoever acquired first wins');
    await clock.advanceAsync(RENEW * 3);
    assert.deepEqual(heldCounts(a, b), [3, 3], 'and the fair share is restored');
    assertDisjoint(a, b);
    a.destroy();
    b.destroy();
  });

  it('unheldShards: what no live worker holds, by a lease read younger than the TTL; undefined without one', async () => {
    const { make, clock, store } = setup();
    const holder = make('a').coordinator;
    const standby = make('s', { maxShardsPerWorker: 0 }).coordinator;
    standby.on('warning', () => undefined);
    await holder.start();
    await standby.start();
    assert.equal(standby.heldShards().size, 0);
    assert.deepEqual(standby.coordinationHealth().unheldShards, []);
    holder.destroy(); // its leases expire after the TTL
    await clock.advanceAsync(TTL + RENEW);
    assert.deepEqual(standby.coordinationHealth().unheldShards, SHARDS);
    store.unreachable = true;
    await clock.advanceAsync(TTL + RENEW);
    assert.equal(standby.coordinationHealth().unheldShards, undefined, 'a stale read says nothing');
    assert.equal(standby.coordinationHealth().degraded, true);
    standby.destroy();
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
