import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type Consumer } from '@nats-io/jetstream';

export interface DurableConsumerOptions {
  /** @default 'GENESYS' */
  stream?: string;
  /** Durable name: the server keeps this consumer's position across restarts of the reader. */
  durable: string;
  /** Only these subjects, e.g. `genesys.v2.users.*.presence`. @default every subject of the stream */
  filterSubject?: string;
  /** Unacked messages are redelivered after this long. @default 30000 */
  ackWaitMs?: number;
  /**
   * Deliveries before the server gives up on a message (it then publishes a MAX_DELIVERIES advisory on
   * `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<durable>`, which a dead-letter job can subscribe to).
   * @default 5
   */
  maxDeliver?: number;
}

/**
 * Creates (or updates) a durable pull consumer with explicit acks and returns a handle to read from it. This is the
 * downstream side of the JetStream sink; each downstream system gets its own durable, so a slow or failing one never
 * holds back the others, and replay is `DeliverPolicy.All` from stream retention.
 *
 * Recipe for a downstream reader (any language has the same primitives):
 * ```ts
 * const nc = await connect({ servers: 'nats://127.0.0.1:4222' });
 * const consumer = await ensureDurableConsumer(nc, { durable: 'servicenow-presence',
 *   filterSubject: 'genesys.v2.users.*.presence' });
 * const messages = await consumer.consume({ max_messages: 100 });
 * for await (const m of messages) {
 *   const event = m.json<RelayEvent>();          // the NDJSON contract shape; m.headers?.get('Nats-Msg-Id') = relay.key
 *   try { await handle(event); m.ack(); }        // ack only after the side effect is durable
 *   catch { m.nak(5_000); }                      // redeliver later; after maxDeliver the advisory fires
 * }
 * ```
 * Handlers must still be idempotent on `relay.key`: a message acked after its ack wait is delivered again.
 */
export async function ensureDurableConsumer(nc: NatsConnection, options: DurableConsumerOptions): Promise<Consumer> {
  const stream = options.stream ?? 'GENESYS';
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(stream, {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(options.ackWaitMs ?? 30_000),
    max_deliver: options.maxDeliver ?? 5,
    ...(options.filterSubject === undefined ? {} : { filter_subject: options.filterSubject }),
  });
  return jetstream(nc).consumers.get(stream, options.durable);
}
