import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newCounters } from '../../../src/client/counters.ts';
import { EventDelivery } from '../../../src/client/event-delivery.ts';
import type { RelayError } from '../../../src/core/errors.ts';
import { flushMicrotasks } from '../../../src/testing/manual-clock.ts';

const frame = (id: string) => ({ topicName: 'v2.a', version: '2', eventBody: {}, metadata: { CorrelationId: id } });

/** Counts the callbacks attached to it: one per batch is the point of sharing it. */
class CountedPromise extends Promise<void> {
  static thenCalls = 0;
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }
  override then<A = void, B = never>(
    onFulfilled?: ((value: void) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    CountedPromise.thenCalls++;
    return super.then(onFulfilled, onRejected);
  }
}

/** A handler that acknowledges per batch, as the relay does: every call until `cut()` returns the same promise. */
function batchingHandler(): {
  onEvent: () => Promise<void>;
  cut(): { resolve(): void; reject(err: Error): void };
} {
  let current: { promise: Promise<void>; resolve(): void; reject(err: Error): void } | undefined;
  const fresh = (): NonNullable<typeof current> => {
    let resolve = (): void => undefined;
    let reject = (_: Error): void => undefined;
    const promise = new CountedPromise((res, rej) => ((resolve = res), (reject = rej)));
    return { promise, resolve, reject };
  };
  return {
    onEvent: () => (current ??= fresh()).promise,
    cut: () => {
      const batch = current ?? fresh();
      current = undefined;
      return batch;
    },
  };
}

describe('EventDelivery with a handler that shares one promise per batch', () => {
  it('counts every call in flight until its batch settles; backpressure, resume and drain stay exact', async () => {
    const handler = batchingHandler();
    const signals: string[] = [];
    const delivery = new EventDelivery({
      counters: newCounters(),
      bufferSize: 4,
      overflow: 'pause',
      onEventConcurrency: 100,
      reportError: () => undefined,
      onEvent: handler.onEvent,
      pauseSources: () => signals.push('pause'),
      resumeSources: () => signals.push('resume'),
    });
    for (const id of ['a', 'b', 'c']) delivery.accept(frame(id), id, 'ch', 0);
    const first = handler.cut();
    for (const id of ['d', 'e']) delivery.accept(frame(id), id, 'ch', 0);
    const second = handler.cut();
    assert.equal(delivery.backlog, 5, 'five calls in flight over two shared promises');
    assert.equal(CountedPromise.thenCalls, 2, 'one callback per batch, not per event');
    assert.deepEqual(signals, ['pause']);
    first.resolve();
    await flushMicrotasks();
    assert.equal(delivery.backlog, 2, 'the three calls of the first batch settled together');
    assert.deepEqual(signals, ['pause', 'resume']);
    // The settled promise handed out again later is a new batch of one, not a lost count.
    delivery.accept(frame('f'), 'f', 'ch', 0);
    assert.equal(delivery.backlog, 3);
    delivery.stop();
    let drained = false;
    const draining = delivery.drain().then(() => (drained = true));
    second.resolve();
    await flushMicrotasks();
    assert.equal(drained, false, 'f is still in flight');
    handler.cut().resolve();
    await draining;
    assert.equal(delivery.backlog, 0);
  });

  it('a rejected batch reports one error per event of it', async () => {
    const handler = batchingHandler();
    const errors: RelayError[] = [];
    const delivery = new EventDelivery({
      counters: newCounters(),
      bufferSize: 100,
      overflow: 'pause',
      onEventConcurrency: 100,
      reportError: (e) => errors.push(e),
      onEvent: handler.onEvent,
    });
    for (const id of ['a', 'b', 'c']) delivery.accept(frame(id), id, 'ch', 0);
    handler.cut().reject(new Error('outbox closed'));
    await flushMicrotasks();
    assert.equal(errors.length, 3);
    assert.match(errors[0]?.message ?? '', /outbox closed/);
    assert.equal(delivery.backlog, 0);
  });
});
