import type { Clock } from '../../../src/core/clock.ts';
import type { Lease, LeaseGrant, LeaseStore } from '../../../src/coordination/lease-store.ts';

interface Row {
  owner: string | undefined;
  epoch: number;
  expiresAt: number | undefined;
  /** Last acquire/renew (store clock), reported to whoever takes the lease over after it expired. */
  renewedAt: number;
  /** The epoch whose holder reported its socket open. */
  connectedEpoch?: number;
}

/**
 * LeaseStore fake with PgLeaseStore's semantics (same conditions as its SQL), timed by the given clock, which plays
 * the database clock. `unreachable` makes every call reject, like a partitioned database.
 */
export class InMemoryLeaseStore implements LeaseStore {
  readonly rows = new Map<string, Row>();
  readonly workers = new Map<string, number>();
  unreachable = false;
  calls = 0;

  constructor(private readonly clock: Clock) {}

  acquire(shard: string, owner: string, ttlMs: number): Promise<LeaseGrant | undefined> {
    return this.op(() => {
      const row = this.rows.get(shard);
      const now = this.clock.now();
      const free = !row || row.owner === undefined || (row.expiresAt ?? 0) < now || row.owner === owner;
      if (!free) return undefined;
      const next: Row = { owner, epoch: (row?.epoch ?? 0) + 1, expiresAt: now + ttlMs, renewedAt: now };
      this.rows.set(shard, next);
      const grant: LeaseGrant = { shard, owner, epoch: next.epoch, expiresAt: now + ttlMs };
      // Like PgLeaseStore: only an expired (not released, not first-ever) tenure is a takeover.
      if (row?.owner === undefined || (row.expiresAt ?? 0) >= now) return grant;
      return { ...grant, takeover: { previousOwner: row.owner, lastRenewedAt: row.renewedAt } };
    });
  }

  renew(shard: string, owner: string, epoch: number, ttlMs: number): Promise<LeaseGrant | undefined> {
    return this.op(() => {
      const row = this.rows.get(shard);
      if (!row || row.owner !== owner || row.epoch !== epoch) return undefined;
      row.renewedAt = this.clock.now();
      row.expiresAt = row.renewedAt + ttlMs;
      return { shard, owner, epoch, expiresAt: row.expiresAt };
    });
  }

  release(shard: string, owner: string, epoch: number): Promise<boolean> {
    return this.op(() => {
      const row = this.rows.get(shard);
      if (!row || row.owner !== owner || row.epoch !== epoch) return false;
      row.owner = undefined;
      row.expiresAt = undefined;
      return true;
    });
  }

  list(): Promise<Lease[]> {
    return this.op(() =>
      [...this.rows]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([shard, row]) => ({
          shard,
          owner: row.owner,
          epoch: row.epoch,
          expiresAt: row.expiresAt,
          live: this.isLive(row),
          connected: row.connectedEpoch === row.epoch,
        })),
    );
  }

  markConnected(shard: string, owner: string, epoch: number): Promise<boolean> {
    return this.op(() => {
      const row = this.rows.get(shard);
      if (!row || row.owner !== owner || row.epoch !== epoch) return false;
      row.connectedEpoch = epoch;
      return true;
    });
  }

  isCurrentTenure(shard: string, epoch: number): Promise<boolean> {
    return this.op(() => {
      const row = this.rows.get(shard);
      return row !== undefined && row.epoch === epoch && this.isLive(row);
    });
  }

  heartbeat(workerId: string, ttlMs: number): Promise<string[]> {
    return this.op(() => {
      const now = this.clock.now();
      this.workers.set(workerId, now + ttlMs);
      return [...this.workers]
        .filter(([, expiresAt]) => expiresAt > now)
        .map(([id]) => id)
        .sort();
    });
  }

  leave(workerId: string): Promise<void> {
    return this.op(() => {
      this.workers.delete(workerId);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Who holds what, live only: shard → owner. */
  owners(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [shard, row] of this.rows) if (row.owner && this.isLive(row)) out.set(shard, row.owner);
    return out;
  }

  private isLive(row: Row): boolean {
    return row.owner !== undefined && (row.expiresAt ?? 0) > this.clock.now();
  }

  private op<T>(fn: () => T): Promise<T> {
    this.calls++;
    if (this.unreachable) return Promise.reject(new Error('store unreachable'));
    return Promise.resolve(fn());
  }
}

/**
 * One worker's connection to a shared InMemoryLeaseStore: `cutOff` fails only this worker's calls, like a network
 * partition between it and the database while the others still reach it.
 */
export class WorkerLink implements LeaseStore {
  cutOff = false;

  constructor(private readonly store: LeaseStore) {}

  acquire(shard: string, owner: string, ttlMs: number): Promise<LeaseGrant | undefined> {
    return this.via(() => this.store.acquire(shard, owner, ttlMs));
  }

  renew(shard: string, owner: string, epoch: number, ttlMs: number): Promise<LeaseGrant | undefined> {
    return this.via(() => this.store.renew(shard, owner, epoch, ttlMs));
  }

  release(shard: string, owner: string, epoch: number): Promise<boolean> {
    return this.via(() => this.store.release(shard, owner, epoch));
  }

  list(): Promise<Lease[]> {
    return this.via(() => this.store.list());
  }

  markConnected(shard: string, owner: string, epoch: number): Promise<boolean> {
    return this.via(() => this.store.markConnected(shard, owner, epoch));
  }

  isCurrentTenure(shard: string, epoch: number): Promise<boolean> {
    return this.via(() => this.store.isCurrentTenure(shard, epoch));
  }

  heartbeat(workerId: string, ttlMs: number): Promise<string[]> {
    return this.via(() => this.store.heartbeat(workerId, ttlMs));
  }

  leave(workerId: string): Promise<void> {
    return this.via(() => this.store.leave(workerId));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private via<T>(call: () => Promise<T>): Promise<T> {
    return this.cutOff ? Promise.reject(new Error('partitioned from the store')) : call();
  }
}
