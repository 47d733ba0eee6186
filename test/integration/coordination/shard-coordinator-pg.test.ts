import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PgLeaseStore } from '../../../src/coordination/pg-lease-store.ts';
import { ShardCoordinator } from '../../../src/coordination/shard-coordinator.ts';
import { waitUntil } from '../../helpers/infra.ts';
import { pgSkip, startPgServer, type PgServer } from '../../helpers/pg-server.ts';

const SHARDS = Array.from({ length: 6 }, (_, i) => `shard-${i}`);
const TTL_MS = 2000;
const RENEW_MS = 400;

/** One "process": its own pool and coordinator, as separate workers would have. */
interface Worker {
  store: PgLeaseStore;
  coordinator: ShardCoordinator;
}

describe('ShardCoordinator on real PostgreSQL', { skip: pgSkip() }, () => {
  let server: PgServer;
  const workers: Worker[] = [];

  const startWorker = async (id: string): Promise<ShardCoordinator> => {
    const store = await PgLeaseStore.open({ connectionString: server.url });
    const coordinator = new ShardCoordinator({
      store,
      workerId: id,
      shards: SHARDS,
      leaseTtlMs: TTL_MS,
      renewEveryMs: RENEW_MS,
    });
    workers.push({ store, coordinator });
    await coordinator.start();
    return coordinator;
  };

  const counts = (...cs: ShardCoordinator[]) => cs.map((c) => c.heldShards().size).join(',');
  const disjoint = (...cs: ShardCoordinator[]) => {
    const all = cs.flatMap((c) => [...c.heldShards().keys()]);
    return new Set(all).size === all.length;
  };

  before(async () => {
    server = await startPgServer();
  });

  after(async () => {
    for (const w of workers) {
      w.coordinator.destroy();
      await w.store.close();
    }
    await server?.stop();
  });

  it('3 workers share 6 shards evenly; a killed worker’s shards move within ttl + renew; close hands over at once', async () => {
    const [a, b, c] = await Promise.all(['w-a', 'w-b', 'w-c'].map(startWorker));
    assert.ok(a && b && c);
    await waitUntil(() => counts(a, b, c) === '2,2,2' && disjoint(a, b, c), 10_000, 'even split');
    const lease = workers[0]?.store;
    assert.ok(lease);
    assert.equal((await lease.list()).filter((l) => l.live).length, 6);

    // Kill c: it stops renewing without releasing, like a crashed process.
    const orphaned = new Map(c.heldShards());
    c.destroy();
    const killedAt = Date.now();
    await waitUntil(() => counts(a, b) === '3,3' && disjoint(a, b), 10_000, 'takeover of a dead worker');
    // Bound from the configuration, not a loaded machine's wall clock: never before the dead worker's leases expired.
    const takeoverMs = Date.now() - killedAt;
    assert.ok(takeoverMs >= TTL_MS - RENEW_MS, `takeover after ${takeoverMs} ms, before the leases expired`);
    for (const [shard, oldEpoch] of orphaned) {
      const newEpoch: number | undefined = a.heldShards().get(shard) ?? b.heldShards().get(shard);
      assert.ok(newEpoch !== undefined && newEpoch > oldEpoch, `${shard}: epoch ${oldEpoch} → ${newEpoch}`);
      assert.equal(await lease.isCurrentTenure(shard, oldEpoch), false, `stale holder of ${shard} is fenced`);
      assert.equal(await lease.isCurrentTenure(shard, newEpoch), true);
    }

    // Graceful close releases: b takes a's shards as released leases (no takeover), not after they expired.
    const takeovers: string[] = [];
    b.on('acquired', (shard, _epoch, takeover) => takeover && takeovers.push(shard));
    await a.close();
    await waitUntil(() => b.heldShards().size === 6, 10_000, 'takeover after close');
    assert.deepEqual(takeovers, [], 'released leases, not expired ones');
  });
});

describe('ShardCoordinator across a PostgreSQL restart', { skip: pgSkip() }, () => {
  let server: PgServer;
  const workers: Worker[] = [];
  const ttlMs = 4000;

  before(async () => {
    server = await startPgServer();
  });

  after(async () => {
    for (const w of workers) {
      w.coordinator.destroy();
      await w.store.close();
    }
    await server?.stop();
  });

  it('a database restart shorter than the TTL moves no shard and changes no epoch', async () => {
    const shards = ['db-0', 'db-1', 'db-2', 'db-3'];
    const lost: string[] = [];
    for (const id of ['r-a', 'r-b']) {
      const store = await PgLeaseStore.open({ connectionString: server.url, statementTimeoutMs: 1000 });
      const coordinator = new ShardCoordinator({ store, workerId: id, shards, leaseTtlMs: ttlMs, renewEveryMs: 300 });
      coordinator.on('lost', (shard, reason) => lost.push(`${id}:${shard}:${reason}`));
      workers.push({ store, coordinator });
      await coordinator.start();
    }
    const [a, b] = workers.map((w) => w.coordinator) as [ShardCoordinator, ShardCoordinator];
    await waitUntil(() => a.heldShards().size === 2 && b.heldShards().size === 2, 10_000, 'even split');
    const epochsBefore = JSON.stringify([...a.heldShards(), ...b.heldShards()].sort());

    await server.restart();
    const restartedAt = Date.now();
    const probe = await PgLeaseStore.open({ connectionString: server.url });
    try {
      // Renewed after the restart = expiry pushed past restart + ttl − one renew interval.
      await waitUntil(
        async () => {
          const leases = await probe.list();
          return leases.length === 4 && leases.every((l) => l.live && (l.expiresAt ?? 0) >= restartedAt + ttlMs - 300);
        },
        ttlMs,
        'renewals after the restart',
      );
    } finally {
      await probe.close();
    }
    assert.deepEqual(lost, []);
    assert.equal(JSON.stringify([...a.heldShards(), ...b.heldShards()].sort()), epochsBefore);
  });
});
