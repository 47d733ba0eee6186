import { join } from 'node:path';
import { RefreshingTokenProvider } from '../src/auth/refreshing-token-provider.ts';
import { NotificationClient, type SessionConfig } from '../src/client/index.ts';
import type { EmulatorHandle } from '../src/emulator/index.ts';
import type { RelayEvent } from '../src/envelope/envelope.ts';
import { GenesysRestClient } from '../src/genesys/rest-client.ts';
import { Dispatcher } from '../src/outbox/dispatcher.ts';
import { SqliteOutbox, type OutboxWriteHooks } from '../src/outbox/sqlite-outbox.ts';
import type { Ledger } from './ledger.ts';
import { ClientObserver } from './observer.ts';
import type { SoakOptions } from './options.ts';
import type { Prng } from './prng.ts';
import { RecordingSink } from './recording-sink.ts';
import { OUTBOX_APPENDS_IN_FLIGHT } from '../src/service/pipeline.ts';
import { systemClock } from '../src/core/clock.ts';
import { gapId, PacedReader, Resyncer, resyncStrategies, type ResyncStrategy } from '../src/resync/index.ts';
import { EntityStates } from './entity-states.ts';
import { ResyncLog } from './resync-log.ts';

/** Outcomes of the client → outbox hand-off. */
export interface AppendCounters {
  ok: number;
  duplicate: number;
  failed: number;
  pending: number;
}

/** The relay as a library: NotificationClient → SqliteOutbox → Dispatcher → RecordingSink. */
export interface Pipeline {
  client: NotificationClient;
  observer: ClientObserver;
  outbox: SqliteOutbox;
  dispatcher: Dispatcher;
  sink: RecordingSink;
  appends: AppendCounters;
  /** Gap healing, wired as the relay wires it (src/service/relay-resync.ts). */
  resyncer: Resyncer;
  resyncLog: ResyncLog;
  /** Per entity: the emulator's final state and the last state delivered (the load and the sink feed it). */
  entities: EntityStates;
  /** Liveness settings the client was given (scaled to the emulator's heartbeat). */
  liveness: { watchdogMs: number; pingIntervalMs: number; pongTimeoutMs: number; missedPongLimit: number };
  close(): Promise<void>;
}

/** Where the outbox file goes and who hears about its failed commits. */
export interface OutboxPlacement {
  dir: string;
  writeHooks: OutboxWriteHooks;
}

export function outboxFile(dir: string): string {
  return join(dir, 'outbox.db');
}

export function buildPipeline(
  emulator: EmulatorHandle,
  ledger: Ledger,
  options: SoakOptions,
  random: Prng,
  placement: OutboxPlacement,
): Pipeline {
  const tokens = RefreshingTokenProvider.clientCredentials({
    loginBase: emulator.loginBase,
    clientId: 'demo',
    clientSecret: 'demo',
    random: () => random.next(),
  });
  const api = new GenesysRestClient({ apiBase: emulator.apiBase, tokens, random: () => random.next() });
  const outbox = new SqliteOutbox({
    path: outboxFile(placement.dir),
    retentionMs: 10_000,
    pruneIntervalMs: 5_000,
    // As the relay does (src/service/pipeline.ts): never wait synchronously for a lock; a failed commit is retried.
    writeBusyTimeoutMs: 0,
    writeHooks: placement.writeHooks,
  });
  const strategies = resyncStrategies({ presence: true, conversations: true });
  const entities = new EntityStates(strategies);
  const sink = new RecordingSink(ledger, entities, options.ndjsonPath);
  const dispatcher = new Dispatcher({ outbox, sinks: [sink], pollIntervalMs: 200 });
  const appends: AppendCounters = { ok: 0, duplicate: 0, failed: 0, pending: 0 };
  const resyncLog = new ResyncLog();
  const resyncer = buildResyncer(api, outbox, appends, strategies, resyncLog);
  const liveness = scaledLiveness(options.heartbeatMs);
  const observer = new ClientObserver();
  const client = new NotificationClient({
    api,
    tokens,
    topics: soakTopics(options),
    random: () => random.next(),
    heartbeatMs: options.heartbeatMs,
    ...liveness,
    maxTopicsPerChannel: options.maxTopicsPerChannel,
    session: scaledSession(options),
    onEvent: handOn(observer, ledger, outbox, appends, resyncer),
    onEventConcurrency: OUTBOX_APPENDS_IN_FLIGHT,
  });
  observer.attach(client);
  client.on('gap', (gap) => {
    const id = gapId([gap.shardId, gap.channelId, gap.startAt, gap.endAt]);
    resyncer.enqueue({ id, startAt: gap.startAt, endAt: gap.endAt, topics: gap.topics, reason: gap.reason });
  });
  const close = closeOnce(client, outbox, dispatcher, sink, async () => {
    await resyncer.close();
    await api.close();
    tokens.close();
  });
  return { client, observer, outbox, dispatcher, sink, appends, resyncer, resyncLog, entities, liveness, close };
}

/** Closes downstream in order (client, outbox commit, dispatcher, outbox, sink, then REST); once. */
function closeOnce(
  client: NotificationClient,
  outbox: SqliteOutbox,
  dispatcher: Dispatcher,
  sink: RecordingSink,
  closeRest: () => Promise<void>,
): () => Promise<void> {
  let closing: Promise<void> | undefined;
  const closeAll = async (): Promise<void> => {
    await client.close();
    outbox.flush();
    await dispatcher.close({ drainTimeoutMs: 2_000 });
    outbox.close();
    await sink.close();
    await closeRest();
  };
  return () => (closing ??= closeAll());
}

/**
 * The client → outbox hand-off, as the relay does it (src/service/pipeline.ts): the promise resolves at the outbox
 * commit, and the client keeps OUTBOX_APPENDS_IN_FLIGHT of them in flight so one group commit covers many events.
 */
function handOn(
  observer: ClientObserver,
  ledger: Ledger,
  outbox: SqliteOutbox,
  appends: AppendCounters,
  resyncer: Resyncer,
): (event: RelayEvent) => Promise<void> {
  return async (event) => {
    observer.onEvent(Date.now(), event.relay.channelId);
    ledger.recordReceived(event.topicName, event.metadata['emulatorSequence']);
    // As the relay does: the entity's live state is remembered when the event takes its place in the outbox (append
    // order is delivery order), so a resync that re-read an older state meanwhile does not emit it behind this one.
    const appended = append(outbox, event, appends);
    resyncer.observe(event);
    await appended.catch(() => false);
  };
}

/** Commits one event; counts the outcome and rethrows a failure (the resyncer retries its run). */
async function append(outbox: SqliteOutbox, event: RelayEvent, counters: AppendCounters): Promise<boolean> {
  counters.pending++;
  try {
    const result = await outbox.append(event);
    if (result.duplicate) counters.duplicate++;
    else counters.ok++;
    return true;
  } catch (err) {
    counters.failed++;
    throw err;
  } finally {
    counters.pending--;
  }
}

/**
 * The relay's resync (src/service/relay-resync.ts) on the soak's REST client and outbox, with its waits scaled like
 * the emulator's lifetimes: 500 ms coalescing delay (2 s), retries from 500 ms (5 s). Its pace: 1,200 reads a minute
 * (the relay's 120), 4 at once: a soak token lives 6 s, so that is about 120 of the 300 requests its window allows,
 * as the relay's 120 of 300 a minute; the soak's 1,000 events/s changes state far faster than a contact centre.
 */
function buildResyncer(
  api: GenesysRestClient,
  outbox: SqliteOutbox,
  appends: AppendCounters,
  strategies: readonly ResyncStrategy[],
  log: ResyncLog,
): Resyncer {
  const reader = new PacedReader({
    read: (method, path, opts) => api.readState(method, path, opts),
    clock: systemClock,
    concurrency: 4,
    maxRequestsPerMinute: 1_200,
    onRequest: () => log.requests++,
  });
  return new Resyncer({
    strategies,
    reader,
    append: async (event) => void (await append(outbox, event, appends)),
    clock: systemClock,
    hooks: log.hooks(),
    delayMs: 500,
    maxAttempts: 5,
    retryBaseMs: 500,
    retryMaxMs: 5_000,
  });
}

/** Genesys's ratios (watchdog 2× the heartbeat), with some slack for event-loop stalls at a few ms of scale. */
function scaledLiveness(heartbeatMs: number): Pipeline['liveness'] {
  return {
    watchdogMs: heartbeatMs * 4,
    pingIntervalMs: heartbeatMs * 2,
    pongTimeoutMs: heartbeatMs * 2,
    missedPongLimit: 2,
  };
}

function scaledSession(options: SoakOptions): Partial<SessionConfig> {
  return {
    createTimeoutMs: 5_000,
    subscribeTimeoutMs: 5_000,
    checkTimeoutMs: 3_000,
    connectTimeoutMs: 3_000,
    closeTimeoutMs: 500,
    rolloverTimeoutMs: Math.max(1_000, options.socketClosingLeadMs * 2),
    stableAfterMs: 500,
    // Renew at half the remaining lifetime: a scaled channel lives seconds, and a 429's Retry-After (≥ 1 s) must fit
    // in what is left, as it comfortably does in the real 24 h.
    renewFraction: 0.5,
    backoff: { baseMs: 50, maxMs: 2_000, firstImmediate: true },
  };
}

const uuid = (kind: number, n: number): string =>
  `${String(n).padStart(8, '0')}-000${kind}-4000-8000-${String(n).padStart(12, '0')}`;

/** Users' presence and routing status, queues' conversations, and one canary user for the deny-topic fault. */
export function soakTopics(options: Pick<SoakOptions, 'users' | 'queues'>): string[] {
  const topics: string[] = [];
  for (let i = 1; i <= options.users; i++) {
    topics.push(`v2.users.${uuid(1, i)}.presence`, `v2.users.${uuid(1, i)}.routingStatus`);
  }
  for (let i = 1; i <= options.queues; i++) topics.push(`v2.routing.queues.${uuid(2, i)}.conversations`);
  topics.push(canaryTopic());
  return topics;
}

export function canaryTopic(): string {
  return `v2.users.${uuid(9, 1)}.presence`;
}
