/**
 * Outbox throughput on a real file (WAL, synchronous=FULL), 1 KB events:
 * - durable appends with group commit (the relay's hot path; goal ≥ 20,000/s),
 * - one event per commit, for contrast (what group commit saves),
 * - append → delivered to a no-op sink through the Dispatcher (end to end),
 * - the cost of one /metrics scrape (`stats()`) on a big outbox (BENCH_SCRAPE_ROWS events, default 1M; goal < 5 ms),
 *   beside the COUNT(*) it replaced, and the durable append rate on that outbox (a relay at steady-state retention).
 * Run alone: node --import tsx bench/outbox.ts
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { RelayEvent } from '../src/envelope/envelope.ts';
import { Dispatcher } from '../src/outbox/dispatcher.ts';
import { SqliteOutbox } from '../src/outbox/sqlite-outbox.ts';
import type { BatchOutcome, Sink } from '../src/sinks/sink.ts';
import { fillOutboxEvents } from './lib/fill-outbox.ts';

const pad = 'x'.repeat(880); // with the envelope fields, about 1 KB of JSON per event

/** Keys spread over the whole key space, as real `relay.key`s (digests) are: sequential ones flatter an index. */
function event(run: string, i: number): RelayEvent {
  const key = createHash('sha256').update(`${run}-${i}`).digest('hex').slice(0, 32);
  return {
    topicName: `v2.users.${i % 1000}.presence`,
    version: '2',
    eventBody: { id: `user-${i}`, presenceDefinition: { id: 'p', systemPresence: 'Available' }, pad },
    metadata: { CorrelationId: `${run}-${i}` },
    relay: { receivedAt: new Date().toISOString(), channelId: 'bench', key },
  };
}

function withOutbox<T>(work: (outbox: SqliteOutbox) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-bench-'));
  const outbox = new SqliteOutbox({ path: join(dir, 'outbox.sqlite'), pruneIntervalMs: 0 });
  outbox.setActiveSinks(['noop']);
  return work(outbox).finally(() => {
    outbox.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

/** Appends `count` events as a stream would (in waves, never awaiting one at a time); events per second. */
async function appendDurable(outbox: SqliteOutbox, count: number, run: string): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i += 5_000) {
    const wave: Promise<unknown>[] = [];
    for (let k = i; k < Math.min(count, i + 5_000); k++) wave.push(outbox.append(event(run, k)));
    await Promise.all(wave);
  }
  return count / ((performance.now() - started) / 1000);
}

function appendOnePerCommit(outbox: SqliteOutbox, count: number): number {
  const started = performance.now();
  for (let i = 0; i < count; i++) outbox.appendSync(event('single', i));
  return count / ((performance.now() - started) / 1000);
}

class NoopSink implements Sink {
  readonly name = 'noop';
  readonly maxBatch = 500;
  deliver(events: readonly RelayEvent[]): Promise<BatchOutcome> {
    return Promise.resolve(events.map(() => ({ kind: 'delivered' as const })));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function appendToDelivered(outbox: SqliteOutbox, count: number): Promise<number> {
  let delivered = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const dispatcher = new Dispatcher({
    outbox,
    sinks: [new NoopSink()],
    hooks: { onDelivered: (_sink, n) => (delivered += n) >= count && done() },
  });
  dispatcher.start();
  const started = performance.now();
  await appendDurable(outbox, count, 'e2e');
  await finished;
  const rate = count / ((performance.now() - started) / 1000);
  await dispatcher.close();
  return rate;
}

/** Fills an outbox with `rows` events for sink noop (random keys), the first half delivered (its cursor). */
function fillOutbox(path: string, rows: number): void {
  fillOutboxEvents(path, rows);
  const db = new Database(path);
  const half = Math.floor(rows / 2);
  db.prepare(`UPDATE sink_cursor SET acked_to = ?, claimed_to = ?, delivered = ? WHERE sink = 'noop'`).run(
    half,
    half,
    half,
  );
  db.close();
}

function medianMs(samples: number, work: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

/**
 * On a `rows`-event outbox (what a relay holds at steady state: retention keeps up to `maxRows`, 1M by default): one
 * scrape's outbox statistics and the full counts they replaced, in ms (median), and the durable append rate there.
 */
async function fullOutbox(rows: number): Promise<{ statsMs: number; countStarMs: number; appendPerS: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-bench-'));
  const path = join(dir, 'outbox.sqlite');
  try {
    const created = new SqliteOutbox({ path, pruneIntervalMs: 0 });
    created.setActiveSinks(['noop']);
    created.close();
    fillOutbox(path, rows);
    const outbox = new SqliteOutbox({ path, pruneIntervalMs: 0, recoverInflight: false });
    const statsMs = medianMs(21, () => outbox.stats());
    const appendPerS = await appendDurable(outbox, 100_000, 'full');
    outbox.close();
    const db = new Database(path, { readonly: true });
    const countStarMs = medianMs(3, () => {
      db.prepare('SELECT count(*) FROM events').get();
      db.prepare(
        `SELECT count(*) FROM events WHERE seq > (SELECT acked_to FROM sink_cursor WHERE sink = 'noop')`,
      ).get();
    });
    db.close();
    return { statsMs, countStarMs, appendPerS };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<Record<string, number>> {
  const durable = await withOutbox((o) => appendDurable(o, 100_000, 'group'));
  const single = await withOutbox((o) => Promise.resolve(appendOnePerCommit(o, 3_000)));
  const e2e = await withOutbox((o) => appendToDelivered(o, 50_000));
  const scrapeRows = Number(process.env.BENCH_SCRAPE_ROWS ?? 1_000_000);
  const scrape = await fullOutbox(scrapeRows);
  return {
    'outbox.scrape_rows': scrapeRows,
    'outbox.scrape_stats_ms': Math.round(scrape.statsMs * 1000) / 1000,
    'outbox.scrape_count_star_ms': Math.round(scrape.countStarMs),
    'outbox.append_durable_events_per_s': Math.round(durable),
    'outbox.append_durable_on_full_outbox_events_per_s': Math.round(scrape.appendPerS),
    'outbox.append_1_per_commit_events_per_s': Math.round(single),
    'outbox.append_to_delivered_events_per_s': Math.round(e2e),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
