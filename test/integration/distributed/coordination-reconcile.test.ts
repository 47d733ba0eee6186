import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import pg from 'pg';
import type { LeaseTakeover } from '../../../src/coordination/lease-store.ts';
import { PgLeaseStore } from '../../../src/coordination/pg-lease-store.ts';
import { ShardCoordinator } from '../../../src/coordination/shard-coordinator.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { pgSkip, startPgServer, type PgServer } from '../../helpers/pg-server.ts';
import { waitFor } from '../cli/helpers.ts';

/*
 * Reconciling after a PostgreSQL outage that every worker shared (soak "coordination" scenario: 2 shards of w1 fenced
 * and taken over by w0 after a pure outage). Two coordinators in this process, each with its own PgLeaseStore (its own
 * pool) on a real server that is stopped for longer than the lease TTL, so every lease and heartbeat expires in
 * database time. Each coordinator has its own ManualClock and ticks only when the test says so: the order of the
 * rounds after the restart, which decides who wins, is chosen here instead of left to timing luck.
 */

/** Database time (lease expiry) is real; the coordinators' local deadlines and graces run on their ManualClocks. */
const TTL_MS = 1_500;
const RENEW_MS = 500;
const SHARDS = ['shard-0', 'shard-1', 'shard-2', 'shard-3'];

interface Worker {
  id: string;
  clock: ManualClock;
  store: PgLeaseStore;
  coordinator: ShardCoordinator;
  lost: string[];
  takeovers: [string, LeaseTakeover][];
}

describe('coordination: reconciling leases after a PostgreSQL outage both workers shared', { skip: pgSkip() }, () => {
  let server: PgServer | undefined;
  let db: pg.Client | undefined;
  let workers: Worker[] = [];

  before(async () => {
    server = await startPgServer();
  });

  afterEach(async () => {
    for (const w of workers) w.coordinator.destroy();
    await Promise.allSettled(workers.map((w) => w.store.close()));
    workers = [];
    await db?.end().catch(() => undefined);
    db = undefined;
  });

  after(async () => {
    await server?.stop();
  });

  async function worker(id: string): Promise<Worker> {
    assert.ok(server);
    const clock = new ManualClock();
    const store = await PgLeaseStore.open({ connectionString: server.url, onPoolError: () => undefined });
    const coordinator = new ShardCoordinator({ store, workerId: id, shards: SHARDS, leaseTtlMs: TTL_MS, clock });
    const w: Worker = { id, clock, store, coordinator, lost: [], takeovers: [] };
    coordinator.on('warning', () => undefined);
    coordinator.on('lost', (shard, reason) => w.lost.push(`${id}:${shard}:${reason}`));
    coordinator.on('acquired', (shard, _epoch, takeover) => takeover && w.takeovers.push([shard, takeover]));
    workers.push(w);
    return w;
  }

  /** A connection of the test's own, opened after the restart (the server goes away in between). */
  async function connectDb(): Promise<pg.Client> {
    assert.ok(server);
    const client = new pg.Client({ connectionString: server.url });
    client.on('error', () => undefined);
    await client.connect();
    db = client;
    return client;
  }

  /** w0 and w1 holding 2 shards each: w0 takes all four alone, sheds two when w1 joins, w1 takes them. */
  async function twoWorkersSharing(): Promise<[Worker, Worker]> {
    await server?.stop().catch(() => undefined);
    server = await startPgServer();
    const w0 = await worker('w0');
    const w1 = await worker('w1');
    await w0.coordinator.start();
    await w1.coordinator.start();
    await w0.coordinator.tickNow();
    await w1.coordinator.tickNow();
    assert.deepEqual([w0.coordinator.heldShards().size, w1.coordinator.heldShards().size], [2, 2], 'start-up split');
    return [w0, w1];
  }

  /** Stops PostgreSQL until every lease has expired in database time; both workers notice during the outage. */
  async function outageLongerThanTheTtl(w0: Worker, w1: Worker): Promise<void> {
    assert.ok(server);
    await server.halt();
    await w0.coordinator.tickNow();
    await w1.coordinator.tickNow();
    assert.ok(w0.coordinator.coordinationHealth().degraded && w1.coordinator.coordinationHealth().degraded);
    await new Promise((resolve) => setTimeout(resolve, TTL_MS + 500));
    await server.start();
  }

  /**
   * Lets `ms` of w's local time pass, one renew interval at a time: each step fires the loop's own round, and a
   * further round runs at the step's end. (One big `advance` would also fire the deadlines of the round it starts.)
   */
  async function later(w: Worker, ms: number): Promise<void> {
    for (let passed = 0; passed < ms; passed += RENEW_MS) {
      w.clock.advance(Math.min(RENEW_MS, ms - passed));
      await w.coordinator.tickNow();
    }
  }

  function leaseSnapshot(...ws: Worker[]): string {
    return JSON.stringify(ws.map((w) => [w.id, [...w.coordinator.heldShards()].sort()]));
  }

  async function ownersInTheStore(client: pg.Client): Promise<string> {
    const { rows } = await client.query<{ shard: string; owner: string; epoch: string }>(
      `SELECT shard, owner, epoch::text AS epoch FROM genesys_relay_leases
        WHERE owner IS NOT NULL AND expires_at > now() ORDER BY shard`,
    );
    return JSON.stringify(rows.map((r) => [r.shard, r.owner, Number(r.epoch)]));
  }

  function heldAsRows(...ws: Worker[]): string {
    const rows = ws.flatMap((w) => [...w.coordinator.heldShards()].map(([shard, epoch]) => [shard, w.id, epoch]));
    return JSON.stringify(rows.sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
  }

  it('the first worker back waits a lease TTL for the others to renew: a slow peer keeps its shards', async () => {
    const [w0, w1] = await twoWorkersSharing();
    const before = leaseSnapshot(w0, w1);
    await outageLongerThanTheTtl(w0, w1);

    // w0's first round after the restart succeeds: it sees w1's heartbeat and leases expired, its fair share is 4.
    await w0.coordinator.tickNow();
    assert.equal(w0.coordinator.coordinationHealth().degraded, false, 'w0 recovered');
    // w1 is slower to get its renewals through (loaded machine, pool reconnecting), but well within a lease TTL.
    await later(w0, RENEW_MS * 2);
    assert.equal(w0.coordinator.heldShards().size, 2, "w0 took w1's leases before w1 could renew them");

    await w1.coordinator.tickNow();
    await w0.coordinator.tickNow();
    assert.deepEqual([...w0.lost, ...w1.lost], [], 'no shard lost after a pure outage');
    assert.deepEqual([...w0.takeovers, ...w1.takeovers], [], 'no takeover, so no false gap');
    assert.equal(leaseSnapshot(w0, w1), before, 'the same leases, renewed with the same epochs');
    assert.equal(await ownersInTheStore(await connectDb()), heldAsRows(w0, w1));
  });

  it('a round that still fails a call after the restart takes no expired lease: the store is not back for it', async () => {
    const [w0, w1] = await twoWorkersSharing();
    const before = leaseSnapshot(w0, w1);
    await outageLongerThanTheTtl(w0, w1);

    // A real slow statement: the test holds w0's own lease row locked, so w0's renew of it waits past the store
    // deadline while its heartbeat and the lease listing succeed. The round fails: w0 is still degraded.
    const client = await connectDb();
    const [w0Shard] = [...w0.coordinator.heldShards().keys()];
    assert.ok(w0Shard);
    await client.query('BEGIN');
    await client.query('SELECT 1 FROM genesys_relay_leases WHERE shard = $1 FOR UPDATE', [w0Shard]);
    const round = w0.coordinator.tickNow();
    // pg_locks, not pg_stat_activity: the latter is a snapshot taken once per transaction, and this one is open.
    await waitFor(async () => {
      const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`);
      return (rows[0]?.n ?? 0) > 0 ? true : undefined;
    }, "w0's renew waiting on the locked row");
    w0.clock.advance(RENEW_MS); // the store call deadline (storeTimeoutMs defaults to renewEveryMs)
    await round;
    assert.equal(w0.coordinator.coordinationHealth().degraded, true, 'a round with a failed call ends no outage');
    assert.equal(w0.coordinator.heldShards().size, 2, "w0 took w1's expired leases while still degraded");
    await client.query('COMMIT');

    await w1.coordinator.tickNow();
    await w0.coordinator.tickNow();
    assert.deepEqual([...w0.lost, ...w1.lost], [], 'no shard lost after a pure outage');
    assert.deepEqual([...w0.takeovers, ...w1.takeovers], [], 'no takeover, so no false gap');
    assert.equal(leaseSnapshot(w0, w1), before, 'the same leases, renewed with the same epochs');
    assert.equal(await ownersInTheStore(client), heldAsRows(w0, w1));
  });

  it('a holder that died during the outage loses its shards a lease TTL after the store is back, as a takeover', async () => {
    const [w0, w1] = await twoWorkersSharing();
    const w1Shards = [...w1.coordinator.heldShards().keys()].sort();
    await outageLongerThanTheTtl(w0, w1);
    w1.coordinator.destroy(); // crashed during the outage: it will never renew

    await w0.coordinator.tickNow();
    assert.equal(w0.coordinator.coordinationHealth().degraded, false, 'w0 recovered');
    await later(w0, TTL_MS - RENEW_MS);
    assert.equal(w0.coordinator.heldShards().size, 2, 'within a TTL of the recovery the holder may still renew');
    await later(w0, RENEW_MS * 2);
    assert.equal(w0.coordinator.heldShards().size, 4, 'past it, the dead holder’s shards move');
    assert.deepEqual(
      w0.takeovers.map(([shard, t]) => [shard, t.previousOwner]).sort(),
      w1Shards.map((shard) => [shard, 'w1']),
      'taken over from an expired lease: a gap is owed',
    );
    assert.deepEqual(w0.lost, []);
  });
});
