import { flushMicrotasks } from '../../../src/testing/manual-clock.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventQueue } from '../../../src/client/event-queue.ts';
import { EventDelivery } from '../../../src/client/event-delivery.ts';
import { newCounters } from '../../../src/client/counters.ts';
import { RolloverSemaphore } from '../../../src/client/rollover-gate.ts';
import { TypedEmitter } from '../../../src/client/typed-emitter.ts';
import { NotificationClient } from '../../../src/client/index.ts';
import { ConfigError } from '../../../src/core/errors.ts';

async function drain<T>(queue: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of queue) out.push(item);
  return out;
}

describe('EventQueue', () => {
  it('hands items to a waiting consumer and ends after the buffered ones', async () => {
    const q = new EventQueue<number>(10, 'dropOldest', () => {});
    const it = q[Symbol.asyncIterator]();
    const first = it.next();
    q.push(1);
    assert.deepEqual(await first, { value: 1, done: false });
    q.push(2);
    q.push(3);
    q.end();
    q.push(4);
    assert.deepEqual(await drain({ [Symbol.asyncIterator]: () => it }), [2, 3]);
  });

  it('dropOldest keeps the newest `capacity` items', async () => {
    const dropped: number[] = [];
    const q = new EventQueue<number>(3, 'dropOldest', (x) => dropped.push(x));
    for (let i = 1; i <= 5; i++) q.push(i);
    q.end();
    assert.deepEqual(await drain(q), [3, 4, 5]);
    assert.deepEqual(dropped, [1, 2]);
  });

  it('dropNewest keeps the oldest `capacity` items', async () => {
    const dropped: number[] = [];
    const q = new EventQueue<number>(3, 'dropNewest', (x) => dropped.push(x));
    for (let i = 1; i <= 5; i++) q.push(i);
    q.end();
    assert.deepEqual(await drain(q), [1, 2, 3]);
    assert.deepEqual(dropped, [4, 5]);
  });

  it('stays in order across many items (compaction)', async () => {
    const q = new EventQueue<number>(100_000, 'dropOldest', () => {});
    for (let i = 0; i < 5_000; i++) q.push(i);
    q.end();
    const out = await drain(q);
    assert.equal(out.length, 5_000);
    assert.ok(out.every((x, i) => x === i));
  });
});

describe('RolloverSemaphore', () => {
  it('grants permits in FIFO order and releases once', async () => {
    const gate = new RolloverSemaphore(1);
    const order: string[] = [];
    const releaseA = await gate.acquire(new AbortController().signal);
    const b = gate.acquire(new AbortController().signal).then((r) => {
      order.push('b');
      return r;
    });
    const c = gate.acquire(new AbortController().signal).then((r) => {
      order.push('c');
      return r;
    });
    releaseA();
    releaseA();
    const releaseB = await b;
    assert.deepEqual(order, ['b']);
    releaseB();
    (await c)();
    assert.deepEqual(order, ['b', 'c']);
  });

  it('an aborted waiter leaves the queue', async () => {
    const gate = new RolloverSemaphore(1);
    const release = await gate.acquire(new AbortController().signal);
    const abort = new AbortController();
    const waiting = gate.acquire(abort.signal);
    abort.abort();
    await assert.rejects(waiting);
    release();
    const again = await gate.acquire(new AbortController().signal);
    again();
  });
});

describe('TypedEmitter', () => {
  it('isolates throwing listeners and supports unsubscribe', () => {
    const errors: unknown[] = [];
    const emitter = new TypedEmitter<{ [k: string]: unknown[]; tick: [n: number] }>((e) => errors.push(e));
    const seen: number[] = [];
    emitter.on('tick', () => {
      throw new Error('boom');
    });
    const off = emitter.on('tick', (n) => seen.push(n));
    emitter.emit('tick', 1);
    off();
    emitter.emit('tick', 2);
    assert.deepEqual(seen, [1]);
    assert.equal(errors.length, 2);
  });
});

describe('NotificationClient options', () => {
  it('needs an api or tokens', () => {
    assert.throws(() => new NotificationClient({ topics: [] }), ConfigError);
  });

  it('must leave room for a shard beyond the rollover headroom', () => {
    assert.throws(
      () =>
        new NotificationClient({
          topics: [],
          tokens: { getToken: () => Promise.reject(new Error('x')), invalidate: () => {} },
          maxChannels: 1,
        }),
      /rolloverHeadroom/,
    );
  });
});

describe('EventDelivery', () => {
  const frame = (id: string) => ({ topicName: 'v2.a', version: '2', eventBody: {}, metadata: { CorrelationId: id } });

  it('drops duplicates, keeps order for async handlers, and bounds the backlog', async () => {
    const counters = newCounters();
    const seen: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const delivery = new EventDelivery({
      counters,
      bufferSize: 3,
      overflow: 'dropOldest',
      reportError: () => {},
      onEvent: async (e) => {
        await gate;
        seen.push(String(e.metadata['CorrelationId']));
      },
    });
    for (const id of ['a', 'b', 'a', 'c', 'd', 'e']) delivery.accept(frame(id), id, 'ch', 0);
    assert.equal(counters.duplicatesDropped, 1);
    assert.equal(counters.overflowDropped, 2);
    release();
    delivery.stop();
    await delivery.drain();
    assert.deepEqual(seen, ['a', 'b', 'c']);
  });

  it('de-duplicates only where copies are possible (overlap or reconnect), never in steady state', () => {
    const counters = newCounters();
    const keys: string[] = [];
    const delivery = new EventDelivery({
      counters,
      bufferSize: 10,
      overflow: 'dropOldest',
      reportError: () => {},
      onDuplicate: (e) => keys.push(e.relay.key),
      onEvent: () => {},
    });
    delivery.accept(frame('a'), 'a', 'ch', 0, false);
    delivery.accept(frame('a'), 'a', 'ch', 0, false);
    assert.equal(counters.eventsDelivered, 2, 'identical events on one steady channel are both delivered');
    delivery.accept(frame('b'), 'b', 'old', 1, true);
    delivery.accept(frame('b'), 'b', 'new', 2, true);
    assert.equal(counters.duplicatesDropped, 1);
    assert.equal(keys.length, 1);
  });

  it('with onEventConcurrency, keeps several async calls in flight, started in arrival order', async () => {
    const started: string[] = [];
    const finish = new Map<string, () => void>();
    const delivery = new EventDelivery({
      counters: newCounters(),
      bufferSize: 100,
      overflow: 'pause',
      reportError: () => {},
      onEventConcurrency: 2,
      onEvent: (e) => {
        const id = String(e.metadata['CorrelationId']);
        started.push(id);
        return new Promise<void>((resolve) => finish.set(id, resolve));
      },
    });
    for (const id of ['a', 'b', 'c', 'd']) delivery.accept(frame(id), id, 'ch', 0);
    assert.deepEqual(started, ['a', 'b'], 'two in flight, the rest wait');
    assert.equal(delivery.backlog, 4);
    finish.get('b')?.();
    await flushMicrotasks();
    assert.deepEqual(started, ['a', 'b', 'c'], 'a free slot starts the oldest waiting event');
    delivery.stop();
    let drained = false;
    const draining = delivery.drain().then(() => (drained = true));
    for (const id of ['a', 'c']) finish.get(id)?.();
    await flushMicrotasks();
    assert.deepEqual(started, ['a', 'b', 'c', 'd']);
    assert.equal(drained, false, 'd is still running');
    finish.get('d')?.();
    await draining;
    assert.equal(delivery.backlog, 0);
  });

  it('by default awaits each async call before starting the next', async () => {
    const started: string[] = [];
    let release: () => void = () => {};
    const delivery = new EventDelivery({
      counters: newCounters(),
      bufferSize: 100,
      overflow: 'pause',
      reportError: () => {},
      onEvent: (e) => {
        started.push(String(e.metadata['CorrelationId']));
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    delivery.accept(frame('a'), 'a', 'ch', 0);
    delivery.accept(frame('b'), 'b', 'ch', 0);
    assert.deepEqual(started, ['a']);
    release();
    await flushMicrotasks();
    assert.deepEqual(started, ['a', 'b']);
    release();
    delivery.stop();
    await delivery.drain();
  });

  it('reports a throwing handler and keeps going', () => {
    const errors: unknown[] = [];
    const counters = newCounters();
    const delivery = new EventDelivery({
      counters,
      bufferSize: 10,
      overflow: 'dropOldest',
      reportError: (e) => errors.push(e),
      onEvent: () => {
        throw new Error('sink down');
      },
    });
    delivery.accept(frame('x'), 'x', 'ch', 0);
    delivery.accept(frame('y'), 'y', 'ch', 0);
    assert.equal(errors.length, 2);
    assert.equal(counters.eventsDelivered, 2);
  });
});

describe('EventDelivery backpressure', () => {
  it("'pause' stops the sources at the limit and resumes at half, dropping nothing", async () => {
    const counters = newCounters();
    const signals: string[] = [];
    const delivery = new EventDelivery({
      counters,
      bufferSize: 4,
      overflow: 'pause',
      reportError: () => {},
      pauseSources: () => signals.push('pause'),
      resumeSources: () => signals.push('resume'),
    });
    const it = delivery.iterable()[Symbol.asyncIterator]();
    for (let i = 0; i < 6; i++) delivery.accept({ topicName: 'v2.a', eventBody: i }, `c${i}`, 'ch', 0);
    assert.deepEqual(signals, ['pause']);
    assert.equal(delivery.backlog, 6, 'nothing dropped while paused');
    await it.next();
    await it.next();
    assert.deepEqual(signals, ['pause'], 'still above half');
    await it.next();
    await it.next();
    assert.deepEqual(signals, ['pause', 'resume']);
    assert.equal(counters.overflowDropped, 0);
  });
});
