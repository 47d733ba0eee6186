import type { Clock } from '../core/clock.ts';
/** Options, events and status types of ShardCoordinator (shard-coordinator.ts). */
import type { LeaseStore, LeaseTakeover } from './lease-store.ts';
import type { StoreHealthSnapshot } from './store-health.ts';

export interface ShardCoordinatorOptions {
  store: LeaseStore;
  /** Unique per process (e.g. `${hostname}-${pid}-${random}`); a restart with the same id still bumps epochs. */
  workerId: string;
  /** Every shard of the topic plan, e.g. `shard-0` … `shard-N`. */
  shards: readonly string[];
  /** @default 15000 */
  leaseTtlMs?: number;
  /** @default leaseTtlMs / 3 */
  renewEveryMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Upper bound on this worker's share, whatever the fair share says. @default Infinity */
  maxShardsPerWorker?: number;
  /** Deadline for each store call, so a hung database cannot stall the loop. @default renewEveryMs */
  storeTimeoutMs?: number;
}

/** Why a shard was lost (not given up voluntarily). */
export type LossReason =
  /** The store said another tenure replaced ours (renew found no row with our epoch): someone else holds it now. */
  | 'fenced'
  /** `destroy()` was called; the lease is left to expire. */
  | 'destroyed';

export interface ShardCoordinatorEvents {
  /** `takeover` is set when the previous holder's lease expired (crash): its topics went unread since then. */
  acquired: [shard: string, epoch: number, takeover?: LeaseTakeover];
  lost: [shard: string, reason: LossReason];
  /** Given up voluntarily (rebalance or close); emitted before the store release so sessions stop first. */
  released: [shard: string, epoch: number];
  /** A store call failed or a listener threw; the loop carries on. */
  warning: [error: unknown];
  /** The first store call failed after a healthy round: leases are kept, but cannot be renewed or changed. */
  degraded: [error: unknown];
  /** A whole round succeeded again after `degraded`; every held lease has been renewed or reported lost. */
  recovered: [outageMs: number];
}

/** What `status` and `/readyz` show about coordination. */
export interface CoordinationHealth extends StoreHealthSnapshot {
  /**
   * Held shards whose lease passed its local deadline (sent + TTL) without a renewal: still read here, but another
   * worker may have acquired them meanwhile (only possible if it reached the store while this worker did not).
   */
  unconfirmedShards: string[];
  /** Shards nobody live holds per a lease-table read younger than the TTL (see lease-view.ts); undefined: no such read. */
  unheldShards: string[] | undefined;
}

/** Lifecycle: idle → (start) running → (close) closing → closed; destroy() jumps to closed. */
export type CoordinatorState = 'idle' | 'running' | 'closing' | 'closed';
