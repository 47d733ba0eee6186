import { EventEmitter } from 'node:events';
import { withDeadline } from '../core/abort.ts';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.ts';
import { ClosedError, ConfigError, RelayError } from '../core/errors.ts';
import type {
  CoordinationHealth,
  CoordinatorState,
  LossReason,
  ShardCoordinatorEvents,
  ShardCoordinatorOptions,
} from './coordinator-types.ts';
import { acquireCandidates, fairShareOf, shardsToShed } from './fair-share.ts';
import type { Lease, LeaseStore } from './lease-store.ts';
import { unheldShards, type LeaseView } from './lease-view.ts';
import { StoreHealth } from './store-health.ts';

export type {
  CoordinationHealth,
  CoordinatorState,
  LossReason,
  ShardCoordinatorEvents,
  ShardCoordinatorOptions,
} from './coordinator-types.ts';

/**
 * ShardCoordinator: one worker's share of the shards, kept with leases in a LeaseStore (PgLeaseStore).
 *
 * Every `renewEveryMs` the coordinator (1) heartbeats, learning the live workers, (2) renews each held lease,
 * (3) reads the lease table, and sheds shards above its fair share, ceil(shards / live workers), or acquires
 * free/expired ones below it. The service (src/service) listens: `acquired(shard, epoch, takeover?)` → start that
 * shard's sessions and stamp `epoch` on its events (with `takeover`, the previous holder stopped renewing: record the
 * gap since its last renewal and resync); `released` / `lost('fenced')` → hand the shard over (keep reading until
 * the new holder is connected), `lost('destroyed')` → stop at once.
 *
 * Coordination outage (the store unreachable or failing): the worker KEEPS every shard it holds and keeps reading.
 * Nobody can take a shard over while nobody can reach the store, so keeping it is what loses nothing; if only this
 * worker is cut off and another takes its shards after the TTL, both read for a while and the copies share
 * `relay.key`, which the sinks de-duplicate. The outage is reported once per transition (`degraded` / `recovered`
 * events, `health()`); nothing is acquired or shed meanwhile. When the store answers again, each held lease is
 * reconciled: renewed if it is still ours (an expired but untaken lease renews with the same epoch), else `lost`
 * with reason `fenced` (someone acquired it first: whoever acquires first wins). While its own rounds still fail
 * (degraded), and for one lease TTL after its own outage ended, a worker does not take over OTHER workers' expired
 * leases: their holders most likely read through the same outage, and are given the same TTL to renew that a lease
 * gets after any renewal (no handover, no false gap). A holder that died meanwhile loses its shards about
 * leaseTtlMs + renewEveryMs after the store answers again: the usual bound, counted from the store's return.
 *
 * The epoch is a tenure number, not a fence: it strictly increases with every acquisition, a renew or release
 * succeeds only for the current one, and every event carries it; nothing rejects what a superseded holder still
 * reads (those are real events: dropping them could lose the only copy). See lease-store.ts.
 * How `genesys-relay run --coordination-url` workers wire this, and what the multi-worker e2e test needs: index.ts.
 */
interface HeldLease {
  epoch: number;
  /** The shard's socket is open and the store has not yet been told (markConnected is retried each round). */
  connectedUnreported?: boolean;
  /** Local-clock instant (sent + TTL) after which the store may have let another worker acquire it. */
  deadlineAt: number;
}

export class ShardCoordinator extends EventEmitter<ShardCoordinatorEvents> {
  readonly workerId: string;
  private readonly store: LeaseStore;
  private readonly shards: readonly string[];
  private readonly ttlMs: number;
  private readonly renewEveryMs: number;
  private readonly storeTimeoutMs: number;
  private readonly maxShards: number;
  private readonly clock: Clock;
  private readonly held = new Map<string, HeldLease>();
  private state: CoordinatorState = 'idle';
  private live: readonly string[] = [];
  private tickTimer: TimerHandle | undefined;
  private inflight: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly health: StoreHealth;
  private view: LeaseView | undefined;
  /** Until this local instant, other workers' expired leases are not taken (see the class comment). */
  private reconcileUntil = 0;

  constructor(options: ShardCoordinatorOptions) {
    super();
    this.store = options.store;
    this.workerId = options.workerId;
    this.shards = [...new Set(options.shards)];
    this.ttlMs = options.leaseTtlMs ?? 15_000;
    this.renewEveryMs = options.renewEveryMs ?? Math.floor(this.ttlMs / 3);
    this.storeTimeoutMs = options.storeTimeoutMs ?? this.renewEveryMs;
    this.maxShards = options.maxShardsPerWorker ?? Infinity;
    this.clock = options.clock ?? systemClock;
    if (!options.workerId) throw new ConfigError('coordination.workerId', 'must not be empty');
    if (!(this.ttlMs > 0)) throw new ConfigError('coordination.leaseTtlMs', 'must be > 0');
    if (!(this.renewEveryMs > 0 && this.renewEveryMs < this.ttlMs)) {
      throw new ConfigError('coordination.renewEveryMs', `must be > 0 and < leaseTtlMs (${this.ttlMs})`);
    }
    this.health = new StoreHealth(this.clock, {
      degraded: (err) => this.safeEmit('degraded', err),
      recovered: (outageMs) => {
        // As if every holder had renewed the moment the store came back (soak: a slower peer was fenced after 1 s).
        this.reconcileUntil = this.clock.now() + Math.max(this.ttlMs, this.renewEveryMs + this.storeTimeoutMs);
        this.safeEmit('recovered', outageMs);
      },
    });
  }

  get status(): CoordinatorState {
    return this.state;
  }

  /** Held shards → current epoch. */
  heldShards(): ReadonlyMap<string, number> {
    return new Map([...this.held].map(([shard, lease]) => [shard, lease.epoch]));
  }

  /** Live worker ids as of the last heartbeat. */
  get liveWorkers(): readonly string[] {
    return this.live;
  }

  /** Store health, unconfirmed leases and unheld shards, as of now. */
  coordinationHealth(): CoordinationHealth {
    const now = this.clock.now();
    const unconfirmedShards = [...this.held].filter(([, lease]) => lease.deadlineAt <= now).map(([shard]) => shard);
    return {
      ...this.health.snapshot(),
      unconfirmedShards,
      unheldShards: unheldShards(this.shards, new Set(this.held.keys()), this.view, now, this.ttlMs),
    };
  }

  /**
   * The shard's socket is open under tenure `epoch`: tells the store, so a predecessor handing it over can stop
   * reading. Retried every round until the store has it (it may be unreachable right now).
   */
  reportConnected(shard: string, epoch: number): void {
    const lease = this.held.get(shard);
    if (lease?.epoch !== epoch) return;
    lease.connectedUnreported = true;
    void this.flushConnected(shard);
  }

  private async flushConnected(shard: string): Promise<void> {
    const lease = this.held.get(shard);
    if (!lease?.connectedUnreported || this.state !== 'running') return;
    try {
      await this.call(this.store.markConnected(shard, this.workerId, lease.epoch));
      lease.connectedUnreported = false;
    } catch (err) {
      this.onStoreError(err);
    }
  }

  /** Starts the loop; resolves after the first round (heartbeat, acquisitions) has finished. */
  async start(): Promise<void> {
    if (this.state !== 'idle') {
      throw new RelayError('GENESYS_RELAY_ERR_ILLEGAL_STATE', `cannot start: coordinator is ${this.state}`);
    }
    this.state = 'running';
    await this.runTick();
  }

  /** Runs one round now (tests and `--once` tooling); no-op unless running. */
  async tickNow(): Promise<void> {
    if (this.state !== 'running') return;
    if (this.inflight) await this.inflight;
    this.clock.clearTimeout(this.tickTimer);
    await this.runTick();
  }

  /** Graceful: stops the loop, emits `released` for every shard, releases them in the store, leaves. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  /** Immediate: stops the loop and forgets leases without touching the store (they expire after the TTL). */
  destroy(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clock.clearTimeout(this.tickTimer);
    for (const shard of [...this.held.keys()]) this.drop(shard, 'destroyed');
  }

  private async doClose(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.clock.clearTimeout(this.tickTimer);
    await this.inflight;
    const releases = [...this.held].map(([shard, lease]) => {
      this.forget(shard);
      this.safeEmit('released', shard, lease.epoch);
      return this.call(this.store.release(shard, this.workerId, lease.epoch));
    });
    await Promise.allSettled(releases);
    await this.call(this.store.leave(this.workerId)).catch((err: unknown) => this.safeEmit('warning', err));
    this.state = 'closed';
  }

  private runTick(): Promise<void> {
    const startedAt = this.clock.now();
    const tick = this.tick()
      .catch((err: unknown) => this.safeEmit('warning', err))
      .finally(() => {
        this.inflight = undefined;
        if (this.state !== 'running') return;
        const waitMs = Math.max(0, this.renewEveryMs - (this.clock.now() - startedAt));
        this.tickTimer = this.clock.setTimeout(() => void this.runTick(), waitMs);
      });
    this.inflight = tick;
    return tick;
  }

  private async tick(): Promise<void> {
    const live = await this.storeCall(() => this.store.heartbeat(this.workerId, this.ttlMs));
    if (live) this.live = live.includes(this.workerId) ? live : [...live, this.workerId].sort();
    await Promise.all([...this.held.keys()].map((shard) => this.renew(shard)));
    await Promise.all([...this.held.keys()].map((shard) => this.flushConnected(shard)));
    // Without a fresh view of the live workers and the leases, growing or shrinking could only guess.
    const leases = live && this.state === 'running' ? await this.storeCall(() => this.store.list()) : undefined;
    if (leases) this.view = { readAt: this.clock.now(), leases };
    if (this.state !== 'running') return;
    this.health.roundEnded();
    if (leases) await this.rebalance(leases);
  }

  /** A store call whose failure marks the store degraded (and is reported as a warning); undefined on failure. */
  private async storeCall<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.call(work());
    } catch (err) {
      this.onStoreError(err);
      return undefined;
    }
  }

  private onStoreError(err: unknown): void {
    // ClosedError: our own close/destroy, not the store.
    if (this.state === 'running') this.health.failed(err);
    this.safeEmit('warning', err);
  }

  private async renew(shard: string): Promise<void> {
    const lease = this.held.get(shard);
    if (!lease) return;
    const sentAt = this.clock.now();
    try {
      const grant = await this.call(this.store.renew(shard, this.workerId, lease.epoch, this.ttlMs));
      if (this.held.get(shard) !== lease) {
        // Closing or destroyed while the renew was in flight: hand the lease back.
        if (grant) await this.call(this.store.release(shard, this.workerId, grant.epoch)).catch(() => undefined);
        return;
      }
      if (grant) this.hold(shard, grant.epoch, sentAt);
      else this.drop(shard, 'fenced');
    } catch (err) {
      // Not lost: while the store is unreachable nobody can acquire the shard, so it is kept and read (class comment).
      this.onStoreError(err);
    }
  }

  private async rebalance(leases: readonly Lease[]): Promise<void> {
    const share = fairShareOf(this.shards.length, this.live.length, this.maxShards);
    const excess = this.held.size - share;
    if (excess > 0) {
      await Promise.allSettled(shardsToShed(this.held.keys(), excess).map((shard) => this.giveUp(shard)));
      return;
    }
    if (excess === 0) return;
    const candidates = acquireCandidates({
      shards: this.shards,
      held: new Set(this.held.keys()),
      leases,
      workerId: this.workerId,
      liveWorkers: this.live,
      // A round with a failed call is no proof the store is back for everyone (soak: w1 fenced by such a round).
      takeOverExpired: !this.health.degraded && this.clock.now() >= this.reconcileUntil,
    });
    try {
      for (const shard of candidates) {
        if (this.held.size >= share || this.state !== 'running') return;
        await this.tryAcquire(shard);
      }
    } catch (err) {
      this.onStoreError(err);
    }
  }

  private async tryAcquire(shard: string): Promise<void> {
    const sentAt = this.clock.now();
    const grant = await this.call(this.store.acquire(shard, this.workerId, this.ttlMs));
    if (!grant) return;
    if (this.state !== 'running') {
      await this.call(this.store.release(shard, this.workerId, grant.epoch));
      return;
    }
    this.hold(shard, grant.epoch, sentAt);
    if (grant.takeover) this.safeEmit('acquired', shard, grant.epoch, grant.takeover);
    else this.safeEmit('acquired', shard, grant.epoch);
  }

  private async giveUp(shard: string): Promise<void> {
    const lease = this.held.get(shard);
    if (!lease) return;
    this.forget(shard);
    this.safeEmit('released', shard, lease.epoch);
    await this.call(this.store.release(shard, this.workerId, lease.epoch));
  }

  /** Records (or extends) a tenure; its deadline counts from when the request was sent, not answered. */
  private hold(shard: string, epoch: number, sentAt: number): void {
    const previous = this.held.get(shard);
    const unreported = previous?.epoch === epoch && previous.connectedUnreported === true;
    this.held.set(shard, {
      epoch,
      deadlineAt: sentAt + this.ttlMs,
      ...(unreported ? { connectedUnreported: true } : {}),
    });
  }

  private drop(shard: string, reason: LossReason): void {
    if (!this.held.has(shard)) return;
    this.forget(shard);
    this.safeEmit('lost', shard, reason);
  }

  private forget(shard: string): void {
    this.held.delete(shard);
  }

  private call<T>(work: Promise<T>): Promise<T> {
    if (this.state === 'closed') {
      // The store call has already started: once the pool is ended it rejects, and unobserved that would be an
      // unhandled rejection (fatal in Node) after destroy() — seen as a flaky teardown in CI.
      work.catch(() => undefined);
      return Promise.reject(new ClosedError('coordinator closed'));
    }
    return withDeadline(work, this.storeTimeoutMs, this.clock, 'lease store call');
  }

  /** A throwing listener must not break the lease loop (it would stop renewing every other shard). */
  private safeEmit<K extends keyof ShardCoordinatorEvents>(event: K, ...args: ShardCoordinatorEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: ShardCoordinatorEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      if (event !== 'warning') this.safeEmit('warning', err);
    }
  }
}
