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
  const sink = new RecordingSink(ledger, options.ndjsonPath);
  const dispatcher = new Dispatcher({ outbox, sinks: [sink], pollIntervalMs: 200 });
  const appends: AppendCounters = { ok: 0, duplicate: 0, failed: 0, pending: 0 };
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
    onEvent: handOn(observer, ledger, outbox, appends),
    onEventConcurrency: OUTBOX_APPENDS_IN_FLIGHT,
  });
  observer.attach(client);
  const close = closeOnce(client, outbox, dispatcher, sink, async () => {
    await api.close();
    tokens.close();
  });
  return { client, observer, outbox, dispatcher, sink, appends, liveness, close };
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
): (event: RelayEvent) => Promise<void> {
  return (event) => {
    observer.onEvent(Date.now(), event.relay.channelId);
    ledger.recordReceived(event.topicName, event.metadata['emulatorSequence']);
    return append(outbox, event, appends);
  };
}

async function append(outbox: SqliteOutbox, event: RelayEvent, counters: AppendCounters): Promise<void> {
  counters.pending++;
  try {
    const result = await outbox.append(event);
    if (result.duplicate) counters.duplicate++;
    else counters.ok++;
  } catch {
    counters.failed++;
  } finally {
    counters.pending--;
  }
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
