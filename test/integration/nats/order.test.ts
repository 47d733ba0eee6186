import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { eventKey, type RelayEvent } from '../../../src/envelope/envelope.ts';
import { Dispatcher } from '../../../src/outbox/dispatcher.ts';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { createJetStreamSink } from '../../../src/sinks/nats/jetstream-sink.ts';
import { natsSkip, startNatsServer, type NatsServer } from '../../helpers/nats-server.ts';
import { tempDir, waitFor } from '../outbox/helpers.ts';

function event(topicName: string, n: number): RelayEvent {
  const correlationId = `order-${n}`;
  const eventBody = { n };
  return {
    topicName,
    version: '2',
    eventBody,
    metadata: { CorrelationId: correlationId },
    relay: {
      receivedAt: new Date().toISOString(),
      channelId: 'ch-1',
      key: eventKey(topicName, correlationId, eventBody),
    },
  };
}

/** Events 0..9 on user presence topics, except 3 and 6 on a queue topic the stream does not take at first. */
const EVENTS = Array.from({ length: 10 }, (_, n) =>
  event(n === 3 || n === 6 ? 'v2.routing.queues.q-1.conversations' : `v2.users.u-${n}.presence`, n),
);

describe('NATS sink keeps per-sink order under partial failure (real nats-server)', { skip: natsSkip() }, () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    await nc?.close();
    await server?.stop();
  });

  const storedOrder = async (stream: string): Promise<number[]> => {
    const info = await jsm.streams.info(stream);
    const order: number[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      order.push((m?.json<RelayEvent>().eventBody as { n: number }).n);
    }
    return order;
  };

  it('a batch stops at its first failure: the prefix is delivered, the rest not attempted', async () => {
    await jsm.streams.add({ name: 'PREFIX', subjects: ['prefix.v2.users.>'] });
    const sink = createJetStreamSink({
      servers: server.url,
      stream: 'PREFIX',
      subjectPrefix: 'prefix',
      createStream: false,
      ackTimeoutMs: 750,
    });
    try {
      const outcomes = await sink.deliver(EVENTS, new AbortController().signal);
      assert.deepEqual(
        outcomes.map((o) => o.kind),
        ['delivered', 'delivered', 'delivered', 'retryable'],
      );
      assert.deepEqual(await storedOrder('PREFIX'), [0, 1, 2], 'nothing after the failed event was published');
    } finally {
      await sink.close();
    }
  });

  it('through the outbox: a failure mid-batch is retried before anything after it; stream order = read order', async () => {
    await jsm.streams.add({ name: 'ORDER', subjects: ['order.v2.users.>'] });
    const sink = createJetStreamSink({
      servers: server.url,
      stream: 'ORDER',
      subjectPrefix: 'order',
      createStream: false,
      ackTimeoutMs: 750,
    });
    const { dir, cleanup } = tempDir();
    const outbox = new SqliteOutbox({ path: join(dir, 'outbox.sqlite'), pruneIntervalMs: 0 });
    const failures: Array<{ count: number; error: string }> = [];
    const dispatcher = new Dispatcher({
      outbox,
      sinks: [sink],
      pollIntervalMs: 20,
      policy: { maxAttempts: 50, backoff: { baseMs: 20, maxMs: 40, firstImmediate: false } },
      hooks: { onRetry: (_sink, count, error) => failures.push({ count, error }) },
    });
    try {
      for (const e of EVENTS) await outbox.append(e);
      dispatcher.start();
      await waitFor(() => failures.length >= 3, 'the queue event to fail a few times');
      assert.deepEqual(await storedOrder('ORDER'), [0, 1, 2], 'the failed event holds back everything after it');
      // The operator widens the stream; the retry goes through, then the rest, in order.
      await jsm.streams.update('ORDER', { subjects: ['order.v2.users.>', 'order.v2.routing.>'] });
      await waitFor(() => outbox.stats().sinks[0]?.delivered === EVENTS.length, 'all delivered');
      assert.deepEqual(await storedOrder('ORDER'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.equal(outbox.stats().sinks[0]?.dead, 0);
      assert.ok(
        failures.every((f) => f.count === 1),
        'each failed batch counted one attempt: the events behind the failure were not attempted',
      );
    } finally {
      await dispatcher.close({ drainTimeoutMs: 1_000 });
      outbox.close();
      await sink.close();
      cleanup();
    }
  });
});
