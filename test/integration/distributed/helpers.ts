import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type pg from 'pg';
import type { EmulatorHandle } from '../../../src/emulator/index.ts';
import type { RelayEvent } from '../../../src/envelope/envelope.ts';
import { ensureDurableConsumer } from '../../../src/sinks/nats/durable-consumer.ts';
import { spawnCli, type CliProcess } from '../cli/helpers.ts';

export const STREAM = 'RELAY_E2E';
export const SECOND_CLIENT = { id: 'second', secret: 'second-secret-value' };

/** `count` distinct user presence topics. */
export function userTopics(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `v2.users.00000000-0000-4000-8000-${String(i).padStart(12, '0')}.presence`,
  );
}

export interface WorkerSetup {
  dir: string;
  emulator: EmulatorHandle;
  pgUrl: string;
  natsUrl: string;
  topics: readonly string[];
  leaseTtlMs: number;
  renewEveryMs: number;
}

/** One config file for every worker: two OAuth clients, 2 topics per channel, short leases, the nats sink's options. */
export function writeWorkerConfig(setup: WorkerSetup): string {
  const secretFile = join(setup.dir, 'second.secret');
  writeFileSync(secretFile, `${SECOND_CLIENT.secret}\n`);
  const config = {
    genesys: {
      clientId: 'demo',
      clientSecret: 'demo',
      apiBase: setup.emulator.apiBase,
      loginBase: setup.emulator.loginBase,
      clients: [{ clientId: SECOND_CLIENT.id, clientSecretFile: secretFile }],
    },
    topics: setup.topics,
    session: { heartbeatMs: 1000, maxTopicsPerChannel: 2 },
    coordination: { leaseTtlMs: setup.leaseTtlMs, renewEveryMs: setup.renewEveryMs },
    outbox: { pollIntervalMs: 200, retryBaseMs: 200, retryMaxMs: 1000 },
    sinks: [{ type: 'nats', servers: [setup.natsUrl], stream: STREAM, subjectPrefix: 'e2e' }],
  };
  const path = join(setup.dir, 'relay.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** `genesys-relay run` as worker `id`, with its own state dir, sharing the leases in PostgreSQL. */
export function spawnWorker(setup: WorkerSetup, configPath: string, id: string): CliProcess {
  return spawnCli(
    [
      'run',
      '--config',
      configPath,
      '--coordination-url',
      setup.pgUrl,
      '--worker-id',
      id,
      '--state-dir',
      join(setup.dir, id),
      '--sink',
      `nats:${setup.natsUrl}`,
    ],
    { GENESYS_CLIENT_ID: undefined, GENESYS_CLIENT_SECRET: undefined, GENESYS_RELAY_COORDINATION_URL: undefined },
  );
}

/** Live lease owner per shard, from the workers' own table. */
export async function liveOwners(db: pg.Client): Promise<Map<string, string>> {
  try {
    const { rows } = await db.query<{ shard: string; owner: string }>(
      'SELECT shard, owner FROM genesys_relay_leases WHERE owner IS NOT NULL AND expires_at > now()',
    );
    return new Map(rows.map((r) => [r.shard, r.owner]));
  } catch (err) {
    // 42P01: no table yet, before the first worker has migrated.
    if ((err as { code?: string }).code === '42P01') return new Map();
    throw err;
  }
}

/** Shards held per worker. */
export function countByOwner(owners: ReadonlyMap<string, string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const owner of owners.values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  return counts;
}

/** How many connected channels subscribe each topic, as the emulator sees it. */
export function connectedChannelsPerTopic(emulator: EmulatorHandle, topics: readonly string[]): number[] {
  const channels = emulator.state().channels.filter((c) => c.connected);
  return topics.map((t) => channels.filter((c) => c.topics.some((s) => s.toLowerCase() === t.toLowerCase())).length);
}

/** Publishes one event to every topic each `everyMs`, counting the per-topic sequence as the emulator numbers it. */
export class Publisher {
  readonly sequence = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly emulator: EmulatorHandle,
    private readonly topics: readonly string[],
  ) {
    for (const t of topics) this.sequence.set(t, 0);
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => this.tick(), everyMs);
    // A failed assertion must not leave the interval holding the test process open.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Per-topic last sequence published so far. */
  snapshot(): Map<string, number> {
    return new Map(this.sequence);
  }

  private tick(): void {
    for (const topic of this.topics) {
      this.emulator.publish(topic, { at: Date.now() }, 1);
      this.sequence.set(topic, (this.sequence.get(topic) ?? 0) + 1);
    }
  }
}

export interface StoredMessage {
  key: string;
  topic: string;
  sequence: number;
  shard: string | undefined;
  epoch: number | undefined;
}

let reads = 0;

/** Everything the stream holds now, read through a fresh durable consumer (deleted afterwards). */
export async function readStream(nc: NatsConnection): Promise<StoredMessage[]> {
  const durable = `audit-${++reads}`;
  const consumer = await ensureDurableConsumer(nc, { stream: STREAM, durable });
  const jsm = await jetstreamManager(nc);
  // The count now, so the reading stops there instead of waiting out an empty fetch.
  const total = (await jsm.streams.info(STREAM)).state.messages;
  const out: StoredMessage[] = [];
  while (out.length < total) {
    const batch = await consumer.fetch({ max_messages: Math.min(1000, total - out.length), expires: 2_000 });
    let n = 0;
    for await (const m of batch) {
      n++;
      const event = m.json<RelayEvent>();
      const epoch = m.headers?.get('Genesys-Relay-Epoch');
      out.push({
        key: m.headers?.get('Nats-Msg-Id') ?? '',
        topic: event.topicName,
        sequence: Number(event.metadata.emulatorSequence),
        shard: m.headers?.get('Genesys-Relay-Shard') || undefined,
        epoch: epoch ? Number(epoch) : undefined,
      });
      m.ack();
    }
    if (n === 0) break;
  }
  await jsm.consumers.delete(STREAM, durable);
  return out;
}

/** Topic → sequences in (from, to] that `messages` lacks. */
export function missing(
  messages: readonly StoredMessage[],
  from: ReadonlyMap<string, number>,
  to: ReadonlyMap<string, number>,
): Map<string, number[]> {
  const seen = new Set(messages.map((m) => `${m.topic.toLowerCase()}#${m.sequence}`));
  const out = new Map<string, number[]>();
  for (const [topic, last] of to) {
    const gaps: number[] = [];
    for (let s = (from.get(topic) ?? 0) + 1; s <= last; s++) if (!seen.has(`${topic.toLowerCase()}#${s}`)) gaps.push(s);
    if (gaps.length > 0) out.set(topic, gaps);
  }
  return out;
}
