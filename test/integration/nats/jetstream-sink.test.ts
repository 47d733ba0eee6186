import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { eventKey, type RelayEvent } from '../../../src/envelope/envelope.ts';
import { ensureDurableConsumer } from '../../../src/sinks/nats/durable-consumer.ts';
import { createJetStreamSink } from '../../../src/sinks/nats/jetstream-sink.ts';
import type { BatchOutcome, Sink } from '../../../src/sinks/sink.ts';
import { freePort, waitUntil } from '../../helpers/infra.ts';
import { natsSkip, startNatsServer, type NatsServer } from '../../helpers/nats-server.ts';

function event(topicName: string, n: number): RelayEvent {
  const correlationId = `corr-${topicName}-${n}`;
  return {
    topicName,
    version: '2',
    eventBody: { n },
    metadata: { CorrelationId: correlationId },
    relay: { receivedAt: new Date(0).toISOString(), channelId: 'ch-1', key: eventKey(topicName, correlationId, { n }) },
  };
}

const PRESENCE = ['v2.users.u-1.presence', 'v2.users.u-2.presence', 'v2.users.u-3.presence'];
const BATCH = [...PRESENCE.map((t, i) => event(t, i)), event('v2.routing.queues.Q-9.conversations', 9)];
const kinds = (outcomes: BatchOutcome) => outcomes.map((o) => o.kind).join(',');
const signal = () => new AbortController().signal;

describe('JetStream sink (real nats-server)', { skip: natsSkip() }, () => {
  let server: NatsServer;
  let sink: Sink;
  let observer: NatsConnection;

  /** Counted over a fresh connection each time, so a count never depends on a client's reconnect timing. */
  const streamMessages = async (): Promise<number> => {
    const nc = await connect({ servers: server.url, timeout: 1000 });
    try {
      const jsm = await jetstreamManager(nc, { timeout: 1000 });
      return (await jsm.streams.info('GENESYS')).state.messages;
    } finally {
      await nc.close();
    }
  };

  before(async () => {
    server = await startNatsServer();
    sink = createJetStreamSink({ servers: server.url, ackTimeoutMs: 750, reconnectTimeWaitMs: 100 });
    observer = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  });

  after(async () => {
    await sink?.close();
    await observer?.close();
    await server?.stop();
  });

  it('publishes a batch, creating the stream with the duplicate window', async () => {
    assert.equal(kinds(await sink.deliver(BATCH, signal())), 'delivered,delivered,delivered,delivered');
    const info = await (await jetstreamManager(observer)).streams.info('GENESYS');
    assert.deepEqual(info.config.subjects, ['genesys.>']);
    assert.equal(info.config.duplicate_window, nanos(120_000));
    assert.equal(info.state.messages, 4);
  });

  it('a durable pull consumer receives the events with explicit ack', async () => {
    const consumer = await ensureDurableConsumer(observer, {
      durable: 'presence-reader',
      filterSubject: 'genesys.v2.users.*.presence',
    });
    const got: RelayEvent[] = [];
    const messages = await consumer.fetch({ max_messages: 10, expires: 1000 });
    for await (const m of messages) {
      got.push(m.json<RelayEvent>());
      assert.equal(m.headers?.get('Nats-Msg-Id'), got.at(-1)?.relay.key);
      assert.equal(m.subject, `genesys.${got.at(-1)?.topicName.toLowerCase()}`);
      m.ack();
      if (got.length === PRESENCE.length) break;
    }
    assert.deepEqual(
      got.map((e) => e.topicName),
      PRESENCE,
    );
    assert.deepEqual(got[0], BATCH[0], 'the payload is the RelayEvent (NDJSON contract shape)');
    await waitUntil(async () => (await consumer.info()).num_ack_pending === 0, 5000, 'acks recorded');
    const info = await consumer.info();
    assert.equal(info.num_pending, 0);
    assert.equal(info.delivered.consumer_seq, PRESENCE.length);
  });

  it('re-publishing the same keys within the window is de-duplicated and counts as delivered', async () => {
    const before = await streamMessages();
    assert.equal(kinds(await sink.deliver(BATCH, signal())), 'delivered,delivered,delivered,delivered');
    assert.equal(await streamMessages(), before);
  });

  it('server down → retryable; back up → delivered, each key stored once', async () => {
    const before = await streamMessages();
    await server.kill();
    const fresh = [event('v2.users.u-4.presence', 4), event('v2.users.u-5.presence', 5)];
    const down = await sink.deliver(fresh, signal());
    // In order: the batch stops at its first failure; the second event was not attempted (the outbox re-queues it).
    assert.equal(kinds(down), 'retryable');
    await server.restart();
    let up: BatchOutcome = [];
    await waitUntil(
      async () => kinds((up = await sink.deliver(fresh, signal()))) === 'delivered,delivered',
      15_000,
      'delivery after restart',
    );
    assert.equal(up.length, 2);
    // Publishes buffered during the outage may have landed on reconnect; the retry was then a duplicate.
    let count: number | string = 'never read';
    await waitUntil(
      async () => (count = await streamMessages().catch((e: unknown) => String(e))) === before + 2,
      10_000,
      'stream count after restart',
    ).catch((err: unknown) => assert.fail(`${String(err)}; last count ${count}, expected ${before + 2}`));
  });

  it('connects lazily: with no server the batch is retryable, not a crash', async () => {
    const port = await freePort();
    const offline = createJetStreamSink({ servers: `nats://127.0.0.1:${port}`, connectTimeoutMs: 500 });
    try {
      const outcomes = await offline.deliver([event('v2.users.u-9.presence', 9)], signal());
      assert.equal(kinds(outcomes), 'retryable');
    } finally {
      await offline.close();
    }
  });
});

describe('JetStream sink stream management (real nats-server)', { skip: natsSkip() }, () => {
  let server: NatsServer;
  let nc: NatsConnection;

  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });

  after(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('an existing stream gains the subject and a wide enough duplicate window; its other settings stay', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'OPS', subjects: ['other.>'], duplicate_window: nanos(1000), max_msgs: 1000 });
    const sink = createJetStreamSink({ servers: server.url, stream: 'OPS', subjectPrefix: 'acme.gen' });
    try {
      assert.equal(kinds(await sink.deliver([event('v2.users.u-1.presence', 1)], signal())), 'delivered');
    } finally {
      await sink.close();
    }
    const info = await jsm.streams.info('OPS');
    assert.deepEqual(info.config.subjects, ['other.>', 'acme.gen.>']);
    assert.equal(info.config.duplicate_window, nanos(120_000));
    assert.equal(info.config.max_msgs, 1000);
    assert.equal(info.state.messages, 1);
  });

  it('with createStream:false and no stream for the subject, delivery is retryable (nothing dead-lettered)', async () => {
    const sink = createJetStreamSink({
      servers: server.url,
      subjectPrefix: 'nostream',
      createStream: false,
      ackTimeoutMs: 500,
    });
    try {
      assert.equal(kinds(await sink.deliver([event('v2.users.u-1.presence', 1)], signal())), 'retryable');
    } finally {
      await sink.close();
    }
  });

  it('re-creates a stream deleted under it on the next batch', async () => {
    const sink = createJetStreamSink({ servers: server.url, stream: 'AGAIN', subjectPrefix: 'again' });
    try {
      assert.equal(kinds(await sink.deliver([event('v2.users.u-1.presence', 1)], signal())), 'delivered');
      await (await jetstreamManager(nc)).streams.delete('AGAIN');
      const next = [event('v2.users.u-2.presence', 2)];
      assert.equal(kinds(await sink.deliver(next, signal())), 'retryable', 'no stream answers the publish');
      assert.equal(kinds(await sink.deliver(next, signal())), 'delivered', 'the stream was ensured again');
      assert.equal((await (await jetstreamManager(nc)).streams.info('AGAIN')).state.messages, 1);
    } finally {
      await sink.close();
    }
  });

  it('an abort ends a publish that waits for its PubAck (server gone) without waiting for the ack timeout', async () => {
    const sink = createJetStreamSink({ servers: server.url, ackTimeoutMs: 30_000 });
    try {
      assert.equal(kinds(await sink.deliver([event('v2.users.u-1.presence', 7)], signal())), 'delivered');
      await server.kill();
      const controller = new AbortController();
      const startedAt = Date.now();
      const pending = sink.deliver([event('v2.users.u-2.presence', 8)], controller.signal);
      setTimeout(() => controller.abort(), 100);
      const [outcome] = await pending;
      assert.deepEqual(outcome, { kind: 'retryable', error: 'nats: delivery aborted' });
      assert.ok(Date.now() - startedAt < 5000, 'returned long before the 30 s ack timeout');
    } finally {
      await sink.close();
    }
  });
});
