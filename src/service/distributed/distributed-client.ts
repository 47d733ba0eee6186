import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import {
  NotificationClient,
  type ClientCounters,
  type ClientEventMap,
  type ClientStatus,
  type NotificationClientOptions,
} from '../../client/index.ts';
import { newCounters } from '../../client/counters.ts';
import { TypedEmitter } from '../../client/typed-emitter.ts';
import type { CoordinationConfig } from '../../config/coordination.ts';
import {
  PgLeaseStore,
  ShardCoordinator,
  ShardLifecycle,
  type LeaseStore,
  type LeaseTakeover,
  type LossReason,
} from '../../coordination/index.ts';
import type { Clock } from '../../core/clock.ts';
import { ClosedError, NetworkError, errorMessage } from '../../core/errors.ts';
import { stampFencing } from '../../envelope/fencing.ts';
import { audit, type Logger } from '../../logging/logger.ts';
import type { Gap } from '../../session/gap.ts';
import { logCoordination } from './coordination-log.ts';
import type { CoordinationStatus, EventSource } from './event-source.ts';
import { createCoordinationMetrics, type CoordinationMetrics } from './coordination-metrics.ts';
import { handOverShard } from './handover.ts';
import { addCounters, forwardShardEvents, shardLabel } from './shard-events.ts';
import type { OauthClients } from './oauth-clients.ts';
import type { DistributedShard } from './shard-plan.ts';
import { watchTakeoverGap } from './takeover-gap.ts';

/** Options every shard's NotificationClient shares; topics, api and tokens come from the shard. */
export type ShardClientOptions = Omit<NotificationClientOptions, 'topics' | 'api' | 'tokens' | 'apiBase'>;

export interface DistributedClientOptions {
  coordination: CoordinationConfig;
  /** The plan every worker computes alike (shard-plan.ts). */
  shards: readonly DistributedShard[];
  oauth: OauthClients;
  base: ShardClientOptions;
  logger: Logger;
  clock: Clock;
  /** @default PgLeaseStore.open({ connectionString: coordination.url }) */
  openStore?: () => Promise<LeaseStore>;
  /** The relay's registry, for the lease metrics (coordination-metrics.ts). @default none */
  registry?: Registry;
}

interface RunningShard {
  shard: DistributedShard;
  epoch: number;
  client: NotificationClient;
  /** client.start(): resolves once the channel is open, rejects on a fatal error (bad credentials). */
  started: Promise<void>;
  unsubscribe: Array<() => void>;
}

/**
 * The event source of one worker in distributed mode: holds the shards its leases give it, one NotificationClient
 * per shard, all feeding the same outbox through `base.onEvent`, each event stamped with the lease's shard and
 * tenure epoch (a label, not a fence: coordination/lease-store.ts). A released or superseded ('fenced') lease keeps
 * its client reading until the new holder reports its socket open (handover.ts: make-before-break; the copies share
 * `relay.key`, and the sinks keep one). While the lease store is unreachable every held shard is kept and read
 * (ShardCoordinator). `close()` releases every lease first, so the other workers take over within one renew interval.
 */
export class DistributedClient implements EventSource {
  readonly workerId: string;
  private readonly emitter: TypedEmitter<ClientEventMap>;
  private readonly byName: ReadonlyMap<string, DistributedShard>;
  private readonly running = new Map<string, RunningShard>();
  /** Shards being stopped: out of status() at once, but still counted until their client has closed. */
  private readonly stopping = new Set<RunningShard>();
  private readonly retired: ClientCounters = newCounters();
  private store: LeaseStore | undefined;
  private coordinator: ShardCoordinator | undefined;
  private lifecycle: ShardLifecycle | undefined;
  private phase: ClientStatus['phase'] = 'new';
  private closing: Promise<void> | undefined;
  private readonly metrics: CoordinationMetrics | undefined;
  /** Resync hooks of takeover gaps still running; close() waits for them like NotificationClient does for its own. */
  private readonly resyncs = new Set<Promise<void>>();
  /** A shard that could not even be built during start-up (start() rethrows it). */
  private startFailure: Error | undefined;

  constructor(private readonly options: DistributedClientOptions) {
    this.workerId = options.coordination.workerId ?? `${hostname()}-${process.pid}`;
    this.byName = new Map(options.shards.map((shard) => [shard.name, shard]));
    this.metrics =
      options.registry &&
      createCoordinationMetrics(options.registry, {
        heldShards: () => this.running.size,
        degraded: () => this.coordinator?.coordinationHealth().degraded === true,
      });
    this.emitter = new TypedEmitter((err, event) =>
      options.logger.error({ err: errorMessage(err), event }, 'client event listener threw'),
    );
  }

  on<K extends keyof ClientEventMap & string>(event: K, listener: (...args: ClientEventMap[K]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  /** Joins the worker group; resolves once the shards won in the first round are open (rejects on a fatal error). */
  async start(): Promise<void> {
    if (this.phase !== 'new') throw new ClosedError(`distributed client is ${this.phase}`);
    this.phase = 'starting';
    const { coordination, logger, clock } = this.options;
    this.store = await this.openStore();
    // close() ran while the store was opening: it found nothing to close but the store.
    if (this.phase !== 'starting') return this.store.close();
    const coordinator = new ShardCoordinator({
      store: this.store,
      workerId: this.workerId,
      shards: this.options.shards.map((s) => s.name),
      leaseTtlMs: coordination.leaseTtlMs,
      clock,
      ...(coordination.renewEveryMs === undefined ? {} : { renewEveryMs: coordination.renewEveryMs }),
      ...(coordination.storeTimeoutMs === undefined ? {} : { storeTimeoutMs: coordination.storeTimeoutMs }),
    });
    logCoordination(coordinator, logger, this.workerId);
    this.coordinator = coordinator;
    this.lifecycle = new ShardLifecycle(
      coordinator,
      {
        start: (shard, epoch, takeover) => this.startShard(shard, epoch, takeover),
        stop: (shard, why) => this.stopShard(shard, why),
      },
      (shard, err) => logger.error({ shard, err: errorMessage(err) }, 'shard start/stop failed'),
    );
    logger.info(
      { workerId: this.workerId, shards: this.options.shards.length, leaseTtlMs: coordination.leaseTtlMs },
      'joining the worker group',
    );
    await coordinator.start();
    await this.lifecycle.settled();
    await Promise.all([...this.running.values()].map((r) => r.started));
    if (this.startFailure !== undefined) throw this.startFailure;
    if (this.phase === 'starting') this.phase = 'running';
  }

  /** The lease store; an unreachable database fails start-up with a message that names the setting (never the URL). */
  private async openStore(): Promise<LeaseStore> {
    const { openStore, coordination } = this.options;
    try {
      return await (openStore ?? (() => PgLeaseStore.open({ connectionString: coordination.url })))();
    } catch (err) {
      throw new NetworkError(`cannot open the coordination store (coordination.url): ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  status(): ClientStatus {
    const shards = [...this.running].flatMap(([name, r]) =>
      r.client.status().shards.map((s) => ({ ...s, shardId: shardLabel(name, s.shardId) })),
    );
    return { phase: this.phase, shards, topics: shards.reduce((n, s) => n + s.topics, 0), buffered: 0 };
  }

  /** Running and in the group, but holding no shard (more workers than shards): see coordination() for readiness. */
  standby(): boolean {
    return this.phase === 'running' && this.coordinator?.status === 'running' && this.running.size === 0;
  }

  /** The lease store's health and what the lease table says, for /readyz and status(). */
  coordination(): CoordinationStatus | undefined {
    const coordinator = this.coordinator;
    if (!coordinator) return undefined;
    return {
      workerId: this.workerId,
      ...coordinator.coordinationHealth(),
      liveWorkers: [...coordinator.liveWorkers],
      held: Object.fromEntries(this.held()),
    };
  }

  /** Shards whose client runs here → tenure epoch. */
  held(): ReadonlyMap<string, number> {
    return new Map([...this.running].map(([name, r]) => [name, r.epoch]));
  }

  /** Monotonic totals over every shard client this worker has run. */
  get counters(): Readonly<ClientCounters> {
    const total = { ...this.retired };
    for (const r of [...this.running.values(), ...this.stopping]) addCounters(total, r.client.counters);
    return total;
  }

  private async doClose(): Promise<void> {
    this.phase = 'closing';
    try {
      // Releasing first is what makes a graceful handover fast: the others need not wait for the TTL.
      await this.coordinator?.close();
      await this.lifecycle?.settled();
    } finally {
      this.lifecycle?.dispose();
      await Promise.allSettled([...this.running.keys()].map((name) => this.stopShard(name, 'released')));
      await Promise.allSettled([...this.stopping].map((r) => r.client.close()));
      await Promise.allSettled([...this.resyncs]);
      await this.store?.close().catch(() => undefined);
      await this.options.oauth.close();
      this.phase = 'closed';
    }
  }

  /**
   * Runs on `acquired`. Does not wait for the channel: a lost lease must be able to stop a start still retrying.
   * After a takeover from a crashed worker, the interval until this socket opens is reported as a gap.
   */
  private startShard(name: string, epoch: number, takeover?: LeaseTakeover): Promise<void> {
    const shard = this.byName.get(name);
    if (!shard || this.phase === 'closing' || this.phase === 'closed') return Promise.resolve();
    const oauth = this.options.oauth.at(shard.clientIndex);
    const onEvent = this.options.base.onEvent;
    let client: NotificationClient;
    try {
      client = new NotificationClient({
        ...this.options.base,
        api: oauth.api,
        tokens: oauth.tokens,
        topics: shard.topics,
        ...(onEvent ? { onEvent: (event) => onEvent(stampFencing(event, { shard: name, epoch })) } : {}),
      });
    } catch (err) {
      // The lease would be renewed for a shard nobody reads: fail start-up, or the worker (see giveUp).
      this.startFailure ??= err instanceof Error ? err : new Error(String(err));
      this.giveUp(name, err);
      return Promise.resolve();
    }
    // Subscribed before start(), so the first `open` cannot pass unseen.
    const watch = takeover
      ? [watchTakeoverGap(client, { shard: name, topics: shard.topics, takeover, onGap: (gap) => this.onGap(gap) })]
      : [];
    const started = client.start();
    started.catch((err: unknown) =>
      this.options.logger.error({ shard: name, epoch, err: errorMessage(err) }, 'shard failed to start'),
    );
    this.running.set(name, {
      shard,
      epoch,
      client,
      started,
      unsubscribe: [
        ...watch,
        // Tells the store the socket is open, so a predecessor handing this shard over can stop reading.
        client.on('state', (change) => {
          if (change.state === 'open') this.coordinator?.reportConnected(name, epoch);
        }),
        ...forwardShardEvents(client, name, this.emitter, () => this.onShardClosed(name, client)),
      ],
    });
    this.metrics?.acquired();
    audit(this.options.logger, 'shard.acquired', {
      shard: name,
      epoch,
      workerId: this.workerId,
      topics: shard.topics.length,
      oauthClient: oauth.clientId,
      ...(takeover ? { takeoverFrom: takeover.previousOwner } : {}),
    });
    return Promise.resolve();
  }

  /**
   * A takeover gap, reported like a shard client's own gaps: counted, emitted (relay-observers turns it into the gap
   * metric and audit line) and resynced with the relay's hook, whose failure is logged, not fatal.
   */
  private onGap(gap: Gap): void {
    this.retired.gaps++;
    this.retired.gapMs += gap.endAt - gap.startAt;
    const { logger, base } = this.options;
    logger.warn({ ...gap, topics: gap.topics.length }, 'gap in event stream after a lease takeover');
    this.emitter.emit('gap', gap);
    const task = base
      .resync?.(gap)
      .catch((err: unknown) => logger.error({ shard: gap.shardId, err: errorMessage(err) }, 'resync failed'));
    if (!task) return;
    this.resyncs.add(task);
    void task.finally(() => this.resyncs.delete(task));
  }

  /** Runs on `lost` / `released`: closes that shard's socket now; what it already read stays in the outbox. */
  private async stopShard(name: string, why: LossReason | 'released'): Promise<void> {
    const entry = this.running.get(name);
    if (!entry) return;
    this.running.delete(name);
    this.stopping.add(entry);
    this.metrics?.ended(why);
    const event = why === 'released' ? 'shard.released' : 'shard.lost';
    audit(this.options.logger, event, { shard: name, epoch: entry.epoch, reason: why, workerId: this.workerId });
    try {
      // Released (we chose to) or fenced (someone acquired it after our renewals failed): keep reading until the new
      // holder is connected. Destroyed: the process is going down anyway.
      if (why !== 'destroyed') await this.handOver(name, entry.epoch, why);
      await entry.client.close();
    } finally {
      for (const off of entry.unsubscribe) off();
      this.stopping.delete(entry);
      addCounters(this.retired, entry.client.counters);
    }
  }

  /** Keeps the shard's socket open until its successor holds the lease and had time to connect (handover.ts). */
  private async handOver(name: string, epoch: number, why: 'released' | 'fenced'): Promise<void> {
    if (!this.store) return;
    const { coordination, clock, logger } = this.options;
    await handOverShard({
      store: this.store,
      shard: name,
      epoch,
      why,
      workerId: this.workerId,
      liveWorkers: this.coordinator?.liveWorkers ?? [],
      renewEveryMs: coordination.renewEveryMs ?? Math.floor(coordination.leaseTtlMs / 3),
      clock,
      logger,
    });
  }

  /**
   * A shard's session closed by itself (a fatal error such as revoked credentials), while its lease is still ours and
   * renewed: its topics would go unread with nobody else allowed to take them. Like a single-process relay whose
   * every channel closed, the worker gives up: it closes its other shards too, the relay sees every channel closed
   * and exits 1, and its shutdown releases the leases so the other workers (or a restart) take over.
   */
  private onShardClosed(name: string, client: NotificationClient): void {
    if (this.phase !== 'running' || this.running.get(name)?.client !== client) return;
    this.giveUp(name, 'its session closed on a fatal error');
  }

  private giveUp(name: string, why: unknown): void {
    if (this.phase !== 'running') return;
    const err = typeof why === 'string' ? why : errorMessage(why);
    this.options.logger.error({ shard: name, workerId: this.workerId, err }, 'shard failed; stopping the worker');
    for (const entry of this.running.values()) void entry.client.close();
  }
}
