import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PgLeaseStore } from '../../../src/coordination/pg-lease-store.ts';
import { waitUntil } from '../../helpers/infra.ts';
import { pgSkip, startPgServer, type PgServer } from '../../helpers/pg-server.ts';

describe('PgLeaseStore (real PostgreSQL)', { skip: pgSkip() }, () => {
  let server: PgServer;
  let store: PgLeaseStore;

  before(async () => {
    server = await startPgServer();
    store = await PgLeaseStore.open({ connectionString: server.url });
  });

  after(async () => {
    await store?.close();
    await server?.stop();
  });

  it('migrate() is idempotent, also when several workers run it at once', async () => {
    const others = Array.from({ length: 4 }, () => new PgLeaseStore({ connectionString: server.url }));
    try {
      await Promise.all(others.map((s) => s.migrate()));
      await store.migrate();
    } finally {
      await Promise.all(others.map((s) => s.close()));
    }
  });

  it('migrate() on a fresh database: workers starting together all succeed', async () => {
    const admin = new pg.Pool({ connectionString: server.url, max: 1 });
    try {
      for (let round = 0; round < 20; round++) await raceOnFreshTables(admin, round);
    } finally {
      await admin.end();
    }
  });

  async function raceOnFreshTables(admin: pg.Pool, round: number): Promise<void> {
    await admin.query('DROP TABLE IF EXISTS genesys_relay_leases, genesys_relay_workers');
    const racers = Array.from({ length: 12 }, () => new PgLeaseStore({ connectionString: server.url }));
    try {
      const results = await Promise.allSettled(racers.map((s) => s.migrate()));
      assert.deepEqual(
        results.filter((r) => r.status === 'rejected'),
        [],
        `round ${round}: every concurrent migrate() succeeds`,
      );
    } finally {
      await Promise.all(racers.map((s) => s.close()));
    }
  }

  it('acquire → renew keeps the epoch; another owner is refused while the lease is live', async () => {
    const grant = await store.acquire('a-1', 'w1', 10_000);
    assert.ok(grant);
    assert.equal(grant.epoch, 1);
    assert.equal(await store.acquire('a-1', 'w2', 10_000), undefined);
    const renewed = await store.renew('a-1', 'w1', 1, 10_000);
    assert.equal(renewed?.epoch, 1);
    assert.ok(renewed.expiresAt >= grant.expiresAt);
    assert.equal(await store.renew('a-1', 'w2', 1, 10_000), undefined, 'only the holder renews');
    assert.equal(await store.isCurrentTenure('a-1', 1), true);
  });

  it('exactly one of many concurrent acquirers wins', async () => {
    const grants = await Promise.all(Array.from({ length: 12 }, (_, i) => store.acquire('race', `w${i}`, 10_000)));
    const winners = grants.filter((g) => g !== undefined);
    assert.equal(winners.length, 1);
    assert.equal(winners[0]?.epoch, 1);
  });

  it('an expired lease is taken over with a higher epoch, and the old holder is fenced', async () => {
    const first = await store.acquire('exp', 'old', 150);
    assert.equal(first?.epoch, 1);
    let taken: Awaited<ReturnType<PgLeaseStore['acquire']>>;
    await waitUntil(
      async () => (taken = await store.acquire('exp', 'new', 10_000)) !== undefined,
      5000,
      'takeover after expiry',
    );
    assert.equal(taken?.epoch, 2);
    assert.equal(await store.isCurrentTenure('exp', 1), false, 'stale epoch rejected');
    assert.equal(await store.isCurrentTenure('exp', 2), true);
    assert.equal(await store.renew('exp', 'old', 1, 10_000), undefined, 'old holder cannot renew');
    assert.equal(await store.release('exp', 'old', 1), false, 'old holder cannot release');
  });

  it('acquire reports an expired previous holder and its last renewal; first-ever, live-own and released none', async () => {
    const first = await store.acquire('gap', 'crashed', 60_000);
    assert.ok(first);
    assert.equal(first.takeover, undefined, 'first-ever acquisition');
    assert.equal((await store.acquire('gap', 'crashed', 60_000))?.takeover, undefined, 'own live lease');
    const renewed = await store.renew('gap', 'crashed', first.epoch + 1, 150);
    assert.ok(renewed);
    const renewedAt = renewed.expiresAt - 150;
    let taken: Awaited<ReturnType<PgLeaseStore['acquire']>>;
    await waitUntil(
      async () => (taken = await store.acquire('gap', 'successor', 10_000)) !== undefined,
      5000,
      'takeover after expiry',
    );
    assert.equal(taken?.takeover?.previousOwner, 'crashed');
    // renewed_at and expires_at share the statement's now(); float8 rounding of the two conversions aside.
    assert.ok(Math.abs((taken?.takeover?.lastRenewedAt ?? 0) - renewedAt) < 1, `${taken?.takeover?.lastRenewedAt}`);
    assert.ok(taken && (await store.release('gap', 'successor', taken.epoch)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const afterRelease = await store.acquire('gap', 'third', 150);
    assert.ok(afterRelease);
    assert.equal(afterRelease.takeover, undefined, 'a released lease is no takeover');
    // The same owner id whose lease expired (a restarted worker) did leave the shard unread: a takeover.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await store.acquire('gap', 'third', 10_000))?.takeover?.previousOwner, 'third');
  });

  it('of many concurrent acquirers of an expired lease, exactly one wins and reports the takeover', async () => {
    assert.ok(await store.acquire('race-exp', 'crashed', 100));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const grants = await Promise.all(Array.from({ length: 12 }, (_, i) => store.acquire('race-exp', `w${i}`, 10_000)));
    const winners = grants.filter((g) => g !== undefined);
    assert.equal(winners.length, 1);
    assert.equal(winners[0]?.takeover?.previousOwner, 'crashed');
  });

  it('release frees the shard at once and the epoch sequence continues', async () => {
    const grant = await store.acquire('rel', 'w1', 60_000);
    assert.ok(grant);
    assert.equal(await store.release('rel', 'w1', grant.epoch), true);
    assert.equal(await store.isCurrentTenure('rel', grant.epoch), false);
    const next = await store.acquire('rel', 'w2', 60_000);
    assert.equal(next?.epoch, grant.epoch + 1);
    const row = (await store.list()).find((l) => l.shard === 'rel');
    assert.deepEqual(
      { owner: row?.owner, epoch: row?.epoch, live: row?.live },
      { owner: 'w2', epoch: grant.epoch + 1, live: true },
    );
  });

  it('re-acquiring by the same owner id bumps the epoch (fences a previous incarnation)', async () => {
    const first = await store.acquire('same', 'w1', 60_000);
    const second = await store.acquire('same', 'w1', 60_000);
    assert.ok(first && second);
    assert.equal(second.epoch, first.epoch + 1);
    assert.equal(await store.isCurrentTenure('same', first.epoch), false);
  });

  it('heartbeat lists live workers; leave() and expiry remove them', async () => {
    assert.deepEqual(await store.heartbeat('hb-b', 60_000), ['hb-b']);
    assert.deepEqual(await store.heartbeat('hb-a', 60_000), ['hb-a', 'hb-b']);
    await store.heartbeat('hb-c', 100);
    await store.leave('hb-b');
    await waitUntil(
      async () => (await store.heartbeat('hb-a', 60_000)).join() === 'hb-a',
      5000,
      'hb-c expiry and hb-b leave',
    );
  });
});
