import type { Random } from '../core/backoff.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { ClosedError, ConfigError, errorMessage, RelayError } from '../core/errors.ts';
import type { RelayEvent } from '../envelope/envelope.ts';
import type { NotificationsApi } from '../genesys/notifications-api.ts';
import { MAX_CHANNELS_PER_CLIENT, MAX_TOPICS_PER_CHANNEL } from '../genesys/wire.ts';
import type { Gap } from '../session/gap.ts';
import { Session, type SessionDeps } from '../session/session.ts';
import { currentChannel } from '../session/state.ts';
import { planShards } from '../topics/sharding.ts';
import type { TokenProvider } from '../auth/token-provider.ts';
import type { ClientEventMap, ClientStatus } from './client-events.ts';
import { newCounters, type ClientCounters } from './counters.ts';
import { DEFAULT_DEDUPE_GRACE_MS } from '../envelope/dedupe.ts';
import { EventDelivery } from './event-delivery.ts';
import { noopLogger, type ClientLogger, type NotificationClientOptions } from './options.ts';
import { sessionDepsFrom, type SocketSettings } from './session-deps.ts';
import type { SocketFactory } from '../session/socket.ts';
import { shardHooks, type ShardHost } from './shard-hooks.ts';
import { TypedEmitter } from './typed-emitter.ts';

type Phase = ClientStatus['phase'];

/** The platform's adapters: what NotificationClient (Node) and BrowserNotificationClient supply differently. */
export interface ClientPlatform {
  /** The REST API from `apiBase` + `tokens` when `options.api` is absent; the client closes it in close(). */
  buildApi(
    tokens: TokenProvider,
    apiBase: string | undefined,
    clock: Clock,
  ): NotificationsApi & { close(): Promise<void> };
  /** The socket factory when `options.sockets` is absent. */
  sockets(settings: SocketSettings): SocketFactory;
}

/**
 * Keeps Genesys Cloud notification subscriptions alive and streams their events: shards topics over channels,
 * runs one Session (state machine) per shard, removes rollover duplicates, records gaps, and drains on close.
 * Platform-neutral (no Node import): NotificationClient and BrowserNotificationClient give it their adapters.
 */
export class NotificationClientCore {
  readonly counters: ClientCounters = newCounters();
  private readonly emitter: TypedEmitter<ClientEventMap>;
  private readonly api: NotificationsApi;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly logger: ClientLogger;
  private readonly delivery: EventDelivery;
  private readonly sessionDeps: Omit<SessionDeps, 'shardId' | 'hooks'>;
  private readonly host: ShardHost;
  private readonly shardCapacity: { maxTopicsPerChannel: number; maxChannels: number };
  private desired: string[];
  private sessions: Session[] = [];
  private phase: Phase = 'new';
  private readonly background = new Set<Promise<void>>();
  private topicOps: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private startPromise: Promise<void> | undefined;
  private nextShard = 0;
  private ownedApi: { close(): Promise<void> } | undefined;
  /** A token provider this client built and so closes (NotificationClient.clientCredentials). */
  protected ownedTokens: { close(): void } | undefined;

  constructor(
    private readonly options: NotificationClientOptions,
    private readonly platform: ClientPlatform,
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? noopLogger;
    this.emitter = new TypedEmitter((err, event) =>
      this.logger.error({ err: errorMessage(err), event }, 'client event listener threw'),
    );
    this.api = options.api ?? this.buildApi();
    this.delivery = new EventDelivery({
      counters: this.counters,
      dedupe: options.dedupe,
      onDuplicate: (e) =>
        this.logger.debug({ channelId: e.relay.channelId, topic: e.topicName, key: e.relay.key }, 'copy dropped'),
      onEvent: options.onEvent,
      onEventConcurrency: options.onEventConcurrency,
      bufferSize: options.bufferSize ?? 10_000,
      overflow: options.overflow ?? 'pause',
      reportError: (error) => this.reportError(error),
      pauseSources: () => this.sessions.forEach((s) => s.pause()),
      resumeSources: () => this.sessions.forEach((s) => s.resume()),
    });
    this.desired = [...options.topics];
    const maxChannels = options.maxChannels ?? MAX_CHANNELS_PER_CLIENT;
    const headroom = Math.max(0, options.rolloverHeadroom ?? 1);
    if (maxChannels - headroom < 1) {
      throw new ConfigError('maxChannels', `must exceed rolloverHeadroom (${headroom}) to leave room for a shard`);
    }
    this.shardCapacity = {
      maxTopicsPerChannel: options.maxTopicsPerChannel ?? MAX_TOPICS_PER_CHANNEL,
      maxChannels: maxChannels - headroom,
    };
    this.sessionDeps = sessionDepsFrom(options, this.api, this.clock, this.random, headroom, (settings) =>
      platform.sockets(settings),
    );
    this.host = {
      counters: this.counters,
      emitter: this.emitter,
      logger: this.logger,
      clock: this.clock,
      delivery: this.delivery,
      copiesGraceMs: options.dedupe?.graceMs ?? DEFAULT_DEDUPE_GRACE_MS,
      onGap: (gap) => this.onGap(gap),
      reportError: (error, shardId) => this.reportError(error, shardId),
      invalidateToken: () => this.invalidateToken(),
    };
  }

  /** Subscribes to a lifecycle event; returns an unsubscribe function. */
  on<K extends keyof ClientEventMap & string>(event: K, listener: (...args: ClientEventMap[K]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  /**
   * Plans the shards and opens every one. Resolves when all are open; rejects with the first fatal error (bad
   * credentials, too many topics, forbidden topics without ignoreErrors), after closing the others. Transient
   * failures are retried with backoff and do not reject.
   */
  start(): Promise<void> {
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  private async doStart(): Promise<void> {
    if (this.phase !== 'new') throw new ClosedError('client already closed');
    this.phase = 'starting';
    try {
      const plan = planShards(this.desired, this.shardCapacity);
      this.sessions = plan.map((topics) => this.createSession(topics));
      await Promise.all(this.sessions.map((s) => s.start()));
    } catch (err) {
      await this.close();
      throw err;
    }
    if (this.phase === 'starting') this.phase = 'running';
  }

  /**
   * The events as an async iterable (one consumer). Bounded: when the consumer falls `bufferSize` behind, the
   * overflow policy applies (by default the sockets stop reading until it catches up). Ends after close().
   */
  events(): AsyncIterable<RelayEvent> {
    return this.delivery.iterable();
  }

  /**
   * Moves shards to fresh channels, make-before-break (e.g. before a planned credential change). All shards when
   * `shardId` is omitted; each rollover waits for a free slot of the channel headroom.
   */
  rollover(shardId?: string): void {
    for (const session of this.sessions)
      if (shardId === undefined || session.shardId === shardId) session.requestRollover();
  }

  /** Adds topics at runtime: PUTs the affected channels' lists (no reconnect); opens new shards when full. */
  addTopics(topics: readonly string[]): Promise<void> {
    return this.changeTopics([...this.desired, ...topics]);
  }

  /** Removes topics at runtime (PUT of the remaining list; no reconnect). */
  removeTopics(topics: readonly string[]): Promise<void> {
    const drop = new Set(topics.map((t) => t.toLowerCase()));
    return this.changeTopics(this.desired.filter((t) => !drop.has(t.toLowerCase())));
  }

  /** The current desired topics. */
  get topics(): readonly string[] {
    return this.desired;
  }

  status(): ClientStatus {
    return {
      phase: this.phase,
      topics: this.sessions.reduce((n, s) => n + s.topics.list.length, 0),
      buffered: this.delivery.buffered,
      shards: this.sessions.map((s) => {
        const channel = currentChannel(s.state);
        const lastFrameAt = s.lastFrameAt;
        return {
          shardId: s.shardId,
          state: s.state.kind,
          channelId: channel?.id,
          expiresAt: channel?.expiresAt,
          topics: s.topics.list.length,
          ...(lastFrameAt === undefined ? {} : { lastFrameAt }),
        };
      }),
    };
  }

  /**
   * Drains and closes; idempotent. Stops accepting frames, closes every socket cleanly (1000, terminate after
   * the close timeout), waits for pending onEvent calls and resync hooks, then ends events().
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.phase = 'closing';
    this.delivery.stop();
    // Frames are no longer taken; reading resumes so the close handshakes can complete.
    this.sessions.forEach((s) => s.resume());
    await Promise.all(this.sessions.map((s) => s.close()));
    await this.topicOps.catch(() => undefined);
    await this.delivery.drain();
    await Promise.allSettled([...this.background]);
    // A REST client built here owns an HTTP pool; one passed in belongs to the caller.
    await this.ownedApi?.close();
    // Likewise a token provider built here: its refresh timer would keep the process alive.
    this.ownedTokens?.close();
    this.phase = 'closed';
  }

  private changeTopics(next: string[]): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.phase === 'closing' || this.phase === 'closed') throw new ClosedError('client closed');
      const current = this.sessions.map((s) => s.topics.list);
      const plan = planShards(next, { ...this.shardCapacity, current });
      this.desired = next;
      if (this.phase === 'new') return;
      await Promise.all(plan.map((topics, index) => this.applyShard(index, topics)));
      const extra = this.sessions.splice(plan.length);
      await Promise.all(extra.map((s) => s.close()));
    };
    const op = this.topicOps.then(run, run);
    this.topicOps = op.catch(() => undefined);
    return op;
  }

  private async applyShard(index: number, topics: readonly string[]): Promise<void> {
    const existing = this.sessions[index];
    if (!existing) {
      const session = this.createSession(topics);
      this.sessions[index] = session;
      return session.start();
    }
    if (sameList(existing.topics.list, topics)) return;
    return existing.setTopics(topics);
  }

  private createSession(topics: readonly string[]): Session {
    const shardId = `shard-${this.nextShard++}`;
    const session = new Session({ ...this.sessionDeps, shardId, hooks: shardHooks(shardId, this.host) }, topics);
    if (this.delivery.paused) session.pause();
    return session;
  }

  private onGap(gap: Gap): void {
    this.counters.gaps++;
    this.counters.gapMs += gap.endAt - gap.startAt;
    this.logger.warn({ ...gap, topics: gap.topics.length }, 'gap in event stream');
    this.emitter.emit('gap', gap);
    const resync = this.options.resync;
    if (!resync) return;
    const task = resync(gap).catch((err: unknown) =>
      this.reportError(new RelayError('GENESYS_RELAY_ERR_API', `resync failed: ${errorMessage(err)}`, { cause: err })),
    );
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  private reportError(error: RelayError, shardId?: string): void {
    this.counters.errors++;
    this.logger.error({ shardId, code: error.code, err: error.message }, 'client error');
    this.emitter.emit('error', error);
  }

  private invalidateToken(): void {
    const tokens = this.options.tokens;
    if (!tokens) return;
    const task = tokens.getToken().then(
      (token) => tokens.invalidate(token),
      () => undefined,
    );
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  private buildApi(): NotificationsApi {
    const { apiBase, tokens } = this.options;
    if (!tokens) throw new ConfigError('api', 'give either `api` or `tokens` (with `apiBase`)');
    const api = this.platform.buildApi(tokens, apiBase, this.options.clock ?? systemClock);
    this.ownedApi = api;
    return api;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
