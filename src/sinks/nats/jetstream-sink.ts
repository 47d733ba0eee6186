import { connect, credsAuthenticator, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { ConfigError } from '../../core/errors.ts';
import type { RelayEvent } from '../../envelope/envelope.ts';
import type { BatchOutcome, DeliveryOutcome, Sink } from '../sink.ts';
import { classifyNatsError } from './classify.ts';
import { ensureStream } from './stream.ts';
import { subjectForTopic, validateSubjectPrefix } from './subject.ts';

export interface JetStreamSinkOptions {
  /** One URL or a list, e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** @default 'nats' */
  name?: string;
  /** @default 'GENESYS' */
  stream?: string;
  /** Events go to `${subjectPrefix}.${topic}`; the stream captures `${subjectPrefix}.>`. @default 'genesys' */
  subjectPrefix?: string;
  /** Re-publishes of the same event key within this window are dropped by JetStream. @default 120000 */
  duplicateWindowMs?: number;
  /** Create or adjust the stream on first use; false when ops manage it. @default true */
  createStream?: boolean;
  /** Contents of a `.creds` file (JWT + NKey seed). Never logged. */
  credentials?: string;
  /** Token auth. Never logged. */
  token?: string;
  /** User/password auth. Never logged. */
  user?: string;
  pass?: string;
  /** @default 256 */
  maxBatch?: number;
  /** How long to wait for each PubAck. @default 5000 */
  ackTimeoutMs?: number;
  /** Deadline for the initial connect. @default 5000 */
  connectTimeoutMs?: number;
  /** Pause between reconnect attempts after the connection was lost (the client reconnects forever). @default 2000 */
  reconnectTimeWaitMs?: number;
}

/**
 * A Sink that publishes each event to JetStream and awaits its PubAck.
 *
 * The header `Nats-Msg-Id: <relay.key>` makes re-delivery idempotent: the outbox retries after a timeout whose
 * publish actually landed, a rollover overlap repeats an event, two workers overlap during a lease handover — the
 * stream stores each key once per duplicate window and answers `duplicate: true`, which counts as delivered.
 * Downstream systems read with durable pull consumers (durable-consumer.ts).
 *
 * Connects lazily on the first `deliver`, so a relay starts even while NATS is down; a failed connect is a
 * retryable outcome for the batch. Once connected, the client reconnects on its own.
 */
export function createJetStreamSink(options: JetStreamSinkOptions): Sink {
  return new JetStreamSink(options);
}

class JetStreamSink implements Sink {
  readonly name: string;
  readonly maxBatch: number;
  private readonly prefix: string;
  private readonly ackTimeoutMs: number;
  private ready: Promise<{ nc: NatsConnection; js: JetStreamClient }> | undefined;
  private closed = false;
  /** The live connection, once open; a permanently closed one (e.g. rejected creds) is replaced on next use. */
  private current: NatsConnection | undefined;

  constructor(private readonly options: JetStreamSinkOptions) {
    this.name = options.name ?? 'nats';
    this.maxBatch = options.maxBatch ?? 256;
    this.prefix = validateSubjectPrefix(options.subjectPrefix ?? 'genesys');
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5000;
    const servers = typeof options.servers === 'string' ? [options.servers] : options.servers;
    if (servers.length === 0) throw new ConfigError('sinks.nats.servers', 'at least one server URL is required');
    if (!(this.maxBatch > 0)) throw new ConfigError('sinks.nats.maxBatch', 'must be > 0');
  }

  async deliver(events: readonly RelayEvent[], signal: AbortSignal): Promise<BatchOutcome> {
    if (this.closed) return events.map(() => ({ kind: 'retryable', error: 'nats sink closed' }));
    let js: JetStreamClient;
    try {
      js = (await this.connection()).js;
    } catch (err) {
      const outcome = classifyNatsError(err);
      return events.map(() => outcome);
    }
    // All publishes go out at once on the one connection; the server stores them in arrival order.
    return Promise.all(events.map((event) => this.publishOne(js, event, signal)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const ready = this.ready;
    this.ready = undefined;
    const conn = await ready?.catch(() => undefined);
    // drain() flushes what is buffered and waits for in-flight acks; close() if that fails.
    await conn?.nc.drain().catch(() => conn.nc.close());
  }

  private async publishOne(js: JetStreamClient, event: RelayEvent, signal: AbortSignal): Promise<DeliveryOutcome> {
    if (signal.aborted) return { kind: 'retryable', error: 'delivery aborted' };
    const hdrs = headers();
    hdrs.set('Content-Type', 'application/json');
    hdrs.set('Genesys-Topic', event.topicName);
    try {
      const ack = await js.publish(subjectForTopic(this.prefix, event.topicName), JSON.stringify(event), {
        msgID: event.relay.key,
        timeout: this.ackTimeoutMs,
        headers: hdrs,
      });
      // duplicate:true means the stream already holds this key: delivered, exactly once.
      return ack.stream ? { kind: 'delivered' } : { kind: 'retryable', error: 'nats: empty PubAck' };
    } catch (err) {
      return classifyNatsError(err);
    }
  }

  private connection(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    if (this.current?.isClosed()) {
      this.current = undefined;
      this.ready = undefined;
    }
    if (!this.ready) {
      const attempt = this.open();
      // A failed attempt is forgotten, so the next batch tries again.
      attempt.catch(() => {
        if (this.ready === attempt) this.ready = undefined;
      });
      this.ready = attempt;
    }
    return this.ready;
  }

  private async open(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    const o = this.options;
    const nc = await connect({
      servers: o.servers,
      name: 'genesys-relay',
      timeout: o.connectTimeoutMs ?? 5000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: o.reconnectTimeWaitMs ?? 2000,
      ...(o.token === undefined ? {} : { token: o.token }),
      ...(o.user === undefined ? {} : { user: o.user, pass: o.pass ?? '' }),
      ...(o.credentials === undefined
        ? {}
        : { authenticator: credsAuthenticator(new TextEncoder().encode(o.credentials)) }),
    });
    try {
      if (o.createStream ?? true) {
        await ensureStream(await jetstreamManager(nc), {
          name: o.stream ?? 'GENESYS',
          subject: `${this.prefix}.>`,
          duplicateWindowMs: o.duplicateWindowMs ?? 120_000,
        });
      }
      this.current = nc;
      return { nc, js: jetstream(nc) };
    } catch (err) {
      await nc.close();
      throw err;
    }
  }
}
