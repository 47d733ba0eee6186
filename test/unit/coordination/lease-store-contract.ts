import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { LeaseGrant, LeaseStore } from '../../../src/coordination/lease-store.ts';

/** A store under test and a way to let time pass on ITS clock (the database's, or the fake's). */
export interface ContractSubject {
  store: LeaseStore;
  /** Lets at least `ms` pass on the store's clock. */
  elapse: (ms: number) => Promise<void>;
}

/** A lease short enough to wait out in a test against a real database. */
const SHORT_MS = 150;
const LONG_MS = 60_000;

let names = 0;
/** Shard/worker names unique per test, so every test can share one store. */
const fresh = (what: string): string => `${what}-${++names}-${process.pid}`;

/**
 * The semantics every LeaseStore keeps (lease-store.ts), run against each implementation: the in-memory fake the unit
 * tests use and PgLeaseStore on a real PostgreSQL. A fake that drifted from the SQL would fail here.
 */
export function leaseStoreContract(subject: () => ContractSubject): void {
  it('acquire → renew keeps the epoch; another owner is refused while the lease is live; only the holder renews', async () => {
    const { store } = subject();
    const shard = fresh('s');
    const grant = await store.acquire(shard, 'w1', LONG_MS);
    assert.equal(grant?.epoch, 1);
    assert.equal(grant.takeover, undefined, 'a first-ever acquisition is no takeover');
    assert.equal(await store.acquire(shard, 'w2', LONG_MS), undefined);
    const renewed = await store.renew(shard, 'w1', 1, LONG_MS);
    assert.equal(renewed?.epoch, 1);
    assert.equal(await store.renew(shard, 'w2', 1, LONG_MS), undefined);
    assert.equal(await store.isCurrentTenure(shard, 1), true);
  });

  it('of many concurrent acquirers exactly one wins', async () => {
    const { store } = subject();
    const shard = fresh('race');
    const grants = await Promise.all(Array.from({ length: 8 }, (_, i) => store.acquire(shard, `w${i}`, LONG_MS)));
    assert.equal(grants.filter((g) => g !== undefined).length, 1);
  });

  it('an expired lease is taken over with a higher epoch, naming the old holder and its last renewal', async () => {
    const { store, elapse } = subject();
    const shard = fresh('exp');
    const first = await store.acquire(shard, 'old', SHORT_MS);
    assert.ok(first);
    const renewed = await store.renew(shard, 'old', first.epoch, SHORT_MS);
    assert.ok(renewed);
    await elapse(SHORT_MS * 2);
    const taken = await store.acquire(shard, 'new', LONG_MS);
    assert.equal(taken?.epoch, first.epoch + 1);
    assert.equal(taken.takeover?.previousOwner, 'old');
    assert.ok(Math.abs((taken.takeover?.lastRenewedAt ?? 0) - (renewed.expiresAt - SHORT_MS)) < 1);
    assert.equal(await store.isCurrentTenure(shard, first.epoch), false);
    assert.equal(await store.renew(shard, 'old', first.epoch, LONG_MS), undefined, 'the old holder is superseded');
    assert.equal(await store.release(shard, 'old', first.epoch), false);
  });

  it('an expired lease nobody took renews with the same epoch (a holder reading through a store outage)', async () => {
    const { store, elapse } = subject();
    const shard = fresh('outage');
    const grant = await store.acquire(shard, 'holder', SHORT_MS);
    assert.ok(grant);
    await elapse(SHORT_MS * 2);
    assert.equal((await store.list()).find((l) => l.shard === shard)?.live, false);
    const renewed = await store.renew(shard, 'holder', grant.epoch, LONG_MS);
    assert.equal(renewed?.epoch, grant.epoch);
    assert.equal((await store.list()).find((l) => l.shard === shard)?.live, true);
  });

  it('release frees the shard at once, the epoch sequence continues, and a released lease is no takeover', async () => {
    const { store, elapse } = subject();
    const shard = fresh('rel');
    const grant = await store.acquire(shard, 'w1', LONG_MS);
    assert.ok(grant && (await store.release(shard, 'w1', grant.epoch)));
    assert.equal(await store.isCurrentTenure(shard, grant.epoch), false);
    await elapse(SHORT_MS);
    const next = await store.acquire(shard, 'w2', LONG_MS);
    assert.equal(next?.epoch, grant.epoch + 1);
    assert.equal(next.takeover, undefined);
    const row = (await store.list()).find((l) => l.shard === shard);
    assert.deepEqual(
      { owner: row?.owner, epoch: row?.epoch, live: row?.live },
      { owner: 'w2', epoch: next.epoch, live: true },
    );
  });

  it('re-acquiring by the same owner bumps the epoch; a live own lease is no takeover, an expired one is', async () => {
    const { store, elapse } = subject();
    const shard = fresh('same');
    const first = await store.acquire(shard, 'w1', LONG_MS);
    const second = await store.acquire(shard, 'w1', SHORT_MS);
    assert.ok(first && second);
    assert.equal(second.epoch, first.epoch + 1);
    assert.equal(second.takeover, undefined);
    await elapse(SHORT_MS * 2);
    assert.equal((await store.acquire(shard, 'w1', LONG_MS))?.takeover?.previousOwner, 'w1');
  });

  it('markConnected flags only the current tenure, and a new tenure starts unconnected', async () => {
    const { store } = subject();
    const shard = fresh('conn');
    const grant = await store.acquire(shard, 'w1', LONG_MS);
    assert.ok(grant);
    const connected = async () => (await store.list()).find((l) => l.shard === shard)?.connected;
    assert.equal(await connected(), false);
    assert.equal(await store.markConnected(shard, 'w2', grant.epoch), false, 'not the holder');
    assert.equal(await store.markConnected(shard, 'w1', grant.epoch), true);
    assert.equal(await connected(), true);
    assert.ok(await store.release(shard, 'w1', grant.epoch));
    const next: LeaseGrant | undefined = await store.acquire(shard, 'w2', LONG_MS);
    assert.ok(next);
    assert.equal(await connected(), false, "the predecessor's flag does not carry over");
    assert.equal(await store.markConnected(shard, 'w1', grant.epoch), false, 'a stale tenure cannot mark');
  });

  it('heartbeat lists the live workers; leave() and expiry remove them', async () => {
    const { store, elapse } = subject();
    const [a, b, c] = [fresh('hb-a'), fresh('hb-b'), fresh('hb-c')];
    assert.ok((await store.heartbeat(b, LONG_MS)).includes(b));
    const both = await store.heartbeat(a, LONG_MS);
    assert.ok(both.includes(a) && both.includes(b));
    assert.deepEqual(both, [...both].sort(), 'sorted');
    await store.heartbeat(c, SHORT_MS);
    await store.leave(b);
    await elapse(SHORT_MS * 2);
    const live = await store.heartbeat(a, LONG_MS);
    assert.ok(live.includes(a) && !live.includes(b) && !live.includes(c), live.join());
  });
}
