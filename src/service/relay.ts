import type { Writable } from 'node:stream';
import type { RefreshingTokenProvider, TokenRefreshEvent } from '../auth/refreshing-token-provider.ts';
import { newCounters } from '../client/counters.ts';
import type { RelayConfig } from '../config/load.ts';
import { configSecrets } from '../config/secrets.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { ClosedError, ConfigError, RelayError, errorMessage } from '../core/errors.ts';
import type { RelayEvent } from '../envelope/envelope.ts';
import { GenesysRestClient } from '../genesys/rest-client.ts';
import { audit, createLogger, type Logger } from '../logging/logger.ts';
import { ClientMetricsMirror } from '../metrics/client-metrics.ts';
import { startHealthServer, type HealthServer } from '../metrics/health.ts';
import { createMetrics, type RelayMetrics } from '../metrics/metrics.ts';
import { updateOutboxGauges } from '../metrics/outbox-gauges.ts';
import { evaluateReadiness, type Readiness } from '../metrics/readiness.ts';
import type { Dispatcher } from '../outbox/dispatcher.ts';
import type { CommittedAppends, SqliteOutbox } from '../outbox/sqlite-outbox.ts';
import type { Sink } from '../sinks/sink.ts';
import type { StreamServer } from '../stream/index.ts';
import { createDistributedClient } from './distributed/create-distributed-client.ts';
import type { EventSource } from './distributed/event-source.ts';
import { createClient, createDispatcher, createTokenProvider, endpointsOf, openOutbox } from './pipeline.ts';
import { observeClient } from './relay-observers.ts';
import { startRelayStream } from './relay-stream.ts';
import { createRelayResync, type RelayResync } from './relay-resync.ts';
import { definedOnly, livenessWindowMsOf } from './relay-options.ts';
import { sinkStatuses, type RelayPhase, type RelayStatus } from './relay-status.ts';
import { createSinks } from './sink-factory.ts';
import { acquireStateDirLock, StateDirLockedError, type StateDirLock } from './state-dir-lock.ts';

export interface RelayOptions {
  /** @default systemClock */
  clock?: Clock;
  /** @default a pino logger on stderr at config.log.level, scrubbing the config's secrets */
  logger?: Logger;
  /** Where `ndjson:-` writes. @default process.stdout */
  stdout?: Writable;
  /** @default a fresh registry (createMetrics()) */
  metrics?: RelayMetrics;
  /** The browser stream's bearer token. @default process.env.GENESYS_RELAY_STREAM_TOKEN */
  streamToken?: string;
}

export interface RelayCloseOptions {
  /** Time for in-flight deliveries to finish before they are aborted (and stay pending). @default 10000 */
  drainTimeoutMs?: number;
}

export interface Relay {
  /** Opens the outbox, starts delivery (including any backlog) and the sockets; resolves when every shard is open. */
  start(): Promise<void>;
  /** Graceful and idempotent: stop reading, commit, drain in-flight deliveries, close sockets and the outbox. */
  close(options?: RelayCloseOptions): Promise<void>;
  status(): RelayStatus;
  readonly metrics: RelayMetrics;
  /** URL of the browser event stream (GET /v1/stream) once started with `stream.port`; else undefined. */
  streamUrl(): string | undefined;
  /** Resolves if the relay stops by itself: every shard closed on a fatal error (e.g. credentials revoked). */
  readonly failed: Promise<RelayError>;
}

/**
 * The composition root. Reading `start()` top to bottom gives the data flow:
 * token → REST → outbox → sinks + dispatcher → notification client (socket frames → outbox.append).
 */
export function createRelay(config: RelayConfig, options: RelayOptions = {}): Relay {
  return new RelayService(config, options);
}

class RelayService implements Relay {
  readonly metrics: RelayMetrics;
  readonly failed: Promise<RelayError>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly mirror: ClientMetricsMirror;
  private phase: RelayPhase = 'new';
  private failure: RelayError | undefined;
  private reportFailure: (error: RelayError) => void = () => undefined;
  private tokens: RefreshingTokenProvider | undefined;
  private api: GenesysRestClient | undefined;
  private outbox: SqliteOutbox | undefined;
  private sinks: Sink[] = [];
  private dispatcher: Dispatcher | undefined;
  private client: EventSource | undefined;
  private resync: RelayResync | undefined;
  private health: HealthServer | undefined;
  private stream: StreamServer | undefined;
  private lock: StateDirLock | undefined;
  private closing: Promise<void> | undefined;
  private committed = 0;
  /** The commit the latest events joined, and the acknowledgement handed to each of them (see commit()). */
  private ack: { batch: Promise<CommittedAppends>; done: Promise<void> } | undefined;
  private outboxDuplicates = 0;
  private tokenRefreshes = 0;
  private lastEventAt: number | undefined;
  private lastEventTopic: string | undefined;

  constructor(
    private readonly config: RelayConfig,
    private readonly options: RelayOptions,
  ) {
    if (config.topics.length === 0) {
      throw new ConfigError('topics', 'none configured — pass --topic T or list topics in the config file');
    }
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? createLogger({ level: config.log.level, secrets: configSecrets(config) });
    this.metrics = options.metrics ?? createMetrics();
    this.mirror = new ClientMetricsMirror(this.metrics);
    this.failed = new Promise((resolve) => (this.reportFailure = resolve));
  }

  async start(): Promise<void> {
    if (this.phase !== 'new') throw new ClosedError(`relay cannot start: it is ${this.phase}`);
    this.phase = 'starting';
    const ctx = { config: this.config, clock: this.clock, logger: this.logger, metrics: this.metrics };
    const { topics, stateDir } = this.config;
    audit(this.logger, 'relay.start', { topics: topics.length, sinks: this.sinkNames(), stateDir });
    try {
      // Before anything touches the state dir: a second relay opening the outbox would reset the first's in-flight rows.
      this.lock = acquireStateDirLock(stateDir, {
        onTakeover: (info) => this.logger.warn({ ...info }, 'took over a stale state dir lock'),
        onHeartbeatError: (err) => this.logger.warn({ err: err.message }, 'state dir lock heartbeat not written'),
        // Another relay judged us gone and owns the outbox now: two writers would reset each other's rows, so stop.
        onLost: (reason) => this.onLockLost(reason),
      });
      const { apiBase, loginBase } = endpointsOf(this.config.genesys);
      // ① token → ② REST
      this.tokens = createTokenProvider(ctx, loginBase, (event) => this.onTokenRefresh(event));
      this.api = new GenesysRestClient({ apiBase, tokens: this.tokens, clock: this.clock });
      // ⑤ outbox → ⑥ sinks; delivery starts first, so a previous run's backlog drains right away.
      this.outbox = openOutbox(ctx);
      // Gap healing reads the outbox's last event and states before this run commits any (relay-resync.ts).
      this.resync = createRelayResync(ctx, this.api, (event) => this.commit(event));
      this.sinks = createSinks(this.config.sinks, {
        clock: this.clock,
        ...definedOnly({ stdout: this.options.stdout }),
      });
      this.dispatcher = createDispatcher(ctx, this.outbox, this.sinks);
      this.dispatcher.start();
      // ③④ channels and sockets; every event is committed to the outbox before anything else sees it.
      const onEvent = (event: RelayEvent): Promise<void> => this.commit(event);
      this.client = this.config.coordination
        ? // Distributed mode: only the shards this worker's leases give it (service/distributed/).
          createDistributedClient(ctx, this.config.coordination, {
            api: this.api,
            tokens: this.tokens,
            apiBase,
            loginBase,
            onEvent,
            onTokenRefresh: (event) => this.onTokenRefresh(event),
          })
        : createClient(ctx, this.api, this.tokens, onEvent);
      observeClient(this.client, {
        logger: this.logger,
        metrics: this.metrics,
        onFatalError: (error) => (this.failure = error),
        // The client reports a shard's fatal error just after its `closed` state: look once both are in.
        onShardClosed: () => void setImmediate(() => this.checkAllClosed()),
      });
      const resync = this.resync;
      if (resync) this.client.on('gap', (gap) => resync.onGap(gap));
      await this.startHealthServer();
      this.stream = await startRelayStream(
        ctx,
        this.outbox,
        this.options.streamToken ?? process.env.GENESYS_RELAY_STREAM_TOKEN,
      );
      await this.client.start();
      // Distributed mode: a worker holds only some shards, and a crashed worker's shards are healed by the takeover gap.
      this.resync?.healStartup(this.config.coordination ? [] : this.config.topics);
      if (this.phase === 'starting') this.phase = 'running';
    } catch (err) {
      await this.release(1_000);
      this.phase = 'failed';
      throw err;
    }
  }

  close(options: RelayCloseOptions = {}): Promise<void> {
    this.closing ??= (async () => {
      if (this.phase !== 'failed') this.phase = 'closing';
      audit(this.logger, 'relay.stop', { committed: this.committed });
      await this.release(options.drainTimeoutMs ?? 10_000);
      if (this.phase === 'closing') this.phase = 'closed';
    })();
    return this.closing;
  }

  streamUrl(): string | undefined {
    return this.stream?.url;
  }

  status(): RelayStatus {
    const client = this.client?.status();
    const stats = this.outboxStats();
    return {
      phase: this.phase,
      failure: this.failure?.message,
      topics: this.config.topics.length,
      shards: client?.shards ?? [],
      socketsOpen: client?.shards.filter((s) => s.state === 'open' || s.state === 'rollingOver').length ?? 0,
      committed: this.committed,
      outboxDuplicates: this.outboxDuplicates,
      lastEventAt: this.lastEventAt,
      lastEventTopic: this.lastEventTopic,
      client: { ...(this.client?.counters ?? newCounters()) },
      tokenRefreshes: this.tokenRefreshes,
      sinks: sinkStatuses(this.sinkNames(), stats, this.dispatcher?.counters() ?? {}, this.dispatcher?.blocked()),
      readiness: this.readiness(),
      metricsUrl: this.health?.url,
      ...definedOnly({ resync: this.resync?.status() }),
      ...definedOnly({ coordination: this.client?.coordination?.() }),
    };
  }

  /**
   * The onEvent handler: resolves once the event is durable, which is the relay's (internal) acknowledgement. The
   * events of one group commit share one promise and are counted once per commit (issue 10: the profile at
   * throughput showed the promise and callback per event as garbage-collection time).
   */
  private commit(event: RelayEvent): Promise<void> {
    const outbox = this.outbox;
    if (!outbox) return Promise.reject(new ClosedError('outbox is closed'));
    const batch = outbox.appendToBatch(event);
    // Gap healing learns of the live state when the event takes its place in the outbox, not once it is committed:
    // a resync event appended later is delivered after it, so a re-read older than this event must not be emitted.
    // Observed at commit, a resync running while commits wait (group commit, a held lock) could emit its older
    // state behind the live one and leave the sink with it (the short soak caught it).
    this.resync?.observe(event);
    if (this.ack?.batch !== batch) this.ack = { batch, done: batch.then((c) => this.recordCommitted(c)) };
    return this.ack.done;
  }

  /** Counters and the last event for one commit's events, in commit order. */
  private recordCommitted({ items, results }: CommittedAppends): void {
    let fresh = 0;
    for (const result of results) if (!result.duplicate) fresh++;
    const duplicates = results.length - fresh;
    this.committed += fresh;
    this.outboxDuplicates += duplicates;
    if (fresh > 0) this.metrics.eventsReceived.inc(fresh);
    if (duplicates > 0) this.metrics.eventsDuplicate.inc(duplicates);
    this.lastEventAt = this.clock.now();
    this.lastEventTopic = items.at(-1)?.event.topicName ?? this.lastEventTopic;
  }

  /** Every shard closed while we were running and not closing: nothing will recover it by itself. */
  private checkAllClosed(): void {
    if (this.phase !== 'running') return;
    const shards = this.client?.status().shards ?? [];
    if (shards.length === 0 || !shards.every((s) => s.state === 'closed')) return;
    this.phase = 'failed';
    this.failure ??= new RelayError('GENESYS_RELAY_ERR_CHANNEL', 'every notification channel closed');
    this.logger.fatal({ err: this.failure.message, code: this.failure.code }, 'relay stopped');
    this.reportFailure(this.failure);
  }

  private onLockLost(reason: string): void {
    this.lock = undefined;
    if (this.phase !== 'running' && this.phase !== 'starting') return;
    this.phase = 'failed';
    this.failure = new StateDirLockedError(`state dir lock lost: ${reason}`);
    this.logger.fatal({ err: this.failure.message, code: this.failure.code }, 'relay stopped');
    this.reportFailure(this.failure);
  }

  private onTokenRefresh(event: TokenRefreshEvent): void {
    if (event.outcome === 'ok') {
      this.tokenRefreshes++;
      this.metrics.tokenRefreshes.inc();
    }
    const fields = { reason: event.reason, outcome: event.outcome, attempts: event.attempts };
    audit(this.logger, 'token.refresh', event.outcome === 'ok' ? fields : { ...fields, err: event.error.message });
  }

  private async startHealthServer(): Promise<void> {
    const { port, host } = this.config.metrics;
    if (port === undefined) return;
    this.health = await startHealthServer({
      port,
      host,
      registry: this.metrics.registry,
      readiness: () => this.readiness(),
      beforeScrape: () => this.refreshGauges(),
    });
    this.logger.info({ url: this.health.url, port: this.health.port }, 'metrics listening');
  }

  private refreshGauges(): void {
    if (this.client) this.mirror.sync(this.client.counters, this.client.status(), this.clock.now());
    const stats = this.outboxStats();
    if (stats) updateOutboxGauges(this.metrics, stats, this.clock.now());
  }

  /** See evaluateReadiness: every held shard open with a frame within the liveness window (or a standby worker). */
  private readiness(): Readiness {
    const closing = this.phase === 'closing' || this.phase === 'closed' || this.phase === 'failed';
    // A distributed worker without a shard (more workers than shards) has no socket by design: ready only while the
    // lease table shows every shard held by a live worker (evaluateReadiness).
    const standby = this.client?.standby?.() === true;
    const coordination = this.client?.coordination?.();
    const shards = this.client?.status().shards ?? [];
    return evaluateReadiness(
      {
        shards,
        closing,
        standby,
        ...(coordination ? { coordination } : {}),
        outboxBlocked: this.outbox?.writeBlockedReason,
      },
      this.clock.now(),
      livenessWindowMsOf(this.config),
    );
  }

  private outboxStats(): ReturnType<SqliteOutbox['stats']> | undefined {
    if (!this.outbox || this.phase === 'closed') return undefined;
    try {
      return this.outbox.stats();
    } catch {
      return undefined;
    }
  }

  /** Shuts the pipeline down front to back: no new frames, commit, drain, close. Each step tolerates the one before failing. */
  private async release(drainTimeoutMs: number): Promise<void> {
    const step = async (what: string, work: () => Promise<void> | void): Promise<void> => {
      try {
        await work();
      } catch (err) {
        this.logger.warn({ step: what, err: errorMessage(err) }, 'shutdown step failed');
      }
    };
    // The client's close waits for its appends; while outbox commits fail they never resolve, so wait at most the
    // drain timeout and let the outbox's close give them up (recorded below as a gap), which ends the client's wait.
    // Browsers first: they reconnect with Last-Event-ID to the next relay on this outbox and miss nothing.
    await step('stream server', () => this.stream?.close());
    const clientClosed = this.client?.close();
    await step('client', () => this.withinDrain(clientClosed, drainTimeoutMs));
    await step('resync', () => this.resync?.close());
    await step('outbox flush', () => this.outbox?.flush());
    await step('dispatcher', () => this.dispatcher?.close({ drainTimeoutMs }));
    await step('sinks', async () => void (await Promise.allSettled(this.sinks.map((s) => s.close()))));
    await step('outbox close', () => {
      try {
        this.outbox?.close();
      } catch (err) {
        // Commits still failed at shutdown: events read from the sockets were never stored. Say so loudly.
        audit(this.logger, 'gap', { cause: 'outbox', err: errorMessage(err) }, errorMessage(err));
      }
    });
    this.outbox = undefined;
    await step('client drain', () => clientClosed);
    await step('tokens', () => this.tokens?.close());
    await step('api', () => this.api?.close());
    await step('metrics server', () => this.health?.close());
    // Last: the outbox is closed, so the next relay may have the state dir.
    await step('state dir lock', () => this.lock?.release());
    this.lock = undefined;
  }

  /** Waits for `work`, but no longer than `ms` while the outbox cannot commit (otherwise as long as it takes). */
  private async withinDrain(work: Promise<void> | undefined, ms: number): Promise<void> {
    if (!work) return;
    const abort = new AbortController();
    const blockedDeadline = (async (): Promise<void> => {
      while (!abort.signal.aborted) {
        await this.clock.sleep(Math.min(ms, 100), abort.signal).catch(() => undefined);
        if (this.outbox?.writeBlockedReason !== undefined && (ms -= 100) <= 0) return;
      }
    })();
    await Promise.race([work, blockedDeadline]).finally(() => abort.abort());
  }

  private sinkNames(): string[] {
    return this.config.sinks.map((s) => s.name);
  }
}
