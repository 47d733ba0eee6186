import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { RelayEvent } from '../../../src/envelope/envelope.ts';
import { SqliteOutbox, type SqliteOutboxOptions } from '../../../src/outbox/sqlite-outbox.ts';
import {
  createStreamMetrics,
  startStreamServer,
  type StreamMetrics,
  type StreamServer,
  type StreamServerOptions,
} from '../../../src/stream/index.ts';

export const TOKEN = 'stream-test-token-1234';
export const AUTH = { Authorization: `Bearer ${TOKEN}` };

export interface StreamFixture {
  outbox: SqliteOutbox;
  server: StreamServer;
  metrics: StreamMetrics;
  registry: Registry;
  /** The stream URL with the given topic prefixes. */
  url(topics?: readonly string[], extra?: Record<string, string>): string;
  close(): Promise<void>;
}

/** A real SQLite outbox in a temp dir and the stream server over it on port 0. */
export async function streamFixture(
  options: Partial<StreamServerOptions> = {},
  outboxOptions: Partial<SqliteOutboxOptions> = {},
): Promise<StreamFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-stream-'));
  const outbox = new SqliteOutbox({ path: join(dir, 'outbox.sqlite'), pruneIntervalMs: 0, ...outboxOptions });
  const registry = new Registry();
  const metrics = createStreamMetrics(registry);
  const server = await startStreamServer({
    source: outbox,
    token: TOKEN,
    port: 0,
    heartbeatMs: 0,
    metrics,
    ...options,
  });
  return {
    outbox,
    server,
    metrics,
    registry,
    url(topics = [], extra = {}) {
      const u = new URL(server.url);
      for (const t of topics) u.searchParams.append('topic', t);
      for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
      return u.toString();
    },
    async close() {
      await server.close();
      outbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A notification with a distinct key on `topic`; `pad` bytes of body. */
export function event(i: number, topic = `v2.users.u${i % 5}.presence`, pad = 0, receivedAt?: string): RelayEvent {
  return {
    topicName: topic,
    version: '2',
    eventBody: { n: i, pad: 'x'.repeat(pad) },
    metadata: { CorrelationId: `c-${i}` },
    relay: { receivedAt: receivedAt ?? new Date().toISOString(), channelId: 'ch-1', key: `k-${topic}-${i}` },
  };
}

/** Appends events `from`..`to-1` and resolves once all are committed. */
export async function appendRange(outbox: SqliteOutbox, from: number, to: number, make = (i: number) => event(i)) {
  const pending: Array<Promise<unknown>> = [];
  for (let i = from; i < to; i++) pending.push(outbox.append(make(i)));
  await Promise.all(pending);
}

export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const metric = await registry.getSingleMetric(name)?.get();
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}
