import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RelayEvent } from '../../../src/envelope/envelope.ts';
import { Dispatcher } from '../../../src/outbox/dispatcher.ts';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import type { BatchOutcome, Sink } from '../../../src/sinks/sink.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { keys, makeEvent, RecordingSink, tempDir, waitFor } from './helpers.ts';

/**
 * How often a sink's loop claims (issue 10): after a short batch it does not claim again just to find nothing, yet a
 * commit that landed during the delivery, a retry the batch scheduled, or a row the claim stopped at is never late.
 * Time is a ManualClock and the poll interval a minute, so only those can bring a claim.
 */
describe('SinkWorker claim pace', () => {
  let dir: string;
  let cleanup: () => void;
  let clock: ManualClock;
  let outbox: SqliteOutbox;
  let dispatcher: Dispatcher | undefined;
  let claims: number;

  const start = (sink: Sink, policy = {}): void => {
    dispatcher = new Dispatcher({ outbox, sinks: [sink], clock, pollIntervalMs: 60_000, policy });
    dispatcher.start();
  };

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    clock = new ManualClock();
    outbox = new SqliteOutbox({ path: join(dir, 'outbox.sqlite'), pruneIntervalMs: 0, clock });
    claims = 0;
    const claim = outbox.claim.bind(outbox);
    outbox.claim = (sink, limit) => {
      claims++;
      return claim(sink, limit);
    };
  });
  afterEach(async () => {
    await dispatcher?.close({ drainTimeoutMs: 1_000 });
    dispatcher = undefined;
    outbox.close();
    cleanup();
  });

  it('a short batch is not followed by an empty claim; a commit during its delivery is claimed at once', async () => {
    const sink = new GatedSink();
    start(sink);
    await waitFor(() => claims === 1, 'the first (empty) claim at start');
    outbox.appendSync(makeEvent(0));
    await waitFor(() => sink.batches.length === 1, 'event 0 handed to the sink');
    // Committed while the sink still holds event 0: the loop must not wait for the poll interval to see it.
    outbox.appendSync(makeEvent(1));
    sink.open();
    await waitFor(() => sink.batches.length === 2, 'event 1 claimed right after the batch in flight');
    await waitFor(() => outbox.stats().sinks[0]?.delivered === 2, 'both settled');
    await clock.advanceAsync(0);
    assert.deepEqual(sink.batches, [keys(0, 1), keys(1, 1)]);
    assert.equal(claims, 3, 'one claim per batch after the first: no claim that finds nothing');
    await clock.advanceAsync(60_000);
    await waitFor(() => claims === 4, 'the poll interval still looks again');
  });

  it('after a short batch, the row its claim stopped at is claimed when it falls due', async () => {
    const sink = new RecordingSink('rec', 10, () => clock.now());
    // First call: event 0 is due again in 100 ms, event 1 in 5 s; later calls deliver.
    sink.respond = (event, call) =>
      call > 0
        ? { kind: 'delivered' }
        : { kind: 'retryable', error: '429', retryAfterMs: event.relay.key === keys(0, 1)[0] ? 100 : 5_000 };
    start(sink, { backoff: { baseMs: 1, maxMs: 1, firstImmediate: true } });
    outbox.appendSync(makeEvent(0));
    outbox.appendSync(makeEvent(1));
    await waitFor(() => sink.calls.length === 1 && sink.calls[0]?.keys.length === 2, 'both tried once');
    const firstAt = clock.now();
    await clock.advanceAsync(100);
    await waitFor(() => sink.calls.length === 2, 'event 0 once due');
    assert.deepEqual(sink.calls[1]?.keys, keys(0, 1), 'event 1 is not due yet and stays behind');
    await waitFor(() => outbox.stats().sinks[0]?.delivered === 1, 'event 0 settled');
    await clock.advanceAsync(4_899);
    assert.equal(sink.calls.length, 2, 'nothing before event 1 is due');
    await clock.advanceAsync(1);
    await waitFor(() => sink.calls.length === 3, 'event 1 once due, not a poll interval later');
    assert.equal(sink.calls[2]?.at, firstAt + 5_000);
    assert.deepEqual(sink.delivered, keys(0, 2));
  });

  it('a deferral the batch scheduled (blocked sink) is tried when due', async () => {
    const sink = new RecordingSink('rec', 10, () => clock.now());
    sink.respond = (_event, call) => (call === 0 ? { kind: 'blocked', error: 'HTTP 401' } : { kind: 'delivered' });
    start(sink, { blockedRetryMs: 100 });
    outbox.appendSync(makeEvent(0));
    await waitFor(() => sink.calls.length === 1, 'the blocked attempt');
    await waitFor(() => outbox.stats().sinks[0]?.pending === 1 && outbox.stats().sinks[0]?.inflight === 0, 'deferred');
    await clock.advanceAsync(100);
    await waitFor(() => sink.calls.length === 2, 'tried again after blockedRetryMs, not a poll interval later');
    assert.deepEqual(sink.delivered, keys(0, 1));
  });

  it('a batch the sink cut short is claimed again at once for the rest', async () => {
    const sink = new RecordingSink('rec', 10, () => clock.now());
    // The sink stops after the first event of a batch (it returns one outcome to keep its order).
    const deliver = sink.deliver.bind(sink);
    sink.deliver = async (events: readonly RelayEvent[]): Promise<BatchOutcome> =>
      (await deliver(events.slice(0, 1))).slice(0, 1);
    start(sink);
    for (let i = 0; i < 3; i++) void outbox.append(makeEvent(i));
    outbox.flush();
    await waitFor(() => sink.delivered.length === 3, 'all three, one per batch, without waiting for a poll');
    assert.deepEqual(sink.delivered, keys(0, 3));
  });
});

/** A sink that holds each batch until `open()`, then delivers everything. */
class GatedSink implements Sink {
  readonly name = 'gated';
  readonly maxBatch = 10;
  readonly batches: string[][] = [];
  private gate: { promise: Promise<void>; resolve: () => void } = gateOf();

  async deliver(events: readonly RelayEvent[]): Promise<BatchOutcome> {
    this.batches.push(events.map((e) => e.relay.key));
    await this.gate.promise;
    return events.map(() => ({ kind: 'delivered' }));
  }

  open(): void {
    this.gate.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function gateOf(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
