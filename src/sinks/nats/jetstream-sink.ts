import { connect, credsAuthenticator, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { ConfigError } from '../../core/errors.ts';
import type { RelayEvent } from '../../envelope/envelope.ts';
import { fencingOf } from '../../envelope/fencing.ts';
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
  /** Stream ensured on the current connection; forgotten when a publish finds no stream, so it is re-created. */
  private streamReady: Promise<void> | undefined;
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
      const conn = await this.connection();
      await this.ensureStreamOnce(conn.nc);
      js = conn.js;
    } catch (err) {
      const outcome = classifyNatsError(err);
      return events.map(() => outcome);
    }
    return this.publishInOrder(js, events, signal);
  }

  /**
   * Per-sink order under partial failure: publishes one after another and stops at the first event that is not
   * delivered, returning outcomes for that prefix only. The events after it were not attempted: the outbox puts
   * them back behind the failed one (no attempt counted), so a retried event can never land after later ones.
   * (Publishing the batch at once with Promise.all let event 2 fail while 3 was stored; 2's retry then came after.)
   * Waiting for each PubAck costs one round trip per event; the stream stores in arrival order either way.
   */
  private async publishInOrder(
    js: JetStreamClient,
    events: readonly RelayEvent[],
    signal: AbortSignal,
  ): Promise<BatchOutcome> {
    const outcomes: DeliveryOutcome[] = [];
    for (const event of events) {
      const outcome = await this.publishOne(js, event, signal);
      outcomes.push(outcome);
      if (outcome.kind !== 'delivered') break;
    }
    return outcomes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const ready = this.ready;
    this.ready = undefined;
    const conn = await ready?.catch(() => undefined);
    if (!conn) return;
    // drain() flushes what is buffered and waits for in-flight acks; bounded, because with the server gone it
    // could wait for a reconnect that never comes. close() then drops the rest (the outbox still holds it).
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.ackTimeoutMs)));
    const drained = conn.nc.drain().then(
      () => true,
      () => false,
    );
    const ok = await Promise.race([drained, gaveUp]);
    clearTimeout(timer);
    if (!ok) await conn.nc.close();
  }

  private async publishOne(js: JetStreamClient, event: RelayEvent, signal: AbortSignal): Promise<DeliveryOutcome> {
    if (signal.aborted) return { kind: 'retryable', error: 'delivery aborted' };
    const hdrs = headers();
    hdrs.set('Content-Type', 'application/json');
    hdrs.set('Genesys-Topic', event.topicName);
    const fencing = fencingOf(event);
    if (fencing) {
      // Which lease tenure read it: during a handover both workers may publish; the stream keeps the first.
      hdrs.set('Genesys-Relay-Shard', fencing.shard);
      hdrs.set('Genesys-Relay-Epoch', String(fencing.epoch));
    }
    try {
      const publish = js.publish(subjectForTopic(this.prefix, event.topicName), JSON.stringify(event), {
        msgID: event.relay.key,
        timeout: this.ackTimeoutMs,
        headers: hdrs,
      });
      const ack = await raceAbort(publish, signal);
      // duplicate:true means the stream already holds this key: delivered, exactly once.
      return ack.stream ? { kind: 'delivered' } : { kind: 'retryable', error: 'nats: empty PubAck' };
    } catch (err) {
      // No stream answered for the subject: it was deleted (or never made); ensure it again on the next batch.
      if (err instanceof Error && err.name === 'JetStreamNotEnabled') this.streamReady = undefined;
      return classifyNatsError(err);
    }
  }

  private connection(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    if (this.current?.isClosed()) {
      this.current = undefined;
      this.ready = undefined;
      this.streamReady = undefined;
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
    this.current = nc;
    return { nc, js: jetstream(nc) };
  }

  private ensureStreamOnce(nc: NatsConnection): Promise<void> {
    const o = this.options;
    if (!(o.createStream ?? true)) return Promise.resolve();
    if (!this.streamReady) {
      const attempt = jetstreamManager(nc).then(async (jsm) => {
        await ensureStream(jsm, {
          name: o.stream ?? 'GENESYS',
          subject: `${this.prefix}.>`,
          duplicateWindowMs: o.duplicateWindowMs ?? 120_000,
        });
      });
      attempt.catch(() => {
        if (this.streamReady === attempt) this.streamReady = undefined;
      });
      this.streamReady = attempt;
    }
    return this.streamReady;
  }
}

/** Settles with `work`, or rejects as soon as `signal` aborts (the publish itself cannot be recalled). */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('delivery aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
