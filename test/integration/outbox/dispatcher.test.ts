import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RelayEvent } from '../../../src/envelope/envelope.ts';
import { Dispatcher, type DispatcherOptions } from '../../../src/outbox/dispatcher.ts';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import type { BatchOutcome, Sink } from '../../../src/sinks/sink.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { keys, makeEvent, RecordingSink, tempDir, waitFor } from './helpers.ts';

describe('Dispatcher', () => {
  let dir: string;
  let cleanup: () => void;
  let outbox: SqliteOutbox;
  let dispatcher: Dispatcher | undefined;
  const fast = { maxAttempts: 1_000, backoff: { baseMs: 5, maxMs: 20, firstImmediate: false } };
  const start = (options: Omit<DispatcherOptions, 'outbox'>): Dispatcher => {
    dispatcher = new Dispatcher({ outbox, pollIntervalMs: 50, ...options });
    dispatcher.start();
    return dispatcher;
  };

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    outbox = new SqliteOutbox({ path: join(dir, 'outbox.sqlite'), pruneIntervalMs: 0 });
  });
  afterEach(async () => {
    await dispatcher?.close({ drainTimeoutMs: 1_000 });
    dispatcher = undefined;
    outbox.close();
    cleanup();
  });

  it('delivers appended events, woken by the commit, and reports latency', async () => {
    const sink = new RecordingSink('rec', 10);
    const latencies: number[] = [];
    let delivered = 0;
    start({
      sinks: [sink],
      pollIntervalMs: 60_000, // so only the commit can wake it
      hooks: { onLatency: (_s, ms) => latencies.push(ms), onDelivered: (_s, n) => (delivered += n) },
    });
    await Promise.all(Array.from({ length: 25 }, (_, i) => outbox.append(makeEvent(i))));
    await waitFor(() => sink.delivered.length === 25, 'all 25 delivered');
    assert.deepEqual(sink.delivered, keys(0, 25));
    assert.ok(
      sink.calls.every((c) => c.keys.length <= 10),
      'batches respect maxBatch',
    );
    assert.equal(delivered, 25);
    assert.equal(latencies.length, 25);
    assert.ok(latencies.every((ms) => ms >= 0 && ms < 10_000));
    assert.equal(outbox.stats().sinks[0]?.delivered, 25);
  });

  it('sink down for a while, then up: nothing lost, order kept, the other sink unaffected', async () => {
    let down = true;
    const flaky = new RecordingSink('flaky', 50);
    flaky.respond = (_e, call) =>
      down ? (call % 2 ? 'throw' : { kind: 'retryable', error: 'down' }) : { kind: 'delivered' };
    const steady = new RecordingSink('steady', 50);
    start({ sinks: [flaky, steady], policy: fast });
    for (let i = 0; i < 300; i++) void outbox.append(makeEvent(i));
    await waitFor(() => steady.delivered.length === 300, 'the healthy sink to get everything');
    assert.equal(flaky.delivered.length, 0);
    await waitFor(() => flaky.calls.length >= 3, 'the down sink to be retried');
    assert.equal(outbox.stats().sinks.find((s) => s.sink === 'flaky')?.pending, 300);
    down = false;
    await waitFor(() => flaky.delivered.length === 300, 'the recovered sink to catch up');
    assert.deepEqual(flaky.delivered, keys(0, 300), 'same order, no gaps, no duplicates');
    assert.deepEqual(dispatcher?.counters().flaky?.deadLettered, 0);
  });

  it('honours Retry-After: no attempt before it is due', async () => {
    const clock = new ManualClock();
    outbox.close();
    outbox = new SqliteOutbox({ path: join(dir, 'outbox.sqlite'), pruneIntervalMs: 0, clock });
    const sink = new RecordingSink('rl', 10, () => clock.now());
    sink.respond = (_e, call) =>
      call === 0 ? { kind: 'retryable', error: '429', retryAfterMs: 5_000 } : { kind: 'delivered' };
    start({
      sinks: [sink],
      clock,
      pollIntervalMs: 60_000,
      policy: { backoff: { baseMs: 1, maxMs: 1, firstImmediate: true } },
    });
    outbox.appendSync(makeEvent(1));
    await waitFor(() => sink.calls.length === 1, 'first attempt');
    const firstAt = clock.now();
    await clock.advanceAsync(4_999);
    assert.equal(sink.calls.length, 1, 'nothing before Retry-After');
    await clock.advanceAsync(1);
    await waitFor(() => sink.calls.length === 2, 'the retry once due');
    assert.equal(sink.calls[1]?.at, firstAt + 5_000);
    assert.deepEqual(sink.delivered, keys(1, 1));
  });

  it('dead-letters after maxAttempts (permanent at once), then dlq requeue delivers', async () => {
    let broken = true;
    const sink = new RecordingSink('dl', 10);
    sink.respond = (e) =>
      !broken
        ? { kind: 'delivered' }
        : e.relay.key === makeEvent(0).relay.key
          ? { kind: 'permanent', error: '400 bad' }
          : { kind: 'retryable', error: '503' };
    const dead: number[] = [];
    start({ sinks: [sink], policy: { ...fast, maxAttempts: 3 }, hooks: { onDeadLettered: (_s, n) => dead.push(n) } });
    outbox.appendSync(makeEvent(0));
    outbox.appendSync(makeEvent(1));
    await waitFor(() => outbox.listDead('dl', 10).length === 2, 'both dead-lettered');
    const letters = outbox.listDead('dl', 10);
    assert.deepEqual(
      letters.map((d) => [d.attempts, d.lastError]),
      [
        [1, 'permanent: 400 bad'],
        [3, 'gave up after 3 attempts: 503'],
      ],
    );
    assert.equal(sink.calls.length, 3);
    assert.deepEqual(dead, [1, 1]);
    broken = false;
    assert.equal(outbox.requeueDead('dl', { all: true }), 2);
    await waitFor(() => sink.delivered.length === 2, 'requeued letters delivered (picked up by the poll)');
    assert.deepEqual(sink.delivered, keys(0, 2));
  });

  it('close waits for the batch in flight, then aborts it after the drain deadline and leaves it pending', async () => {
    const seen: AbortSignal[] = [];
    const hanging: Sink = {
      name: 'hang',
      maxBatch: 5,
      deliver(events: readonly RelayEvent[], signal: AbortSignal): Promise<BatchOutcome> {
        seen.push(signal);
        return new Promise((resolve) =>
          signal.addEventListener('abort', () => resolve(events.map(() => ({ kind: 'retryable', error: 'aborted' })))),
        );
      },
      close: () => Promise.resolve(),
    };
    const d = start({ sinks: [hanging] });
    outbox.appendSync(makeEvent(1));
    await waitFor(() => seen.length === 1, 'delivery started');
    const t0 = Date.now();
    await d.close({ drainTimeoutMs: 100 });
    assert.ok(Date.now() - t0 >= 90, 'waited for the drain deadline');
    assert.equal(seen[0]?.aborted, true);
    const stats = outbox.stats().sinks[0];
    assert.deepEqual([stats?.pending, stats?.inflight], [1, 0]);
    assert.deepEqual(
      outbox.claim('hang', 5).events.map((c) => c.attempts),
      [1],
      'the aborted attempt was not counted',
    );
  });

  it('close returns at once when idle, and refuses two sinks with one name', async () => {
    const d = start({ sinks: [new RecordingSink('x')] });
    const t0 = Date.now();
    await d.close({ drainTimeoutMs: 5_000 });
    assert.ok(Date.now() - t0 < 1_000);
    assert.throws(
      () => new Dispatcher({ outbox, sinks: [new RecordingSink('x'), new RecordingSink('x')] }),
      /two sinks/,
    );
  });
});
