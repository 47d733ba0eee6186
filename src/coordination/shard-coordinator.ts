import { EventEmitter } from 'node:events';
import { withDeadline } from '../core/abort.ts';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.ts';
import { ClosedError, ConfigError, RelayError } from '../core/errors.ts';
import { acquireCandidates, fairShareOf, shardsToShed } from './fair-share.ts';
import type { LeaseStore, LeaseTakeover } from './lease-store.ts';

/**
 * ShardCoordinator: one worker's share of the shards, kept with leases in a LeaseStore (PgLeaseStore).
 *
 * Every `renewEveryMs` the coordinator (1) heartbeats, learning the live workers, (2) renews each held lease,
 * (3) sheds shards above its fair share, ceil(shards / live workers), or acquires free/expired ones below it.
 * The service (src/service) listens: `acquired(shard, epoch, takeover?)` → start that shard's sessions and stamp
 * `epoch` on its writes (with `takeover`, the previous holder crashed: record the gap since its last renewal and
 * resync); `lost` / `released` → stop them.
 *
 * Safety model:
 * - Expiry is judged by the store's clock; the holder times its own deadline with its LOCAL clock from when it SENT
 *   the renew (sentAt + ttl). Local clock RATE matters, skew does not. At that deadline it emits `lost('expired')`
 *   even if the store is unreachable, so a partitioned worker stops by the time others may take over.
 * - Make-before-break is accepted: a new owner may start before a slow old one has stopped its sockets (or a paused
 *   process wakes up late). The overlap can only produce duplicate events, and every event carries the
 *   deterministic `relay.key`, which the outbox and sinks de-duplicate (NATS `Nats-Msg-Id`, ServiceNow coalesce).
 *   Writers that must not accept a stale holder check the epoch (`LeaseStore.checkFence`).
 * - `close()` releases leases at once so takeover is immediate; a crashed worker's leases expire after the TTL,
 *   and the others take them within about `leaseTtlMs + renewEveryMs`.
 * How `genesys-relay run --coordination-url` workers wire this, and what the multi-worker e2e test needs: index.ts.
 */
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
  /** The store said another tenure replaced ours (renew found no row with our epoch). */
  | 'fenced'
  /** Our local deadline passed without a successful renew (store unreachable or slow). */
  | 'expired'
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
}

/** Lifecycle: idle → (start) running → (close) closing → closed; destroy() jumps to closed. */
export type CoordinatorState = 'idle' | 'running' | 'closing' | 'closed';

interface HeldLease {
  epoch: number;
  /** Local-clock instant at which the lease must be treated as lost. */
  deadlineAt: number;
  timer: TimerHandle;
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
    let live: string[] | undefined;
    try {
      live = await this.call(this.store.heartbeat(this.workerId, this.ttlMs));
      this.live = live.includes(this.workerId) ? live : [...live, this.workerId].sort();
    } catch (err) {
      this.safeEmit('warning', err);
    }
    await Promise.all([...this.held.keys()].map((shard) => this.renew(shard)));
    // Without a fresh view of the live workers, growing or shrinking could only guess.
    if (live === undefined || this.state !== 'running') return;
    await this.rebalance();
  }

  private async renew(shard: string): Promise<void> {
    const lease = this.held.get(shard);
    if (!lease) return;
    const sentAt = this.clock.now();
    try {
      const grant = await this.call(this.store.renew(shard, this.workerId, lease.epoch, this.ttlMs));
      if (this.held.get(shard) !== lease) {
        // Lost locally (deadline) or closing while the renew was in flight: hand the lease back.
        if (grant) await this.call(this.store.release(shard, this.workerId, grant.epoch)).catch(() => undefined);
        return;
      }
      if (grant) this.hold(shard, grant.epoch, sentAt);
      else this.drop(shard, 'fenced');
    } catch (err) {
      // Not lost yet: the local deadline timer decides if the store stays unreachable.
      this.safeEmit('warning', err);
    }
  }

  private async rebalance(): Promise<void> {
    const share = fairShareOf(this.shards.length, this.live.length, this.maxShards);
    const excess = this.held.size - share;
    if (excess > 0) {
      await Promise.allSettled(shardsToShed(this.held.keys(), excess).map((shard) => this.giveUp(shard)));
      return;
    }
    if (excess === 0) return;
    const leases = await this.call(this.store.list());
    const candidates = acquireCandidates({
      shards: this.shards,
      held: new Set(this.held.keys()),
      leases,
      workerId: this.workerId,
      liveWorkers: this.live,
    });
    for (const shard of candidates) {
      if (this.held.size >= share || this.state !== 'running') return;
      await this.tryAcquire(shard);
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
    this.clock.clearTimeout(this.held.get(shard)?.timer);
    const deadlineAt = sentAt + this.ttlMs;
    const timer = this.clock.setTimeout(() => this.onDeadline(shard, epoch), deadlineAt - this.clock.now());
    this.held.set(shard, { epoch, deadlineAt, timer });
  }

  private onDeadline(shard: string, epoch: number): void {
    if (this.held.get(shard)?.epoch === epoch) this.drop(shard, 'expired');
  }

  private drop(shard: string, reason: LossReason): void {
    if (!this.held.has(shard)) return;
    this.forget(shard);
    this.safeEmit('lost', shard, reason);
  }

  private forget(shard: string): void {
    this.clock.clearTimeout(this.held.get(shard)?.timer);
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
