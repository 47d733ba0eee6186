/**
 * Port for shard leases with tenure epochs. The relay's only implementation is PgLeaseStore (pg-lease-store.ts);
 * tests use an in-memory fake of the same interface.
 *
 * Semantics every implementation keeps:
 * - Time is the STORE's clock (Postgres `now()`), never the caller's, so worker clock skew cannot make two workers
 *   believe they both hold a shard.
 * - `epoch` numbers tenures: it strictly increases with every successful `acquire` of a shard (so with every change
 *   of owner) and never goes back, not even after `release`. It is NOT a fence, and nothing uses it as one: what a
 *   superseded holder still reads (it keeps reading through a coordination outage, and during a make-before-break
 *   handover) is real events, delivered like any other and de-duplicated downstream by `relay.key`; rejecting them
 *   could lose the only copy. What it guarantees: a holder learns it was superseded at its next successful renew
 *   (renew and release match the epoch), and every event carries the epoch of the tenure that read it (`relay.epoch`,
 *   NATS `Genesys-Relay-Epoch`), so a consumer can tell the copies of an overlap apart and order tenures.
 * - `renew` keeps the epoch; it only succeeds for the holder of exactly that epoch.
 * - `acquire` of a lease whose holder let it EXPIRE (crash, partition) reports that holder in `takeover`: nobody
 *   read the shard's topics since its last renewal, so the new holder owes a gap record and a resync. A released
 *   lease (graceful handover: the old holder kept its socket until now) or a first-ever acquisition reports none.
 */

/** The previous tenure of a shard whose lease expired instead of being released. */
export interface LeaseTakeover {
  /** Who held it (may equal the new owner: a restarted worker with the same id). */
  previousOwner: string;
  /** Store-clock epoch ms of its last acquire/renew: the last instant it is known to have been alive. */
  lastRenewedAt: number;
}

export interface LeaseGrant {
  shard: string;
  owner: string;
  /** Tenure number (see the module comment: not a fence). */
  epoch: number;
  /** Store-clock expiry (epoch ms). Informational: holders time their own deadline with their local clock. */
  expiresAt: number;
  /** Set by `acquire` only, when the previous tenure expired rather than being released. */
  takeover?: LeaseTakeover;
}

/** A row as `list()` reports it. */
export interface Lease {
  shard: string;
  /** Undefined once released. */
  owner: string | undefined;
  /** Epoch of the latest tenure (kept after release so the next acquire continues from it). */
  epoch: number;
  /** Store-clock expiry; undefined once released. */
  expiresAt: number | undefined;
  /** Held and unexpired by the store's clock at the time of the query. */
  live: boolean;
  /** The holder of this tenure (`epoch`) reported its socket open (`markConnected`). */
  connected: boolean;
}

export interface LeaseStore {
  /**
   * Takes `shard` for `owner` for `ttlMs` if it is unowned, released, expired, or already `owner`'s, and bumps its
   * epoch. Undefined when another owner holds a live lease. The grant's `takeover` names an expired previous holder.
   */
  acquire(shard: string, owner: string, ttlMs: number): Promise<LeaseGrant | undefined>;
  /**
   * Extends `owner`'s tenure `epoch` by `ttlMs` from now, also after it expired if nobody acquired it meanwhile (a
   * coordination outage: the holder kept reading). Undefined when another tenure replaced it.
   */
  renew(shard: string, owner: string, epoch: number, ttlMs: number): Promise<LeaseGrant | undefined>;
  /** Gives the shard up at once so another worker can take it. False if `owner`/`epoch` no longer held it. */
  release(shard: string, owner: string, epoch: number): Promise<boolean>;
  /** Every shard row the store knows. */
  list(): Promise<Lease[]>;
  /**
   * Records that `owner`'s tenure `epoch` has its socket open, so a predecessor handing the shard over (release, or
   * fenced after an outage) can stop reading: make-before-break on a fact, not a guessed grace. False if not held.
   */
  markConnected(shard: string, owner: string, epoch: number): Promise<boolean>;
  /** True only while `epoch` is the current, live tenure of `shard` (diagnostics and tests; no writer relies on it). */
  isCurrentTenure(shard: string, epoch: number): Promise<boolean>;
  /**
   * Records that `workerId` is alive until now + `ttlMs` and returns the ids of all live workers (sorted), so each
   * worker can compute its fair share. A worker that holds no lease yet must still be counted, hence a separate
   * heartbeat rather than deriving liveness from leases alone.
   */
  heartbeat(workerId: string, ttlMs: number): Promise<string[]>;
  /** Removes `workerId`'s heartbeat (graceful shutdown), so the others' fair share grows at once. */
  leave(workerId: string): Promise<void>;
  /** Releases connections. Does not release leases. */
  close(): Promise<void>;
}
