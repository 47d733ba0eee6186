import type { Writable } from 'node:stream';
import type { RelayConfig } from '../config/load.ts';
import type { Clock } from '../core/clock.ts';
import { ConfigError, assertNever } from '../core/errors.ts';
import { createJetStreamSink } from '../sinks/nats/index.ts';
import { createNdjsonSink } from '../sinks/ndjson/ndjson-sink.ts';
import { createServiceNowSink, type ServiceNowAuth } from '../sinks/servicenow/index.ts';
import type { Sink } from '../sinks/sink.ts';
import { createWebhookSink } from '../sinks/webhook/index.ts';
import { definedOnly } from './relay-options.ts';

type SinkEntry = RelayConfig['sinks'][number];

export interface SinkFactoryOptions {
  clock: Clock;
  /** Where `ndjson:-` writes. @default process.stdout */
  stdout?: Writable;
}

/** Builds every configured sink; a sink's own validation error is re-labelled with its config path. */
export function createSinks(entries: readonly SinkEntry[], options: SinkFactoryOptions): Sink[] {
  return entries.map((entry, i) => {
    try {
      return createSink(entry, options);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const sub = err.field.replace(/^(servicenow|webhook|ndjson|sinks\.nats|sink)\.?/, '');
      const message = err.message.slice(err.field.length + 2);
      throw new ConfigError(sub ? `sinks[${i}].${sub}` : `sinks[${i}]`, message, { cause: err });
    }
  });
}

function createSink(entry: SinkEntry, options: SinkFactoryOptions): Sink {
  const { clock } = options;
  switch (entry.type) {
    case 'ndjson':
      return createNdjsonSink(entry.path, {
        name: entry.name,
        ...(options.stdout ? { stream: options.stdout } : {}),
        ...(entry.mode === undefined ? {} : { mode: entry.mode }),
      });
    case 'webhook':
      return createWebhookSink({
        url: entry.url,
        name: entry.name,
        clock,
        timeoutMs: entry.timeoutMs,
        batch: entry.batch,
        ...(entry.secret ? { secret: entry.secret } : {}),
        ...(entry.headers ? { headers: entry.headers } : {}),
        ...(entry.maxBatch ? { maxBatch: entry.maxBatch } : {}),
      });
    case 'servicenow':
      return createServiceNowSink({
        instanceUrl: entry.instanceUrl,
        name: entry.name,
        mode: entry.mode,
        auth: servicenowAuth(entry.auth),
        clock,
        ...(entry.allowInsecureHttp ? { allowInsecureHttp: true } : {}),
        ...(entry.table ? { table: entry.table } : {}),
        ...(entry.keyField ? { keyField: entry.keyField } : {}),
        ...(entry.batchSize ? { batchSize: entry.batchSize } : {}),
        ...(entry.timeoutMs ? { timeoutMs: entry.timeoutMs } : {}),
      });
    case 'nats':
      // Nats-Msg-Id = relay.key: JetStream drops the copies that two workers publish during a lease handover.
      return createJetStreamSink({
        servers: entry.servers,
        name: entry.name,
        ...definedOnly({
          stream: entry.stream,
          subjectPrefix: entry.subjectPrefix,
          duplicateWindowMs: entry.duplicateWindowMs,
          createStream: entry.createStream,
          token: entry.token,
          maxBatch: entry.maxBatch,
          ackTimeoutMs: entry.ackTimeoutMs,
        }),
      });
    default:
      return assertNever(entry, 'sink type');
  }
}

/** load.ts has already resolved the *File variants and checked presence; empty strings fail the sink's own check. */
function servicenowAuth(auth: Extract<SinkEntry, { type: 'servicenow' }>['auth']): ServiceNowAuth {
  if (auth.kind === 'basic') return { kind: 'basic', username: auth.username, password: auth.password ?? '' };
  return {
    kind: 'oauth',
    clientId: auth.clientId,
    clientSecret: auth.clientSecret ?? '',
    grant: auth.grant,
    ...(auth.username ? { username: auth.username } : {}),
    ...(auth.password ? { password: auth.password } : {}),
  };
}
